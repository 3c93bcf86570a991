// The operator console: the queue (server-side paging and filtering, live over Server-Sent
// Events), one case with its history and actions, and the call-taker form. New crime reports stay
// marked unread (and the alert rings) until opened; a redraw of the open case keeps the focus,
// what was typed and the "saved" confirmation. On a phone the queue and the case are two views.
import { t, tn, errText, applyI18n, lang } from './i18n.js';
import { $, el, api, debounce, fieldError, fillRegencies, fmtTime, phoneOk, units } from './util.js';
import { placeFields } from './wilayah.js';
import { staffSession, may, sessionEnded, onRelogin } from './staff.js';
import { renderCase, statusBadge, priorityBadge, badge, sopText } from './case-view.js';
import { countdown } from './countdown.js';
import { soundToggle, crimeAlert } from './alert.js';

applyI18n();
const PER_PAGE = 50;
const OPEN = ['new', 'verified', 'dispatched', 'acknowledged', 'in_progress', 'resolved'];
const RANK = { emergency: 0, high: 1, normal: 2 };
const state = { items: [], total: 0, page: 1, selected: null, known: new Set(), saved: null, pick: null };
// new crime reports not opened yet, kept over a reload (this browser)
const UNREAD = 'banpol.unread';
const unread = new Set((() => { try { return JSON.parse(localStorage.getItem(UNREAD)) || []; } catch { return []; } })());
function unreadChanged(fresh = false) {
  try { localStorage.setItem(UNREAD, JSON.stringify([...unread])); } catch { /* private mode */ }
  crimeAlert($('#alert-slot'), [...unread], fresh);
}
let loads = 0;
let missed = null; // live changes seen while a load is in flight
let filing = false; // a call-taker report is being saved
let me;
let allUnits = [];
// the drill-down from /rekap: only the cases behind a recap figure (`?rekap=<the recap's query>`)
const rekap = new URLSearchParams(location.search).get('rekap');
const inRekap = new Set();
if (rekap) {
  $('#filters').before(el('p', { class: 'alert info', id: 'rekap-filter' }, `${t('q.from_rekap')} `,
    el('code', { text: rekap }), ' ', el('a', { href: '/konsol', text: t('q.clear_rekap') })));
  $('#f-lane').value = 'all';
}

for (const s of [...OPEN, 'rejected', 'closed']) $('#f-status').append(el('option', { value: s, text: t(`st.${s}`) }));
for (const c of ['crime', 'information', 'feedback', 'appreciation']) {
  $('#f-category').append(el('option', { value: c, text: t(`cat.${c}`) }));
  $('#ct-category').append(el('option', { value: c, text: t(`cat.${c}`) }));
}
const sound = el('button', { type: 'button', id: 'sound' });
soundToggle(sound);

function filter() {
  return {
    status: $('#f-status').value, category: $('#f-category').value, lane: $('#f-lane').value,
    overdue: $('#f-overdue').checked, q: $('#q').value.trim(),
  };
}

// `background`: a refetch the page does by itself (live changes), which does not renew the session
async function load(background = false) {
  const f = filter();
  const p = new URLSearchParams({ page: state.page, per_page: PER_PAGE, lane: f.lane });
  if (f.status) p.set('status', f.status);
  if (f.category) p.set('category', f.category);
  if (f.overdue) p.set('overdue', 'true');
  if (f.q) p.set('q', f.q);
  if (rekap) p.set('rekap', rekap);
  const seq = ++loads;
  missed = [];
  const r = await api(`/api/v1/cases?${p}`, { background });
  if (seq !== loads) return; // a newer load is under way
  const during = missed;
  missed = null;
  if (!r.ok) { $('#rows').replaceChildren(el('tr', {}, el('td', { colspan: 5, text: errText(r.data, r.status) }))); return; }
  state.items = r.data.items;
  state.total = r.data.total;
  if (rekap) for (const c of state.items) inRekap.add(c.ticket);
  for (const c of state.items) {
    state.known.add(c.ticket);
    if (unread.has(c.ticket) && c.status !== 'new') unread.delete(c.ticket); // handled elsewhere meanwhile
  }
  unreadChanged();
  render();
  // changes that arrived while the page was fetched may be newer than what it holds
  for (const c of during) apply(c);
}

