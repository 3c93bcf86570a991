// The recap page (/rekap): a period (day, shift, week, month, range; WIB), a grouping, the SOP's
// figures as tables and inline SVG charts (rekap-chart.js), per-officer figures where the role
// may see them, drill-down to the cases behind a figure (each opens in the queue), the exports
// (CSV, CSV with ';', XLSX) and the A4 print view "Laporan Rekapitulasi".
import { t, applyI18n, errText, fmtDate } from './i18n.js';
import { $, el, api } from './util.js';
import { staffSession } from './staff.js';
import { bars } from './rekap-chart.js';

applyI18n();
const STEPS = ['verify', 'dispatch', 'acknowledge', 'first_action', 'resolve'];
const wibDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(d);
const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const dur = (s) => {
  if (s === null || s === undefined) return '–';
  if (s < 3600) return t('rk.min', { n: Math.round(s / 60) });
  if (s < 172800) return t('rk.hour', { n: (s / 3600).toFixed(1) });
  return t('rk.days', { n: (s / 86400).toFixed(1) });
};
const me = await staffSession();
$('#p-date').value = wibDay(new Date());
$('#p-to').value = $('#p-date').value;
let last = null;

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The query of the chosen period and grouping (the same for the page, the exports and print). */
function query() {
  const p = new URLSearchParams();
  const day = $('#p-date').value || wibDay(new Date());
  const kind = $('#p-kind').value;
  if (kind === 'shift') {
    p.set('shift', $('#p-shift').value);
    p.set('date', day);
  } else if (kind === 'week') {
    const dow = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday first
    p.set('from', addDays(day, -dow));
    p.set('to', addDays(day, 6 - dow));
  } else if (kind === 'month') {
    const first = `${day.slice(0, 8)}01`;
    const next = addDays(`${day.slice(0, 8)}28`, 4);
    p.set('from', first);
    p.set('to', addDays(`${next.slice(0, 8)}01`, -1));
  } else if (kind === 'custom') {
    p.set('from', day);
    p.set('to', $('#p-to').value || day);
  } else {
    p.set('from', day);
    p.set('to', day);
  }
  if ($('#p-group').value) p.set('group_by', $('#p-group').value);
  return p;
}

function exports_(p) {
  const q = (extra) => `/api/v1/rekap?${new URLSearchParams([...p, ...Object.entries(extra)])}`;
  $('#x-csv').href = q({ format: 'csv' });
  $('#x-csv2').href = q({ format: 'csv', sep: ';' });
  $('#x-xlsx').href = q({ format: 'xlsx' });
}

/** The recap query of the cases behind a figure: the period and filters shown, plus `filters`
 * (a group's key, a state, a step and how it stands). */
function behind(filters) {
  const p = query();
  p.delete('group_by');
  for (const [k, v] of Object.entries(filters)) p.set(k, v);
  return p;
}

/** The queue showing the cases behind a figure (it takes the recap's query as `rekap`). */
const queueHref = (filters) => `/konsol?${new URLSearchParams({ rekap: behind(filters).toString() })}`;

/** A figure that opens the queue with the cases behind it (`filters`: see `behind`). */
function figure(value, filters, tag = 'span') {
  if (!filters) return el(tag, { text: String(value) });
  return el(tag, {}, el('a', { href: queueHref(filters), class: 'drill-queue', text: String(value) }));
}

function tile(label, value, filters) {
  return el('div', { class: 'tile' }, el('b', {}, figure(value, filters)), el('span', { text: label }));
}

/** Shows the tickets behind a figure in the page, each opening the case, and a link to the queue
 * with them all. */
async function drill(filters, label) {
  const p = behind(filters);
  p.set('tickets', 'true');
  const r = await api(`/api/v1/rekap?${p}`);
  if (!r.ok) return;
  $('#drill').hidden = false;
  $('#drill-what').textContent = `${label}: ${r.data.tickets.length}`;
  $('#drill-queue').href = queueHref(filters);
  $('#drill-list').replaceChildren(...r.data.tickets.map((tk) => el('li', {}, el('a', { href: `/konsol#${tk}`, text: tk }))));
  $('#drill').scrollIntoView();
}

