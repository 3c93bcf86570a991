// The operator console: the queue (server-side paging and filtering, live over Server-Sent
// Events), one case with its history and actions, and the call-taker form.
import { t, tn, errText, applyI18n } from './i18n.js';
import { $, el, api, debounce, fieldError, fillRegencies, fmtTime, units } from './util.js';
import { staffSession, may, sessionEnded, onRelogin } from './staff.js';
import { renderCase, statusBadge, priorityBadge, badge } from './case-view.js';
import { countdown } from './countdown.js';
import { soundToggle, crimeAlert } from './alert.js';

applyI18n();
const PER_PAGE = 50;
const OPEN = ['new', 'verified', 'dispatched', 'acknowledged', 'in_progress', 'resolved'];
const RANK = { emergency: 0, high: 1, normal: 2 };
const state = { items: [], total: 0, page: 1, selected: null, known: new Set() };
let loads = 0;
let missed = null; // live changes seen while a load is in flight
let filing = false; // a call-taker report is being saved
let me;
let allUnits = [];

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
  const seq = ++loads;
  missed = [];
  const r = await api(`/api/v1/cases?${p}`, { background });
  if (seq !== loads) return; // a newer load is under way
  const during = missed;
  missed = null;
  if (!r.ok) { $('#rows').replaceChildren(el('tr', {}, el('td', { colspan: 5, text: errText(r.data, r.status) }))); return; }
  state.items = r.data.items;
  state.total = r.data.total;
  for (const c of state.items) state.known.add(c.ticket);
  render();
  // changes that arrived while the page was fetched may be newer than what it holds
  for (const c of during) apply(c);
}