// the server's order: priority, then suspect reports after the others, then the nearest deadline
// (Latihan: a drill case after every real case of its priority)
const key = (c) => [(RANK[c.priority] ?? 9) * 2 + (c.drill ? 1 : 0), c.prank.marked ? 1 : 0, c.deadline ? Date.parse(c.deadline.due_at) : Infinity, c.ticket];
function cmp(a, b) {
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function matches(c, f) {
  if (rekap) return inRekap.has(c.ticket) && (!f.status || c.status === f.status);
  if (f.status ? c.status !== f.status : !OPEN.includes(c.status)) return false;
  if (f.category && c.category !== f.category) return false;
  if (f.lane === 'main' && c.prank.blocked && c.category !== 'crime') return false;
  if (f.lane === 'blocked' && !c.prank.blocked) return false;
  if (f.overdue && !(c.deadline && Date.parse(c.deadline.due_at) <= Date.now())) return false;
  return true;
}

function row(c) {
  const link = el('a', { href: `#${c.ticket}`, text: c.ticket });
  const fresh = unread.has(c.ticket);
  const tr = el('tr', { 'data-ticket': c.ticket, class: `${c.ticket === state.selected ? 'sel' : ''}${fresh ? ' unread' : ''}${c.drill ? ' drill' : ''}` },
    el('td', {}, priorityBadge(c.priority)),
    el('td', { class: 'tk' }, link, el('span', { class: 'excerpt', text: fmtTime(c.created_at) })),
    el('td', {}, el('span', { class: 'line' }, c.drill ? [badge('latihan', t('lat.mark')), ' '] : null, fresh ? [badge('unread', t('q.unread')), ' '] : null, el('b', { text: t(`cat.${c.category}`) }), ' ', t(`ch.${c.channel}`),
      c.prank.marked ? [' ', badge('suspect', t('q.suspect'))] : null, c.prank.blocked ? [' ', badge('blocked', t('q.blocked'))] : null,
      el('span', { class: 'rep', text: ` · ${c.reporter_name} · ${c.regency}` })),
    el('span', { class: 'excerpt line', text: c.excerpt })),
    el('td', {}, statusBadge(c.status), c.unit ? el('span', { class: 'excerpt', text: c.unit }) : null),
    el('td', {}, c.deadline ? [countdown(c.deadline.due_at, c.updated_at), el('span', { class: 'excerpt', text: t(`step.${c.deadline.step}`) })] : '—'));
  return tr;
}

function render(fresh) {
  const rows = state.items.map((c) => { const r = row(c); if (c.ticket === fresh) r.classList.add('fresh'); return r; });
  $('#rows').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 5, text: t('q.empty') }))]));
  $('#total').textContent = tn('q.count', state.total);
  const pages = Math.max(1, Math.ceil(state.total / PER_PAGE));
  $('#pageno').textContent = `${t('q.page')} ${state.page} / ${pages}`;
  $('#prev').disabled = state.page <= 1;
  $('#next').disabled = state.page >= pages;
}

// a change from the live stream: alert for a new crime report, then show it
function upsert(c) {
  const isNew = !state.known.has(c.ticket);
  state.known.add(c.ticket);
  // a report just filed: its first change is its creation
  const mine = filing && c.channel !== 'web'; // the call this console is saving right now
  if (isNew && !mine && c.category === 'crime' && c.status === 'new' && c.created_at === c.updated_at) {
    unread.add(c.ticket);
    unreadChanged(true);
  } else if (unread.has(c.ticket) && c.status !== 'new') {
    unread.delete(c.ticket); // someone acted on it
    unreadChanged();
  }
  if (missed) missed.push(c);
  apply(c);
}

