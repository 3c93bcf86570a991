// One case: facts, description, prank score, history timeline, and (in the console) the actions
// the person's role may take now. All user text goes in as text.
import { t, tn, errText, actorText, prankReason, lang } from './i18n.js';
import { el, fmtTime } from './util.js';
import { countdown } from './countdown.js';

export const badge = (cls, text) => el('span', { class: `badge ${cls}`, text });
export const statusBadge = (s) => badge(`st st-${s}`, t(`st.${s}`));
export const priorityBadge = (p) => badge(`pr-${p}`, t(`pr.${p}`));

/** An Indonesian number as people write it: `+6281234567890` -> `0812-3456-7890`; others as given. */
export function fmtPhone(p) {
  const d = String(p || '').replace(/[^0-9+]/g, '');
  if (!d.startsWith('+62')) return p;
  const n = `0${d.slice(3)}`;
  const rest = n.slice(4);
  const half = Math.floor(rest.length / 2);
  return [n.slice(0, 4), rest.slice(0, half), rest.slice(half)].filter(Boolean).join('-');
}

/** The number as a `tel:` link, so a phone (or a softphone) dials it. */
export const phoneLink = (p) => el('a', { href: `tel:${String(p).replace(/[^0-9+]/g, '')}`, class: 'tel', 'aria-label': t('c.call', { phone: fmtPhone(p) }), text: fmtPhone(p) });

// the next SOP step as an action: by the step whose deadline runs, else by the state
const STEP_ACTION = { verify: 'verify', dispatch: 'dispatch', acknowledge: 'acknowledge', first_action: 'progress', resolve: 'resolve' };
const STATE_NEXT = {
  new: ['verify', 'dispatch'], verified: ['dispatch'], dispatched: ['acknowledge'], acknowledged: ['progress', 'resolve'],
  in_progress: ['resolve', 'progress'], resolved: ['close'],
};

/** The case's main action for this person: the next SOP step among the actions they may take. */
export function mainAction(c) {
  const allowed = c.allowed_actions || [];
  const byStep = c.deadline && STEP_ACTION[c.deadline.step];
  if (byStep && allowed.includes(byStep)) return byStep;
  return (STATE_NEXT[c.status] || []).find((a) => allowed.includes(a)) || null;
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', {}, v)]));
}

const DETAIL_LABEL = {
  method: 'a.method', priority: 'a.priority', reason: 'a.reason', note: 'a.note_field', unit: 'a.unit', summary: 'a.summary',
  text: 'a.text', regency: 'f.regency', category: 'tr.category', channel: 'c.channel', original: 'a.original',
  duplicate_of: 'a.original', duplicate: 'c.dupcands', step: 'c.deadline', rung: 'b.rung', to_role: 'ad.role', node: 'b.node',
  due_at: 'c.deadline', public: 'a.public',
};

function detailText(k, v) {
  if (k === 'method') return t(`m.${v}`) === `m.${v}` ? v : t(`m.${v}`);
  if (k === 'reason') return t(`r.${v}`) === `r.${v}` ? v : t(`r.${v}`);
  if (k === 'priority') return t(`pr.${v}`);
  if (k === 'category') return t(`cat.${v}`);
  if (k === 'channel') return t(`ch.${v}`);
  if (k === 'due_at') return fmtTime(v);
  if (k === 'step') return t(`step.${v}`);
  if (k === 'to_role') return t(`role.${v}`) === `role.${v}` ? v : t(`role.${v}`);
  if (k === 'public') return '✓';
  return String(v);
}

/** Who acted: pangkat, full name and NRP when the account has them, else the username. */
const actorName = (e) => {
  const i = e.actor_identity;
  if (!i || !(i.full_name || i.pangkat || i.nrp)) return actorText(e.actor);
  return `${[i.pangkat, i.full_name || e.actor].filter(Boolean).join(' ')}${i.nrp ? ` · NRP ${i.nrp}` : ''}`;
};

export function timeline(history) {
  return el('ol', { class: 'timeline' }, history.map((e) => el('li', { 'data-type': e.type },
    el('span', { class: 'when', text: `${fmtTime(e.at)} · ${actorName(e)}${e.actor_role ? ` (${t(`role.${e.actor_role}`)})` : ''}` }),
    el('b', { text: t(`ev.${e.type}`) }),
    ...Object.entries(e.details || {}).filter(([, v]) => v !== null && v !== '' && v !== false)
      .map(([k, v]) => el('span', { class: 'excerpt', text: `${DETAIL_LABEL[k] ? t(DETAIL_LABEL[k]) : k}: ${detailText(k, v)}` })),
    e.checked && e.checked.length ? el('span', { class: 'excerpt sop-ticked', text: `${t('sop.ticked')}: ${e.checked.join(', ')}` }) : null)));
}