function render(d) {
  const f = d.total;
  $('#range').textContent = t('rk.range', { from: fmtDate(d.from), to: fmtDate(d.to), end: fmtDate(d.end) });
  $('#print-meta').textContent = t('rk.printed', {
    node: d.node, from: fmtDate(d.from), to: fmtDate(d.to), who: me.username, when: fmtDate(d.generated_at),
  });
  $('#totals').replaceChildren(
    tile(t('rk.received'), f.received, {}),
    tile(t('rk.verified'), f.verified),
    tile(t('rk.rejected'), f.rejected_total, { state: 'rejected' }),
    tile(t('rk.duplicates'), f.duplicates),
    tile(t('rk.prank_rate'), pct(f.prank_rate)),
    tile(t('rk.emergency_unverified'), f.emergency_unverified),
    tile(t('rk.reopened'), f.reopened),
    tile(t('rk.conflicts'), f.conflicts),
    tile(t('rk.escalations'), Object.values(f.escalations).reduce((a, b) => a + b, 0)),
    tile(t('rk.blocked'), `${d.numbers_blocked} / ${d.numbers_lifted}`),
    tile(t('rk.notices'), `${d.notices_sent} / ${d.notices_failed}`),
  );
  const stands = (s, status) => ({ step: s.step, step_status: status });
  $('#steps tbody').replaceChildren(...f.steps.map((s) => el('tr', { 'data-step': s.step },
    el('th', { scope: 'row', text: t(`rk.s_${s.step}`) }), figure(s.done, stands(s, 'done'), 'td'),
    figure(s.within, stands(s, 'within'), 'td'), figure(s.missed, stands(s, 'missed'), 'td'),
    figure(s.not_yet, stands(s, 'not_yet'), 'td'),
    el('td', { text: pct(s.share_within) }), el('td', { text: dur(s.median_s) }), el('td', { text: dur(s.p90_s) }))));
  $('#chart-steps').replaceChildren(bars(f.steps.map((s) => ({
    label: t(`rk.s_${s.step}`), value: s.share_within === null ? 0 : s.share_within * 100, text: pct(s.share_within),
    warn: s.share_within !== null && s.share_within < 0.8,
  })), { max: 100, title: t('rk.chart_steps') }));
  const grouped = d.group_by.length > 0;
  $('#groups-card').hidden = !grouped;
  if (grouped) {
    const dim = d.group_by[0];
    $('#groups thead').replaceChildren(el('tr', {},
      el('th', { scope: 'col', text: t(`rk.g_${dim}`) }), el('th', { scope: 'col', text: t('rk.received') }),
      el('th', { scope: 'col', text: t('rk.verified') }), el('th', { scope: 'col', text: t('rk.rejected') }),
      el('th', { scope: 'col', text: t('rk.prank_rate') }),
      ...STEPS.slice(0, 3).map((s) => el('th', { scope: 'col', text: `${t(`rk.s_${s}`)} ${t('rk.share')}` }))));
    $('#groups tbody').replaceChildren(...d.groups.map((g) => {
      const name = g.names?.[dim];
      const key = name ? `${name} (${g.key[dim]})` : g.key[dim] || t('rk.none');
      const b = el('button', { type: 'button', class: 'link drill', text: String(g.figures.received) });
      b.addEventListener('click', () => drill({ [dim]: g.key[dim] }, key));
      return el('tr', {}, el('th', { scope: 'row', text: key }), el('td', {}, b),
        el('td', { text: String(g.figures.verified) }), el('td', { text: String(g.figures.rejected_total) }),
        el('td', { text: pct(g.figures.prank_rate) }),
        ...g.figures.steps.slice(0, 3).map((s) => el('td', { text: pct(s.share_within) })));
    }));
    $('#chart-groups').replaceChildren(bars(d.groups.map((g) => ({
      label: g.names?.[dim] || g.key[dim] || t('rk.none'), value: g.figures.received,
    })),
      { title: t('rk.chart_groups') }));
  }
  $('#officers-card').hidden = !d.officers;
  if (d.officers) {
    $('#officers tbody').replaceChildren(...d.officers.map((o) => el('tr', {},
      el('th', { scope: 'row', text: o.user }), el('td', { text: String(o.cases) }),
      ...o.steps.map((s) => el('td', { text: s.count ? `${s.count} · ${dur(s.median_s)} / ${dur(s.p90_s)}` : '–' })))));
  }
}

