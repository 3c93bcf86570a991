// Latihan (drills). /latihan: start a drill at this post, the scenarios, uploading one, and the
// history of drills (per post; filtered per officer). /latihan/{id}: the trainer's screen (pause,
// resume, abort; the simulated WhatsApp chat; the scripts to read out for 110 calls and walk-ins)
// and the scorecard (score, per officer, each miss with the SOP rule it broke, the timeline), with
// its A4 print view. At a hub, /latihan also starts a drill for chosen posts (it travels down the
// sync tree) and lists those drills; /latihan/{id} of one shows each post's part and scorecard.
// Everything here is a drill: nothing reaches a real reporter.
import { t, applyI18n, errText, fmtDate } from './i18n.js';
import { $, el, api } from './util.js';
import { staffSession } from './staff.js';

applyI18n();
const me = await staffSession();
const may = (a) => (me.may || []).includes(a);
const ID = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');

function fail(res) {
  $('#error').textContent = errText(res.data, res.status);
  $('#error').hidden = false;
}

const stateText = (s) => t(`lat.st.${s}`);
const pct = (n) => `${n}%`;

// ----- /latihan ---------------------------------------------------------------------------------

async function home() {
  $('#home').hidden = false;
  const sc = await api('/api/v1/drills/scenarios');
  if (!sc.ok) return fail(sc);
  $('#scenarios').replaceChildren(...sc.data.map((s) => el('li', { 'data-scenario': s.id },
    el('b', { text: s.title }), ` (${s.id}${s.embedded ? '' : `, ${t('lat.uploaded')}`}) `,
    s.sop_matches ? null : el('span', { class: 'badge pr-high', text: t('lat.sop_other', { v: s.sop_version }) }),
    el('span', { class: 'hint', text: ` ${s.summary}` }),
    el('ol', { class: 'inj' }, s.injects.map((i) => el('li', {
      text: `+${Math.round(i.t_s / 60)} ${t('lat.min')} · ${t(`ch.${i.channel}`)} · ${t(`cat.${i.category}`)}${i.trap ? ` · ${t('lat.trap')}: ${i.trap}` : ''}`,
    }))))));
  if (may('run_drill')) {
    $('#start-card').hidden = false;
    $('#s-scenario').replaceChildren(...sc.data.map((s) => el('option', { value: s.id, text: s.title })));
    $('#start').addEventListener('submit', async (e) => {
      e.preventDefault();
      const res = await api('/api/v1/drills', { method: 'POST', body: { scenario: $('#s-scenario').value, speed: Number($('#s-speed').value) } });
      if (!res.ok) return fail(res);
      location.href = `/latihan/${encodeURIComponent(res.data.id)}`;
    });
  }
  if (may('write_scenario')) {
    $('#upload-card').hidden = false;
    $('#upload').addEventListener('submit', async (e) => {
      e.preventDefault();
      const r = await fetch('/api/v1/drills/scenarios', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/toml', 'X-CSRF-Token': me.csrf_token, Accept: 'application/json' }, body: $('#u-text').value });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) {
        $('#u-error').textContent = `${errText(data, r.status)}${data.field ? ` (${data.field}${data.line ? `, ${t('lat.line')} ${data.line}` : ''})` : ''}`;
        $('#u-error').hidden = false;
        return;
      }
      location.reload();
    });
  }
  await hubHome(sc.data);
  const history = async () => {
    const u = $('#f-user').value.trim();
    const res = await api(`/api/v1/drills${u ? `?user=${encodeURIComponent(u)}` : ''}`);
    if (!res.ok) return fail(res);
    $('#history tbody').replaceChildren(...(res.data.length ? res.data.map((d) => el('tr', {},
      el('td', {}, el('a', { href: `/latihan/${encodeURIComponent(d.id)}`, text: d.id })),
      el('td', { text: d.scenario.title }),
      el('td', { text: stateText(d.state) }),
      el('td', { text: fmtDate(d.started_at) }),
      el('td', { text: pct(d.scorecard.score_percent) }),
      el('td', { text: d.scorecard.participants.map((p) => `${p.user} ${p.points}/${p.max_points}`).join(', ') || '—' }),
    )) : [el('tr', {}, el('td', { colspan: 6, text: t('lat.none') }))]));
  };
  $('#filter').addEventListener('submit', (e) => { e.preventDefault(); history(); });
  await history();
}

// ----- at a hub: drills for posts ---------------------------------------------------------------

const postState = (p) => (p.state === 'refused' ? `${t('lat.st.refused')}: ${errText({ code: p.refused.code })}` : stateText(p.state));
const postScore = (p) => (p.score_percent === null || p.score_percent === undefined ? '—' : pct(p.score_percent));