/** An SOP text in the reader's language (English when the SOP gives one). */
export const sopText = (x) => (lang === 'en' && x.en ? x.en : x.id);

/** The step's checklist: with boxes to tick when the person acts here (the ticks go with the
 * action that completes the step), else as a list. */
function checklist(s, tickable) {
  if (!s || !s.checklist.length) return null;
  const items = s.checklist.map((x, i) => (tickable
    ? el('li', {}, el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'sop-check', value: x.id, id: `sop-check-${i}` }), sopText(x)))
    : el('li', { text: sopText(x) })));
  return el('ul', { class: 'sop-checklist', id: tickable ? 'sop-ticks' : null, 'aria-label': t('sop.checklist') }, items);
}

/** "Langkah SOP": what the SOP says to do in the case's state, who acts, the deadline and the
 * rung that follows; its checklist unless the main action above carries it. */
function sopStep(c, list) {
  const s = c.sop_step;
  if (!s || (!s.instruction && !s.deadline)) return null;
  const rung = s.next_rung && (t(`role.${s.next_rung.role}`) === `role.${s.next_rung.role}` ? s.next_rung.role : t(`role.${s.next_rung.role}`));
  return el('section', { class: 'sop-step card', id: 'sop-step', 'aria-labelledby': 'sop-step-title' },
    el('h3', { id: 'sop-step-title', text: `${t('sop.step')}${s.step ? `: ${t(`step.${s.step}`)}` : ''}` }),
    s.instruction ? el('p', { class: 'sop-instruction', text: sopText(s.instruction) }) : el('p', { class: 'hint', text: t('sop.noguide') }),
    list,
    s.roles.length ? el('p', { class: 'hint', text: `${t('sop.roles')}: ${s.roles.map((r) => (t(`role.${r}`) === `role.${r}` ? r : t(`role.${r}`))).join(', ')}` }) : null,
    s.deadline ? el('p', {}, `${t('c.deadline')}: ${fmtTime(s.deadline)} `, countdown(s.deadline, c.updated_at)) : null,
    s.next_rung ? el('p', { class: 'hint', id: 'sop-next-rung', text: t('sop.next_rung', { role: rung, at: fmtTime(s.next_rung.due_at) }) }) : null,
    el('p', { class: 'hint', text: `${t('c.sop')}: ${c.sop_version}` }));
}

/** Block the reporter's number, or lift a block, if the person may (`may` of `/api/v1/me`:
 * block_number for duty officers, leaders and Propam; lift_block for Propam only). */
function numberForm(c, may, reporter) {
  const blocked = c.reporter_record.blocked_until;
  if (!may.includes(blocked ? 'lift_block' : 'block_number')) return null;
  const kind = blocked ? 'lift' : 'block';
  const reason = text('reason', true);
  const err = el('p', { class: 'field-error', role: 'alert' });
  const button = el('button', { type: 'submit', class: blocked ? 'secondary' : 'danger', text: t(`n.${kind}`) });
  const form = el('form', { 'data-number': kind, novalidate: true }, el('div', { class: 'row' }, input('a.reason', reason)), button, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { err.textContent = t('err.required'); reason.focus(); return; }
    button.disabled = true;
    const r = await reporter(kind, { reason: reason.value.trim() });
    button.disabled = false;
    if (!r.ok) err.textContent = errText(r.data, r.status);
  });
  return form;
}

// what the last dispatch did: to which unit, when, by whom
function dispatchDone(c, units) {
  const d = [...(c.history || [])].reverse().find((e) => e.type === 'dispatched');
  if (!d || !['dispatched', 'acknowledged', 'in_progress', 'resolved', 'closed'].includes(c.status)) return null;
  const code = d.details?.unit || c.unit;
  const u = units.find((x) => x.code === code);
  return el('p', { class: 'alert info', id: 'dispatch-done' },
    el('b', { text: t('c.dispatched_to', { unit: u ? `${code} — ${u.name}` : code }) }),
    el('span', { class: 'excerpt', text: `${fmtTime(d.at)} · ${d.actor}${d.details?.note ? ` · ${d.details.note}` : ''}` }));
}

/** Renders case `c` into `box`. `act(body)` (optional) takes an action and resolves to
 * { ok, data }; `units` fills the dispatch picker; `reporter(kind, body)` blocks or lifts the
 * number, when `may` (the person's actions, from `/api/v1/me`) allows it. The main action (the
 * next SOP step, `mainAction`) comes first, under the title, with `saved` (a confirmation text)
 * above it; after a dispatch, what was done replaces the dispatch form ("dispatch again" opens it). */