// update, insert or drop the row without a reload
function apply(c) {
  const f = filter();
  if (f.q) { refetch(); return; }
  const i = state.items.findIndex((x) => x.ticket === c.ticket);
  const fits = matches(c, f);
  if (i >= 0 && fits && state.items[i].updated_at > c.updated_at) return; // older than what is shown
  if (i >= 0 && fits) state.items[i] = c;
  else if (i >= 0) { state.items.splice(i, 1); state.total -= 1; }
  else if (fits) {
    state.total += 1;
    const last = state.items[state.items.length - 1];
    // on a later page a new case belongs to a page before this one: refetch keeps pages exact
    if (state.page > 1 || (state.items.length >= PER_PAGE && cmp(c, last) > 0)) { render(); return; }
    state.items.push(c);
  } else return;
  state.items.sort(cmp);
  if (state.items.length > PER_PAGE) state.items.length = PER_PAGE;
  render(c.ticket);
  if (c.ticket === state.selected) openCase(c.ticket, false, true);
}
const refetch = debounce(() => load(true), 250);

function live() {
  const es = new EventSource('/api/v1/stream');
  const mark = (on) => {
    $('#live').textContent = t(on ? 'q.live' : 'q.offline');
    $('#live').classList.toggle('off', !on);
  };
  let wasOpen = false;
  es.addEventListener('open', () => { mark(true); if (wasOpen) load(true); wasOpen = true; });
  // a stream the server refused (its session is gone): the check asks for the password again
  es.addEventListener('error', () => { mark(false); if (es.readyState === EventSource.CLOSED) api('/api/v1/me', { background: true }); });
  es.addEventListener('case', (ev) => { try { upsert(JSON.parse(ev.data)); } catch { refetch(); } });
  es.addEventListener('resync', () => refetch());
  // someone (here or at another console) opened a case: it is no longer unread anywhere
  es.addEventListener('opened', (ev) => { try { seen(JSON.parse(ev.data).ticket); } catch { /* ignore */ } });
  // the session ended (logout elsewhere, expiry, account changed): the stream says so last; the
  // re-login happens in place and the stream is opened again (onRelogin below)
  es.addEventListener('ended', () => { es.close(); mark(false); sessionEnded(); });
}
onRelogin(() => { live(); load(true); });

/** A case someone opened: no longer unread, its row and the alert follow. */
function seen(ticket) {
  if (!unread.delete(ticket)) return;
  unreadChanged();
  const row = document.querySelector(`#rows tr[data-ticket="${CSS.escape(ticket)}"]`);
  if (row) { row.classList.remove('unread'); row.querySelector('.badge.unread')?.remove(); }
}

let opening = 0;
async function openCase(ticket, focus = true, background = false) {
  if (!background && state.saved && state.saved.ticket !== ticket) state.saved = null;
  state.selected = ticket;
  if (!background) $('.console').classList.add('viewing'); // on a phone: the case is its own view
  if (!background && unread.delete(ticket)) unreadChanged();
  for (const r of document.querySelectorAll('#rows tr')) {
    r.classList.toggle('sel', r.dataset.ticket === ticket);
    if (r.dataset.ticket === ticket) { r.classList.remove('unread'); r.querySelector('.badge.unread')?.remove(); }
  }
  const box = $('#detail');
  const seq = ++opening;
  const r = await api(`/api/v1/cases/${encodeURIComponent(ticket)}`, { background });
  if (seq !== opening) return; // another case (or a newer copy) is on its way
  if (!r.ok) { box.replaceChildren(back(), el('p', { class: 'alert danger', text: errText(r.data, r.status) })); return; }
  show(r.data);
  if (state.pick === ticket) {
    state.pick = null;
    $('#detail form[data-action=dispatch] select[name=unit]')?.focus();
  } else if (focus) $('#case-title').focus();
}

// the phone's way back from the case to the queue
function back() {
  const b = el('button', { type: 'button', class: 'secondary back', id: 'back', text: t('c.back') });
  b.addEventListener('click', () => {
    $('.console').classList.remove('viewing');
    history.replaceState(null, '', location.pathname + location.search);
    (document.querySelector(`#rows tr[data-ticket="${state.selected}"] a`) || $('#q')).focus();
  });
  return b;
}