async function load() {
  const p = query();
  exports_(p);
  const r = await api(`/api/v1/rekap?${p}`);
  $('#error').hidden = r.ok;
  if (!r.ok) {
    $('#error').textContent = errText(r.data, r.status);
    return;
  }
  last = r.data;
  if (!$('#p-shift').options.length) {
    $('#p-shift').append(...last.shifts.map((s) => el('option', { value: s, text: s })));
  }
  render(last);
}

/** The shift handover snapshots (not for a unit officer): the last 30 of a node, each with the
 * open and overdue cases handed over and Ka Siaga's note. */
let noteFor = null;
async function loadShifts(node) {
  if (me.unit) return;
  const r = await api(`/api/v1/rekap/shifts${node ? `?node=${encodeURIComponent(node)}` : ''}`);
  if (!r.ok) return;
  const d = r.data;
  $('#shifts-card').hidden = false;
  $('#f-shift-node').hidden = d.nodes.length < 2;
  if ($('#shift-node').options.length !== d.nodes.length) {
    $('#shift-node').replaceChildren(...d.nodes.map((n) => el('option', { value: n, text: n })));
  }
  $('#shift-node').value = d.node;
  const share = (s) => (s ? pct(s.done + s.overdue ? s.within / (s.done + s.overdue) : null) : '–');
  $('#shifts tbody').replaceChildren(...d.shifts.map((sh) => {
    const cases = (list, total) => {
      const td = el('td', { text: String(total) });
      if (list.length) td.title = list.join(', ');
      return td;
    };
    const note = el('td', { class: 'rk-note', text: sh.note ? `${sh.note.text} — ${sh.note.by}, ${fmtDate(sh.note.at)}` : '' });
    if (d.may_note) {
      const b = el('button', { type: 'button', class: 'link', text: t('rk.h_add') });
      b.addEventListener('click', () => {
        noteFor = sh.from_ms;
        $('#note-form').hidden = false;
        $('#note-label').textContent = `${t('rk.h_note')}: ${sh.shift} ${fmtDate(sh.from)}`;
        $('#note-text').value = sh.note ? sh.note.text : '';
        $('#note-text').focus();
      });
      note.append(' ', b);
    }
    const by = (name) => sh.steps.find((s) => s.step === name);
    return el('tr', { 'data-from': String(sh.from_ms) },
      el('th', { scope: 'row', text: `${sh.shift} · ${fmtDate(sh.from)} – ${fmtDate(sh.to)}` }),
      el('td', { text: String(sh.received) }), el('td', { text: share(by('verify')) }),
      el('td', { text: share(by('dispatch')) }), cases(sh.open, sh.open_total), cases(sh.overdue, sh.overdue_total), note);
  }));
}
$('#shift-node').addEventListener('change', () => loadShifts($('#shift-node').value));
$('#note-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api(`/api/v1/rekap/shifts/${noteFor}/note`, { method: 'POST', body: { text: $('#note-text').value } });
  $('#note-error').hidden = r.ok;
  if (!r.ok) {
    $('#note-error').textContent = errText(r.data, r.status);
    return;
  }
  $('#note-form').hidden = true;
  await loadShifts();
});

$('#p-kind').addEventListener('change', () => {
  $('#f-shift').hidden = $('#p-kind').value !== 'shift';
  $('#f-to').hidden = $('#p-kind').value !== 'custom';
});
$('#period').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
$('#print').addEventListener('click', () => window.print());
await load();
await loadShifts();
document.body.dataset.ready = '1';