export function renderCase(box, c, { act, units = [], may = [], reporter, saved } = {}) {
  const marks = [priorityBadge(c.priority), statusBadge(c.status), badge('st', t(`cat.${c.category}`))];
  if (c.prank.marked) marks.push(badge('suspect', t('q.suspect')));
  if (c.prank.blocked) marks.push(badge('blocked', t('q.blocked')));
  if (c.dispatched_unverified) marks.push(badge('pr-high', t('c.unverified')));
  if (c.drill) marks.unshift(badge('latihan', t('lat.mark')));
  const rec = c.reporter_record;
  const main = act ? mainAction(c) : null;
  const done = dispatchDone(c, units);
  // the checklist goes with the main action when there is one (it stays in view), else in the step
  const list = checklist(c.sop_step, !!act);
  const step = sopStep(c, main ? null : list);
  const ticks = () => [...box.querySelectorAll('input[name=sop-check]:checked')].map((i) => i.value);
  const parts = [
    // Latihan: a drill case says so above everything else
    c.drill ? el('p', { class: 'latihan-banner', role: 'note', id: 'latihan-banner', text: t('lat.banner', { id: c.drill }) }) : null,
    el('h2', { id: 'case-title', tabindex: '-1', text: c.ticket }),
    el('p', { class: 'row' }, marks),
    saved ? el('p', { class: 'alert ok', role: 'status', id: 'saved', tabindex: '-1', text: saved }) : null,
    main ? el('section', { class: 'main-action', id: 'main-action', 'aria-labelledby': 'main-action-title' },
      el('h3', { id: 'main-action-title', text: `${t('c.next')}: ${t(`a.${main}`)}` }), list, actionForm(main, c, act, units, ticks)) : null,
    done,
    step,
    el('p', { class: 'row no-print' }, el('a', { class: 'btn secondary', href: `/stpl/${encodeURIComponent(c.ticket)}`, target: '_blank', rel: 'noopener', 'data-stpl': c.ticket, text: t('stpl.button') })),
    facts([
      ['c.reporter', el('span', {}, c.reporter_name, c.reporter_phone ? [' · ', phoneLink(c.reporter_phone)] : null)],
      ['c.channel', t(`ch.${c.channel}`)],
      ['c.created', fmtTime(c.created_at)],
      ['c.location', [c.address, c.location?.village, c.location?.district && `Kec. ${c.location.district}`, c.regency].filter(Boolean).join(', ')],
      ['c.coords', c.lat !== null && c.lat !== undefined ? `${c.lat}, ${c.lon}` : null],
      ['c.unit', c.unit && (c.unit_name ? `${c.unit} — ${c.unit_name}` : c.unit)],
      ['c.suggested', c.suggested_polsek || (c.unit ? null : c.suggested_unit)],
      ['c.deadline', c.deadline ? el('span', {}, `${t(`step.${c.deadline.step}`)} · ${fmtTime(c.deadline.due_at)} `, countdown(c.deadline.due_at, c.updated_at)) : null],
      ['c.verification', c.verification ? t(`m.${c.verification}`) : null],
      ['c.reject_reason', c.reject_reason ? detailText('reason', c.reject_reason) : null],
      ['c.resolution', c.resolution],
      ['c.sop', c.sop_version],
    ]),
    el('h3', { text: t('c.description') }),
    el('p', { class: 'desc', text: c.description }),
    photosOf(c),
    el('h3', { text: `${t('c.prank')}: ${c.prank.score}` }),
    c.prank.reasons.length ? el('ul', { class: 'reasons' }, c.prank.reasons.map((r) => el('li', { text: `${prankReason(r)} (+${r.weight})` }))) : null,
    c.prank.duplicate_candidates.length ? el('p', { text: `${t('c.dupcands')}: ${c.prank.duplicate_candidates.join(', ')}` }) : null,
    el('p', { class: 'hint', text: `${t('c.record')}: ${t('c.record.line', { reports: tn('n.reports', rec.reports), verified: rec.verified, pranks: tn('n.pranks', rec.pranks_in_window) })}` }),
    rec.blocked_until ? el('p', { class: 'alert danger', id: 'blocked-until', text: `${t('n.until')} ${fmtTime(rec.blocked_until)}` }) : null,
    reporter ? numberForm(c, may, reporter) : null,
  ];
  const rest = act ? c.allowed_actions.filter((a) => a !== main) : [];
  if (act && (rest.length || !main)) {
    parts.push(el('h3', { text: t('c.actions') }));
    const box2 = el('div', { class: 'actions', id: 'actions' });
    if (!c.allowed_actions.length) box2.append(el('p', { class: 'hint', text: t('c.noactions') }));
    for (const a of rest) {
      const form = actionForm(a, c, act, units, ticks);
      if (a === 'dispatch' && done) {
        box2.append(el('details', { id: 'redispatch' }, el('summary', { text: t('c.redispatch') }), form));
      } else box2.append(form);
    }
    parts.push(box2);
  }
  parts.push(el('h3', { text: t('c.history') }), timeline(c.history));
  box.replaceChildren(...parts.filter(Boolean));
  box.classList.toggle('drill', !!c.drill);
}