async function hubHome(scenarios) {
  const res = await api('/api/v1/drills/hub');
  if (!res.ok) return fail(res);
  const { posts, drills } = res.data;
  if (!posts.length && !drills.length) return;
  $('#hub-card').hidden = false;
  const form = $('#hub-start');
  if (!may('run_drill') || !posts.length) {
    form.hidden = true;
  } else {
    $('#h-posts').replaceChildren(...posts.map((p) => el('label', { class: 'check-label' },
      el('input', { type: 'checkbox', name: 'post', value: p }), ` ${p}`)));
    $('#h-scenario').replaceChildren(...scenarios.map((s) => el('option', { value: s.id, text: s.title })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const chosen = [...form.querySelectorAll('input[name=post]:checked')].map((i) => i.value);
      if (!chosen.length) {
        $('#h-error').textContent = t('lat.no_posts');
        $('#h-error').hidden = false;
        return;
      }
      const r = await api('/api/v1/drills', { method: 'POST', body: { scenario: $('#h-scenario').value, posts: chosen, speed: Number($('#h-speed').value) } });
      if (!r.ok) {
        $('#h-error').textContent = errText(r.data, r.status);
        $('#h-error').hidden = false;
        return;
      }
      location.href = `/latihan/${encodeURIComponent(r.data.id)}`;
    });
  }
  $('#hub-history tbody').replaceChildren(...(drills.length ? drills.map((d) => el('tr', {},
    el('td', {}, el('a', { href: `/latihan/${encodeURIComponent(d.id)}`, text: d.id })),
    el('td', { text: d.scenario.title }),
    el('td', { text: stateText(d.state) }),
    el('td', { text: fmtDate(d.started_at) }),
    el('td', { text: d.posts.map((p) => `${p.post} ${p.state === 'refused' ? t('lat.st.refused') : postScore(p)}`).join(', ') }),
  )) : [el('tr', {}, el('td', { colspan: 5, text: t('lat.none') }))]));
}

function drawHub(d) {
  $('#h-title').textContent = `${t('lat.mark')} · ${d.scenario.title}`;
  $('#h-meta').textContent = t('lat.hub_meta', {
    id: d.id, state: stateText(d.state), by: d.started_by, at: fmtDate(d.started_at), speed: d.speed,
  });
  const runs = may('run_drill');
  $('#h-pause').hidden = !(runs && d.state === 'running');
  $('#h-resume').hidden = !(runs && d.state === 'paused');
  $('#h-abort').hidden = !(runs && (d.state === 'running' || d.state === 'paused'));
  $('#hub-posts tbody').replaceChildren(...d.posts.map((p) => el('tr', { 'data-post': p.post },
    el('td', { text: p.post }),
    el('td', { text: p.drill_id || '—' }),
    el('td', { text: postState(p) }),
    el('td', {}, el('b', { text: postScore(p) })),
    el('td', { text: p.points === null || p.points === undefined ? '—' : `${p.points}/${p.max_points}` }),
    el('td', { text: p.participants.map((x) => `${x.user} ${x.points}/${x.max_points}`).join(', ') || '—' }))));
  $('#hub-misses').replaceChildren(...d.posts.filter((p) => p.drill_id).map((p) => el('section', {},
    el('h3', { text: `${t('lat.misses')} · ${p.post}` }),
    el('ol', { class: 'lat-misses' }, p.misses.length ? p.misses.map((m) => el('li', {},
      el('span', { text: m.text }), el('span', { class: 'rule', text: m.rule }))) : [el('li', { text: t('lat.no_misses') })]))));
}

async function hubOne(first) {
  $('#hub-one').hidden = false;
  let timer = null;
  const show = (d) => {
    drawHub(d);
    clearTimeout(timer);
    if (d.state === 'running' || d.state === 'paused') timer = setTimeout(load, 3000);
  };
  const load = async () => {
    const res = await api(`/api/v1/drills/${encodeURIComponent(ID)}`, { background: true });
    if (!res.ok) return fail(res);
    $('#error').hidden = true;
    show(res.data);
  };
  for (const a of ['pause', 'resume', 'abort']) {
    $(`#h-${a}`).addEventListener('click', async () => {
      const res = await api(`/api/v1/drills/${encodeURIComponent(ID)}/actions`, { method: 'POST', body: { action: a } });
      if (!res.ok) return fail(res);
      show(res.data);
    });
  }
  $('#h-print').addEventListener('click', () => window.print());
  show(first);
}

