// The auditor's read-only view: every case with its full history, the access log (filtered by
// user, action, ticket and WIB dates; times to the second; the same filters export as CSV from
// the server), the hash chains.
import { t, tn, errText, actionText, applyI18n } from './i18n.js';
import { $, el, api, debounce, fmtTime } from './util.js';
import { staffSession } from './staff.js';
import { renderCase, statusBadge } from './case-view.js';
import { integrityButton } from './integrity.js';

applyI18n();
const PER_PAGE = 25;
const LOG_LIMIT = 500;
// the access-log actions a filter offers (others can still be typed into the address)
const ACTIONS = ['login', 'login_failed', 'login_locked', 'login_pending', 'read_queue', 'read_case', 'read_reporter',
  'block_number', 'lift_block', 'user_add', 'user_passwd', 'user_disable', 'user_enable', 'user_confirm', 'verify_integrity',
  'export_access_log', 'node_invite', 'node_new_epoch', 'release_publish_attempt', 'release_publish',
  'sop_draft', 'sop_edit', 'sop_submit', 'sop_return', 'sop_approve', 'sop_ratify', 'sop_upload'];
let page = 1;
for (const s of ['new', 'verified', 'dispatched', 'acknowledged', 'in_progress', 'resolved', 'closed', 'rejected']) {
  $('#f-status').append(el('option', { value: s, text: t(`st.${s}`) }));
}
$('#lf-action').append(el('option', { value: '', text: t('au.f_any') }),
  ...ACTIONS.map((a) => el('option', { value: a, text: actionText(a) })));

async function loadCases() {
  const p = new URLSearchParams({ lane: 'all', page, per_page: PER_PAGE });
  if ($('#f-status').value) p.set('status', $('#f-status').value);
  if ($('#q').value.trim()) p.set('q', $('#q').value.trim());
  const r = await api(`/api/v1/cases?${p}`);
  if (!r.ok) return;
  $('#rows').replaceChildren(...r.data.items.map((c) => el('tr', { 'data-ticket': c.ticket },
    el('td', { class: 'tk' }, el('a', { href: `#${c.ticket}`, text: c.ticket })),
    el('td', {}, el('b', { text: t(`cat.${c.category}`) }), el('span', { class: 'excerpt', text: c.excerpt })),
    el('td', {}, statusBadge(c.status)), el('td', { text: fmtTime(c.updated_at) }))));
  const pages = Math.max(1, Math.ceil(r.data.total / PER_PAGE));
  $('#pageno').textContent = `${t('q.page')} ${page} / ${pages}`;
  $('#prev').disabled = page <= 1;
  $('#next').disabled = page >= pages;
}

async function openCase(ticket) {
  const r = await api(`/api/v1/cases/${encodeURIComponent(ticket)}`);
  if (r.ok) renderCase($('#detail'), r.data);
}

// the access log's filters, as the query both the list and the CSV export take
function logQuery() {
  const p = new URLSearchParams();
  for (const [id, name] of [['lf-actor', 'actor'], ['lf-action', 'action'], ['lf-ticket', 'ticket'], ['lf-from', 'date_from'], ['lf-to', 'date_to']]) {
    const v = $(`#${id}`).value.trim();
    if (v) p.set(name, v);
  }
  return p;
}

async function loadLog() {
  const q = logQuery();
  $('#csv').href = `/api/v1/access-log.csv?${q}`;
  q.set('limit', LOG_LIMIT);
  const r = await api(`/api/v1/access-log?${q}`);
  $('#log-error').hidden = r.ok;
  if (!r.ok) { $('#log-error').textContent = errText(r.data, r.status); return; }
  $('#chain').textContent = t(r.data.chain_ok ? 'au.chain_ok' : 'au.chain_bad');
  $('#chain').className = r.data.chain_ok ? 'alert ok' : 'alert danger';
  $('#log-count').textContent = tn('au.shown', r.data.entries.length);
  $('#log').replaceChildren(...r.data.entries.map((e) => el('tr', { 'data-action': e.action },
    el('td', { text: fmtTime(e.at, { seconds: true }) }), el('td', { text: e.actor }), el('td', { text: actionText(e.action) }),
    el('td', { class: 'muted', text: e.target }), el('td', { text: e.from }))));
}

$('#f-status').addEventListener('change', () => { page = 1; loadCases(); });
$('#q').addEventListener('input', debounce(() => { page = 1; loadCases(); }, 300));
$('#filters').addEventListener('submit', (e) => { e.preventDefault(); loadCases(); });
$('#prev').addEventListener('click', () => { page -= 1; loadCases(); });
$('#next').addEventListener('click', () => { page += 1; loadCases(); });
$('#log-filters').addEventListener('submit', (e) => { e.preventDefault(); loadLog(); });
$('#log-filters').addEventListener('reset', () => setTimeout(loadLog));
window.addEventListener('hashchange', () => openCase(decodeURIComponent(location.hash.slice(1))));

await staffSession();
integrityButton($('#integrity'), $('#integrity-out'));
loadCases();
loadLog();
if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