// a field of the open case, named the same in every redraw: its form and its name
const fieldKey = (e) => {
  const f = e.closest('form');
  if (f) return `${f.dataset.action || f.dataset.number || ''}|${e.name || e.type}`;
  return e.id ? `#${e.id}` : null;
};
function find(box, key) {
  if (key.startsWith('#')) return box.querySelector(key);
  const [form, name] = key.split('|');
  return [...box.querySelectorAll('form')].find((f) => (f.dataset.action || f.dataset.number || '') === form)
    ?.querySelector(`[name="${name}"], button[type="${name}"]`);
}

// draws case `c`; a redraw of the same case (a live change) keeps what the person typed or
// chose, which forms were open, and where the focus and the caret were
function show(c) {
  const box = $('#detail');
  const same = box.dataset.ticket === c.ticket;
  const active = same && box.contains(document.activeElement) ? document.activeElement : null;
  const focus = active && fieldKey(active);
  const caret = active && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
  const kept = same ? [...box.querySelectorAll('[data-dirty]')].map((e) => [fieldKey(e), e.type === 'checkbox' ? e.checked : e.value]) : [];
  const opened = same ? [...box.querySelectorAll('details[open]')].map((d) => d.id) : [];
  renderCase(box, c, {
    act: (body) => act(c.ticket, body), units: allUnits, may: me.may, reporter: (kind, body) => numberAction(c, kind, body),
    saved: state.saved?.ticket === c.ticket ? state.saved.text : null,
  });
  box.prepend(back());
  box.dataset.ticket = c.ticket;
  for (const [key, v] of kept) {
    const e = key && find(box, key);
    if (!e) continue;
    if (e.type === 'checkbox') e.checked = v; else e.value = v;
    e.dataset.dirty = '1';
  }
  for (const id of opened) if (id) box.querySelector(`#${id}`)?.setAttribute('open', '');
  const again = focus && find(box, focus);
  if (again) {
    again.focus();
    if (caret) try { again.setSelectionRange(...caret); } catch { /* not a text field */ }
  }
}
// a field the person changed is theirs: a redraw puts it back
for (const ev of ['input', 'change']) $('#detail').addEventListener(ev, (e) => { if (e.target.name) e.target.dataset.dirty = '1'; });

async function numberAction(c, kind, body) {
  const r = await api(`/api/v1/reporters/${encodeURIComponent(c.reporter_phone)}/${kind}`, { method: 'POST', body });
  if (r.ok) openCase(c.ticket, false);
  return r;
}