// ----- /latihan/{id} ----------------------------------------------------------------------------

function checkText(c) {
  const name = t(`lat.c.${c.id}`);
  const time = c.took_s !== null && c.took_s !== undefined ? ` ${Math.floor(c.took_s / 60)}:${String(c.took_s % 60).padStart(2, '0')}` : '';
  return el('span', { class: `check ${c.ok ? 'ok' : 'miss'}`, text: `${c.ok ? '✓' : '✗'} ${name}${time}${c.actor ? ` (${c.actor})` : ''}` });
}

function draw(d) {
  $('#d-title').textContent = `${t('lat.mark')} · ${d.scenario.title}`;
  $('#d-meta').textContent = t('lat.meta', {
    id: d.id, node: d.node, state: stateText(d.state), by: d.started_by, at: fmtDate(d.started_at),
    min: Math.floor(d.elapsed_s / 60), speed: d.speed,
  });
  const running = d.state === 'running';
  const paused = d.state === 'paused';
  const runs = may('run_drill');
  $('#d-pause').hidden = !(runs && running);
  $('#d-resume').hidden = !(runs && paused);
  $('#d-abort').hidden = !(runs && (running || paused));
  const s = d.scorecard;
  $('#d-score').textContent = pct(s.score_percent);
  $('#d-points').textContent = t('lat.points_of', { p: s.points, max: s.max_points, esc: s.escalations });
  $('#participants tbody').replaceChildren(...s.participants.map((p) => el('tr', {},
    el('td', { text: p.user }), el('td', { text: `${p.points}/${p.max_points}` }),
    el('td', { text: pct(Math.round((100 * p.points) / Math.max(1, p.max_points))) }))));
  $('#misses').replaceChildren(...(s.misses.length ? s.misses.map((m) => el('li', {},
    el('span', { text: m.text }), el('span', { class: 'rule', text: m.rule }))) : [el('li', { text: t('lat.no_misses') })]));
  $('#timeline tbody').replaceChildren(...d.scenario.injects.map((i) => {
    const sc = s.injects[i.n - 1] || { checks: [] };
    return el('tr', { class: 'drill' },
      el('td', { text: String(i.n) }),
      el('td', { text: sc.ticket || `+${Math.round(i.t_s / 60)} ${t('lat.min')}` }),
      el('td', { text: sc.arrived_at ? fmtDate(sc.arrived_at, { seconds: true, date: false }) : '—' }),
      el('td', {}, el('b', { text: `${t(`ch.${i.channel}`)} · ${t(`cat.${i.category}`)}` }), el('span', { class: 'excerpt line', text: i.text })),
      el('td', {}, sc.checks.map(checkText)));
  }));
  $('#chat').replaceChildren(...(d.chat.length ? d.chat.map((c) => el('li', { class: c.dir },
    el('span', { class: 'meta', text: `${c.ticket || ''} · ${c.at ? fmtDate(c.at, { date: false }) : ''}` }), c.text)) : [el('li', { text: t('lat.no_chat') })]));
  const arrived = d.scenario.injects.filter((i) => d.tickets[i.n - 1] && i.script);
  $('#scripts').replaceChildren(...(arrived.length ? arrived.map((i) => el('li', {},
    el('b', { text: `${d.tickets[i.n - 1]} · ${t(`ch.${i.channel}`)} · ${i.reporter_name} (${i.reporter_phone})` }),
    el('p', { text: i.script }))) : [el('li', { text: t('lat.no_scripts') })]));
}

async function one() {
  const first = await api(`/api/v1/drills/${encodeURIComponent(ID)}`);
  if (!first.ok) return fail(first);
  if (first.data.kind === 'hub') return hubOne(first.data);
  $('#one').hidden = false;
  let timer = null;
  const load = async () => {
    const res = await api(`/api/v1/drills/${encodeURIComponent(ID)}`, { background: true });
    if (!res.ok) return fail(res);
    $('#error').hidden = true;
    draw(res.data);
    clearTimeout(timer);
    if (res.data.state === 'running' || res.data.state === 'paused') timer = setTimeout(load, 2000);
  };
  for (const a of ['pause', 'resume', 'abort']) {
    $(`#d-${a}`).addEventListener('click', async () => {
      const res = await api(`/api/v1/drills/${encodeURIComponent(ID)}/actions`, { method: 'POST', body: { action: a } });
      if (!res.ok) return fail(res);
      draw(res.data);
      load();
    });
  }
  $('#d-print').addEventListener('click', () => window.print());
  await load();
}

if (ID) await one(); else await home();
