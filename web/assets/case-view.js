// One case: facts, description, prank score, history timeline, and (in the console) the actions
// the person's role may take now. All user text goes in as text.
import { t } from './i18n.js';
import { el, fmtTime } from './util.js';
import { countdown } from './countdown.js';

export const badge = (cls, text) => el('span', { class: `badge ${cls}`, text });
export const statusBadge = (s) => badge(`st st-${s}`, t(`st.${s}`));
export const priorityBadge = (p) => badge(`pr-${p}`, t(`pr.${p}`));

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
  if (k === 'method') return t(`m.${v}`);
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
  if (!i || !(i.full_name || i.pangkat || i.nrp)) return e.actor;
  return `${[i.pangkat, i.full_name || e.actor].filter(Boolean).join(' ')}${i.nrp ? ` · NRP ${i.nrp}` : ''}`;
};

export function timeline(history) {
  return el('ol', { class: 'timeline' }, history.map((e) => el('li', { 'data-type': e.type },
    el('span', { class: 'when', text: `${fmtTime(e.at)} · ${actorName(e)}${e.actor_role ? ` (${t(`role.${e.actor_role}`)})` : ''}` }),
    el('b', { text: t(`ev.${e.type}`) }),
    ...Object.entries(e.details || {}).filter(([, v]) => v !== null && v !== '' && v !== false)
      .map(([k, v]) => el('span', { class: 'excerpt', text: `${DETAIL_LABEL[k] ? t(DETAIL_LABEL[k]) : k}: ${detailText(k, v)}` })))));
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
    if (!r.ok) err.textContent = r.data.message || `${t('err.server')} (${r.status})`;
  });
  return form;
}

/** Renders case `c` into `box`. `act(body)` (optional) takes an action and resolves to
 * { ok, data }; `units` fills the dispatch picker; `reporter(kind, body)` blocks or lifts the
 * number, when `may` (the person's actions, from `/api/v1/me`) allows it. */
export function renderCase(box, c, { act, units = [], may = [], reporter } = {}) {
  const marks = [priorityBadge(c.priority), statusBadge(c.status), badge('st', t(`cat.${c.category}`))];
  if (c.prank.marked) marks.push(badge('suspect', t('q.suspect')));
  if (c.prank.blocked) marks.push(badge('blocked', t('q.blocked')));
  if (c.dispatched_unverified) marks.push(badge('pr-high', t('c.unverified')));
  const rec = c.reporter_record;
  const parts = [
    el('h2', { id: 'case-title', tabindex: '-1', text: c.ticket }),
    el('p', { class: 'row' }, marks),
    el('p', { class: 'row no-print' }, el('a', { class: 'btn secondary', href: `/stpl/${encodeURIComponent(c.ticket)}`, target: '_blank', rel: 'noopener', 'data-stpl': c.ticket, text: t('stpl.button') })),
    facts([
      ['c.reporter', `${c.reporter_name} · ${c.reporter_phone}`],
      ['c.channel', t(`ch.${c.channel}`)],
      ['c.created', fmtTime(c.created_at)],
      ['c.location', `${c.address}, ${c.regency}`],
      ['c.coords', c.lat !== null && c.lat !== undefined ? `${c.lat}, ${c.lon}` : null],
      ['c.unit', c.unit],
      ['c.suggested', c.unit ? null : c.suggested_unit],
      ['c.deadline', c.deadline ? el('span', {}, `${t(`step.${c.deadline.step}`)} · ${fmtTime(c.deadline.due_at)} `, countdown(c.deadline.due_at, c.updated_at)) : null],
      ['c.verification', c.verification ? t(`m.${c.verification}`) : null],
      ['c.reject_reason', c.reject_reason ? detailText('reason', c.reject_reason) : null],
      ['c.resolution', c.resolution],
      ['c.sop', c.sop_version],
    ]),
    el('h3', { text: t('c.description') }),
    el('p', { class: 'desc', text: c.description }),
    el('h3', { text: `${t('c.prank')}: ${c.prank.score}` }),
    c.prank.reasons.length ? el('ul', { class: 'reasons' }, c.prank.reasons.map((r) => el('li', { text: `${r.detail} (+${r.weight})` }))) : null,
    c.prank.duplicate_candidates.length ? el('p', { text: `${t('c.dupcands')}: ${c.prank.duplicate_candidates.join(', ')}` }) : null,
    el('p', { class: 'hint', text: `${t('c.record')}: ${t('c.record.line', { reports: rec.reports, verified: rec.verified, pranks: rec.pranks_in_window })}` }),
    rec.blocked_until ? el('p', { class: 'alert danger', id: 'blocked-until', text: `${t('n.until')} ${fmtTime(rec.blocked_until)}` }) : null,
    reporter ? numberForm(c, may, reporter) : null,
  ];
  if (act) {
    parts.push(el('h3', { text: t('c.actions') }));
    const box2 = el('div', { class: 'actions', id: 'actions' });
    if (!c.allowed_actions.length) box2.append(el('p', { class: 'hint', text: t('c.noactions') }));
    for (const a of c.allowed_actions) box2.append(actionForm(a, c, act, units));
    parts.push(box2);
  }
  parts.push(el('h3', { text: t('c.history') }), timeline(c.history));
  box.replaceChildren(...parts.filter(Boolean));
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

function actionForm(action, c, act, units) {
  const fields = [];
  switch (action) {
    case 'verify':
      fields.push(input('a.method', select('method', ['callback_confirmed', 'scene_confirmed', 'not_reachable'].map((m) => [m, t(`m.${m}`)]))));
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
      fields.push(input('a.unit', select('unit', opts, c.suggested_unit || c.unit)), input('a.note_field', text('note')));
      break;
    }
    case 'progress': fields.push(input('a.note_field', text('note', true))); break;
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
    button.disabled = true;
    const r = await act(body);
    button.disabled = false;
    if (!r.ok) err.textContent = r.data.message || `${t('err.server')} (${r.status})`;
  });
  return form;
}