const hhmm = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'id-ID', { timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit' });
// an action taken: the case as it is now, "saved" on top (kept through live redraws until another
// case is opened), and the focus on the next step, or on the confirmation when there is none
async function act(ticket, body) {
  opening += 1; // a redraw fetched before this action must not draw over its answer
  const r = await api(`/api/v1/cases/${encodeURIComponent(ticket)}/actions`, { method: 'POST', body });
  if (r.ok) {
    state.saved = { ticket, text: t('c.saved', { at: `${hhmm.format(new Date())} WIB`, what: t(`a.${body.action}`) }) };
    // the form just sent starts afresh; what was typed elsewhere in the case stays
    for (const f of document.querySelectorAll(`#detail form[data-action="${body.action}"] [data-dirty]`)) delete f.dataset.dirty;
    show(r.data);
    ($('#main-action select, #main-action input') || $('#saved'))?.focus();
  }
  return r;
}

// the call-taker form: keyboard first
const CT_FIELDS = { category: 'ct-category', priority: 'ct-priority', 'reporter.phone': 'ct-phone', 'reporter.name': 'ct-name',
  'location.regency': 'ct-regency', 'location.district': 'ct-district', 'location.village': 'ct-village',
  'location.address': 'ct-address', description: 'ct-description' };
let ctPlace = { value: () => ({}), reload() {} }; // the kecamatan and desa fields (wilayah.js)
function priorities() {
  const sel = $('#ct-priority');
  const crime = $('#ct-category').value === 'crime';
  const list = crime ? ['emergency', 'high', 'normal'] : $('#ct-category').value === 'feedback' ? ['high', 'normal'] : ['normal'];
  sel.replaceChildren(...list.map((p) => el('option', { value: p, text: t(`pr.${p}`) })));
  sel.value = crime ? 'high' : 'normal';
}
// "Simpan & disposisi" only for an emergency: the caller is on the line, so the report is verified
const emergency = () => $('#ct-category').value === 'crime' && $('#ct-priority').value === 'emergency';
const dispatchButton = () => { $('#ct-dispatch').hidden = !emergency(); };
// the SOP's intake checklist for the chosen category (what to ask the caller), from the version in force
let sopDoc = null;
async function intakeList() {
  const box = $('#ct-intake');
  if (!sopDoc) {
    const r = await api('/api/v1/sop', { background: true });
    if (!r.ok) return;
    sopDoc = r.data.document;
  }
  const cat = sopDoc.categories.find((c) => c.id === $('#ct-category').value);
  const items = cat ? cat.intake : [];
  box.hidden = !items.length;
  box.replaceChildren(el('h3', { text: t('sop.intake') }), el('ul', {}, items.map((x) => el('li', { text: sopText(x) }))));
}
$('#ct-category').addEventListener('change', () => { priorities(); dispatchButton(); intakeList(); });
$('#ct-priority').addEventListener('change', dispatchButton);
function openCall() {
  if (!me || !may(me, 'take_call')) return;
  $('#call-form').reset();
  for (const id of ['#ct-district', '#ct-village']) delete $(id).dataset.code;
  ctPlace.reload();
  priorities();
  dispatchButton();
  intakeList();
  $('#ct-error').hidden = true;
  delete $('#call-form').dataset.tried;
  for (const id of Object.values(CT_FIELDS)) fieldError(id, '');
  $('#call').showModal();
  $('#ct-channel').focus();
}
$('#call-open').addEventListener('click', openCall);
$('#ct-cancel').addEventListener('click', () => $('#call').close());

// every field checked in the page, all errors shown at once (the server checks again)
function checkCall() {
  const errs = {};
  const v = (id) => $(`#${id}`).value.trim();
  if (!v('ct-category')) errs['ct-category'] = t('err.category');
  if (!v('ct-priority')) errs['ct-priority'] = t('err.required');
  if (!v('ct-phone')) errs['ct-phone'] = t('err.required');
  else if (!phoneOk(v('ct-phone'))) errs['ct-phone'] = t('err.phone');
  if (!v('ct-name')) errs['ct-name'] = t('err.required');
  if (!v('ct-regency')) errs['ct-regency'] = t('err.regency');
  if (!v('ct-address')) errs['ct-address'] = t('err.required');
  else if ([...v('ct-address')].length < 3) errs['ct-address'] = t('err.address_short');
  if (!v('ct-description')) errs['ct-description'] = t('err.required');
  else if ([...v('ct-description')].length < 10) errs['ct-description'] = t('err.desc_short');
  return errs;
}
function showCallErrors(errs) {
  for (const id of Object.values(CT_FIELDS)) fieldError(id, errs[id]);
  const ids = Object.values(CT_FIELDS).filter((id) => errs[id]);
  $('#ct-error').textContent = ids.length ? t('ct.fix') : '';
  $('#ct-error').hidden = !ids.length;
  if (ids.length) $(`#${ids[0]}`).focus();
  return ids.length === 0;
}
// once tried, a field is checked again when it is left
for (const id of Object.values(CT_FIELDS)) {
  $(`#${id}`).addEventListener('blur', () => { if ($('#call-form').dataset.tried) fieldError(id, checkCall()[id]); });
}

// keys: Enter in a single-line field moves on (a half entry is never saved by accident);
// Ctrl+Enter saves from anywhere; Ctrl+Shift+Enter saves and dispatches an emergency
$('#call-form').addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.altKey) return;
  if (e.ctrlKey || e.metaKey) {
    e.preventDefault();
    if (e.shiftKey && emergency()) fileCall(true); else $('#call-form').requestSubmit();
    return;
  }
  if (!/^(INPUT|SELECT)$/.test(e.target.tagName)) return; // a textarea takes a new line, a button acts
  e.preventDefault();
  const order = [...$('#call-form').elements].filter((x) => !x.disabled && !x.hidden && x.type !== 'hidden');
  order[order.indexOf(e.target) + 1]?.focus();
});
$('#call-form').addEventListener('submit', (ev) => { ev.preventDefault(); fileCall(false); });
$('#ct-dispatch').addEventListener('click', () => fileCall(true));