/** The photos sent with the report (served to staff only, each view access-logged). */
function photosOf(c) {
  const kept = (c.attachments || []).filter((a) => a.sha256);
  if (!kept.length) return null;
  return el('div', { class: 'photos', id: 'case-photos' }, el('h3', { text: t('ph.photos') }), el('p', { class: 'row' }, kept.map((a, i) => {
    const url = `/api/v1/cases/${encodeURIComponent(c.ticket)}/photos/${encodeURIComponent(a.sha256)}`;
    return el('a', { href: url, target: '_blank', rel: 'noopener' }, el('img', { src: url, alt: t('ph.alt', { n: i + 1 }), loading: 'lazy' }));
  })));
}

/** A progress note may be shown to the reporter on public tracking; off unless ticked. */
function publicBox() {
  return el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'public' }), t('ph.public'));
}

let uid = 0;
function input(label, node, hint) {
  const id = `f${++uid}`;
  node.id = id;
  node.name = node.name || id;
  return el('div', { class: 'field' }, el('label', { for: id, text: t(label) }), hint ? el('p', { class: 'hint', text: hint }) : null, node);
}
const select = (name, options, value) => el('select', { name }, options.map(([v, label]) => {
  const o = el('option', { value: v, text: label });
  if (v === value) o.selected = true;
  return o;
}));
const text = (name, required) => el('input', { type: 'text', name, required, maxlength: 2000 });

function actionForm(action, c, act, units, ticks = () => []) {
  const fields = [];
  switch (action) {
    case 'verify':
      // on the line: only for a call or a walk-in (a person was there when it was taken)
      fields.push(input('a.method', select('method', ['callback_confirmed', 'scene_confirmed', 'caller_on_line', 'not_reachable']
        .filter((m) => m !== 'caller_on_line' || ['phone', 'walk_in'].includes(c.channel)).map((m) => [m, t(`m.${m}`)]))));
      fields.push(input('a.priority', select('priority', [['', `${t(`pr.${c.priority}`)} ${t('a.keep')}`], ...['emergency', 'high', 'normal'].map((p) => [p, t(`pr.${p}`)])])));
      break;
    case 'reject':
      fields.push(input('a.reason', select('reason', ['prank', 'unverifiable', 'duplicate', 'out_of_scope'].map((r) => [r, t(`r.${r}`)]))));
      fields.push(input('a.note_field', text('note')));
      break;
    case 'link_duplicate': {
      const o = text('original', true);
      o.value = c.prank.duplicate_candidates[0] || '';
      fields.push(input('a.original', o), input('a.note_field', text('note')));
      break;
    }
    case 'dispatch': {
      const opts = units.filter((u) => u.handles.length === 0 || u.handles.includes(c.category) || u.kind !== 'satker')
        .map((u) => [u.code, `${u.code} — ${u.name}${u.regency ? ` (${u.regency})` : ''}`]);
      fields.push(input('a.unit', select('unit', opts, c.suggested_polsek || c.suggested_unit || c.unit)), input('a.note_field', text('note')));
      break;
    }
    case 'progress': fields.push(input('a.note_field', text('note', true)), publicBox()); break;
    case 'resolve': fields.push(input('a.summary', text('summary', true))); break;
    case 'reopen': fields.push(input('a.reason', text('reason', true))); break;
    case 'note': {
      const cb = el('input', { type: 'checkbox', name: 'public' });
      fields.push(input('a.text', text('text', true)), el('label', { class: 'check' }, cb, t('a.public')));
      break;
    }
    default: fields.push(input('a.note_field', text('note')));
  }
  const err = el('p', { class: 'field-error', role: 'alert' });
  const button = el('button', { type: 'submit', class: action === 'reject' ? 'danger' : '', 'data-action': action, text: t(`a.${action}`) });
  const form = el('form', { 'data-action': action, novalidate: true }, el('div', { class: 'row' }, fields), button, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { action };
    for (const f of form.elements) {
      if (!f.name || f.type === 'submit') continue;
      if (f.type === 'checkbox') { if (f.checked) body[f.name] = true; continue; }
      const v = f.value.trim();
      if (v) body[f.name] = v;
      else if (f.required) { err.textContent = t('err.required'); f.focus(); return; }
    }
    // the SOP checklist ticks go with the action that completes the step (not with a note)
    const ticked = action === 'note' ? [] : ticks();
    if (ticked.length) body.checked = ticked;
    button.disabled = true;
    const r = await act(body);
    button.disabled = false;
    if (!r.ok) err.textContent = errText(r.data, r.status);
  });
  return form;
}