// the server's order: priority, then suspect reports after the others, then the nearest deadline
const key = (c) => [RANK[c.priority] ?? 9, c.prank.marked ? 1 : 0, c.deadline ? Date.parse(c.deadline.due_at) : Infinity, c.ticket];
function cmp(a, b) {
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function matches(c, f) {
  if (f.status ? c.status !== f.status : !OPEN.includes(c.status)) return false;
  if (f.category && c.category !== f.category) return false;
  if (f.lane === 'main' && c.prank.blocked && c.category !== 'crime') return false;
  if (f.lane === 'blocked' && !c.prank.blocked) return false;
  if (f.overdue && !(c.deadline && Date.parse(c.deadline.due_at) <= Date.now())) return false;
  return true;
}

function row(c) {
  const link = el('a', { href: `#${c.ticket}`, text: c.ticket });
  const tr = el('tr', { 'data-ticket': c.ticket, class: c.ticket === state.selected ? 'sel' : '' },
    el('td', {}, priorityBadge(c.priority)),
    el('td', { class: 'tk' }, link, el('span', { class: 'excerpt', text: fmtTime(c.created_at) })),
    el('td', {}, el('b', { text: t(`cat.${c.category}`) }), ' ', t(`ch.${c.channel}`),
      c.prank.marked ? [' ', badge('suspect', t('q.suspect'))] : null, c.prank.blocked ? [' ', badge('blocked', t('q.blocked'))] : null,
      el('span', { class: 'excerpt clip', text: c.excerpt }), el('span', { class: 'excerpt', text: `${c.reporter_name} · ${c.regency}` })),
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
  if (isNew && !mine && c.category === 'crime' && c.status === 'new' && c.created_at === c.updated_at) crimeAlert(c.ticket);
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
  if (c.ticket === state.selected && !$('#detail').contains(document.activeElement) && !typed()) openCase(c.ticket, false, true);
}
const refetch = debounce(() => load(true), 250);

// text typed into the open case's forms (a note, a summary) is never thrown away by a live update
const typed = () => [...document.querySelectorAll('#detail input[type=text], #detail textarea')]
  .some((e) => ['note', 'text', 'summary', 'reason'].includes(e.name) && e.value.trim());

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
  // the session ended (logout elsewhere, expiry, account changed): the stream says so last; the
  // re-login happens in place and the stream is opened again (onRelogin below)
  es.addEventListener('ended', () => { es.close(); mark(false); sessionEnded(); });
}
onRelogin(() => { live(); load(true); });

async function openCase(ticket, focus = true, background = false) {
  state.selected = ticket;
  for (const r of document.querySelectorAll('#rows tr')) r.classList.toggle('sel', r.dataset.ticket === ticket);
  const box = $('#detail');
  const r = await api(`/api/v1/cases/${encodeURIComponent(ticket)}`, { background });
  if (!r.ok) { box.replaceChildren(el('p', { class: 'alert danger', text: errText(r.data, r.status) })); return; }
  show(r.data);
  if (focus) $('#case-title').focus();
}

function show(c) {
  renderCase($('#detail'), c, {
    act: (body) => act(c.ticket, body), units: allUnits, may: me.may, reporter: (kind, body) => numberAction(c, kind, body),
  });
}

async function numberAction(c, kind, body) {
  const r = await api(`/api/v1/reporters/${encodeURIComponent(c.reporter_phone)}/${kind}`, { method: 'POST', body });
  if (r.ok) openCase(c.ticket, false);
  return r;
}

async function act(ticket, body) {
  const r = await api(`/api/v1/cases/${encodeURIComponent(ticket)}/actions`, { method: 'POST', body });
  if (r.ok) {
    show(r.data);
    $('#actions')?.prepend(el('p', { class: 'alert ok', role: 'status', text: t('c.done') }));
  }
  return r;
}

// the call-taker form: keyboard first
const CT_FIELDS = { category: 'ct-category', priority: 'ct-priority', 'reporter.phone': 'ct-phone', 'reporter.name': 'ct-name',
  'location.regency': 'ct-regency', 'location.address': 'ct-address', description: 'ct-description' };
function priorities() {
  const sel = $('#ct-priority');
  const crime = $('#ct-category').value === 'crime';
  const list = crime ? ['emergency', 'high', 'normal'] : $('#ct-category').value === 'feedback' ? ['high', 'normal'] : ['normal'];
  sel.replaceChildren(...list.map((p) => el('option', { value: p, text: t(`pr.${p}`) })));
  sel.value = crime ? 'high' : 'normal';
}
$('#ct-category').addEventListener('change', priorities);
function openCall() {
  if (!me || !may(me, 'take_call')) return;
  $('#call-form').reset();
  priorities();
  $('#ct-error').hidden = true;
  for (const id of Object.values(CT_FIELDS)) fieldError(id, '');
  $('#call').showModal();
  $('#ct-channel').focus();
}
$('#call-open').addEventListener('click', openCall);
$('#ct-cancel').addEventListener('click', () => $('#call').close());
$('#ct-description').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('#call-form').requestSubmit(); }
});
$('#call-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  for (const id of Object.values(CT_FIELDS)) fieldError(id, '');
  const v = (id) => $(`#${id}`).value.trim();
  const body = {
    channel: v('ct-channel'), category: v('ct-category'), priority: v('ct-priority'), description: v('ct-description'),
    reporter: { name: v('ct-name'), phone: v('ct-phone') }, location: { regency: v('ct-regency'), address: v('ct-address') },
  };
  filing = true;
  const r = await api('/api/v1/reports', { method: 'POST', body });
  filing = false;
  if (r.ok) state.known.add(r.data.ticket); // its live event may come after the answer: no alert
  if (!r.ok) {
    const id = CT_FIELDS[r.data.field];
    if (id) { fieldError(id, errText(r.data, r.status)); $(`#${id}`).focus(); } else { $('#ct-error').textContent = errText(r.data, r.status); $('#ct-error').hidden = false; }
    return;
  }
  $('#call').close();
  location.hash = r.data.ticket;
});

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
window.addEventListener('hashchange', () => { if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1))); });

me = await staffSession({ tools: [sound] });
$('#call-open').hidden = !may(me, 'take_call');
live();
const first = load(); // the queue first; the units (for dispatch and the call form) meanwhile
allUnits = await units();
fillRegencies($('#ct-regency'));
await first;
if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