async function fileCall(dispatchNow) {
  $('#call-form').dataset.tried = '1';
  if (!showCallErrors(checkCall())) return;
  const v = (id) => $(`#${id}`).value.trim();
  const body = {
    channel: v('ct-channel'), category: v('ct-category'), priority: v('ct-priority'), description: v('ct-description'),
    reporter: { name: v('ct-name'), phone: v('ct-phone') }, location: { regency: v('ct-regency'), ...ctPlace.value(), address: v('ct-address') },
  };
  const buttons = [$('#ct-submit'), $('#ct-dispatch')];
  for (const b of buttons) b.disabled = true;
  filing = true;
  const r = await api('/api/v1/reports', { method: 'POST', body });
  filing = false;
  if (r.ok) state.known.add(r.data.ticket); // its live event may come after the answer: no alert
  if (!r.ok) {
    for (const b of buttons) b.disabled = false;
    const id = CT_FIELDS[r.data.field];
    if (id) { fieldError(id, errText(r.data, r.status)); $(`#${id}`).focus(); } else { $('#ct-error').textContent = errText(r.data, r.status); $('#ct-error').hidden = false; }
    return;
  }
  const ticket = r.data.ticket;
  if (dispatchNow) {
    // the call-taker heard the caller: verified on the line, then straight to the unit picker
    const v2 = await api(`/api/v1/cases/${encodeURIComponent(ticket)}/actions`, { method: 'POST', body: { action: 'verify', method: 'caller_on_line' } });
    state.saved = { ticket, text: v2.ok ? t('c.saved', { at: `${hhmm.format(new Date())} WIB`, what: t('m.caller_on_line') }) : t('ct.verify_failed') };
    if (v2.ok) state.pick = ticket;
  }
  for (const b of buttons) b.disabled = false;
  $('#call').close();
  location.hash = ticket;
}

document.addEventListener('keydown', (e) => {
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName) || $('#call').open;
  if (typing || e.ctrlKey || e.altKey || e.metaKey) return;
  if (e.key === 'n' || e.key === 'N') { e.preventDefault(); openCall(); }
  if (e.key === '/') { e.preventDefault(); $('#q').focus(); }
});

for (const id of ['#f-status', '#f-category', '#f-lane', '#f-overdue']) $(id).addEventListener('change', () => { state.page = 1; load(); });
$('#q').addEventListener('input', debounce(() => { state.page = 1; load(); }, 300));
$('#filters').addEventListener('submit', (e) => { e.preventDefault(); state.page = 1; load(); });
$('#prev').addEventListener('click', () => { state.page -= 1; load(); });
$('#next').addEventListener('click', () => { state.page += 1; load(); });
window.addEventListener('hashchange', () => {
  if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
  else $('.console').classList.remove('viewing');
});

me = await staffSession({ tools: [sound] });
unreadChanged();
$('#call-open').hidden = !may(me, 'take_call');
live();
const first = load(); // the queue first; the units (for dispatch and the call form) meanwhile
allUnits = await units();
await fillRegencies($('#ct-regency'));
ctPlace = placeFields($('#ct-regency'), $('#ct-district'), $('#ct-village'), null, { lock: false });
await first;
if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
