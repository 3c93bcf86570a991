// The auditor's read-only view: every case with its full history, the access log, the hash chains.
import { t, applyI18n } from './i18n.js';
import { $, el, api, debounce, fmtTime } from './util.js';
import { staffSession } from './staff.js';
import { renderCase, statusBadge } from './case-view.js';
import { integrityButton } from './integrity.js';

applyI18n();
const PER_PAGE = 25;
let page = 1;
for (const s of ['new', 'verified', 'dispatched', 'acknowledged', 'in_progress', 'resolved', 'closed', 'rejected']) {
  $('#f-status').append(el('option', { value: s, text: t(`st.${s}`) }));
}

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

async function loadLog() {
  const r = await api('/api/v1/access-log?limit=200');
  if (!r.ok) return;
  $('#chain').textContent = t(r.data.chain_ok ? 'au.chain_ok' : 'au.chain_bad');
  $('#chain').className = r.data.chain_ok ? 'alert ok' : 'alert danger';
  $('#log').replaceChildren(...r.data.entries.map((e) => el('tr', {},
    el('td', { text: fmtTime(e.at) }), el('td', { text: e.actor }), el('td', { text: e.action }), el('td', { class: 'muted', text: e.target }), el('td', { text: e.from }))));
}

$('#f-status').addEventListener('change', () => { page = 1; loadCases(); });
$('#q').addEventListener('input', debounce(() => { page = 1; loadCases(); }, 300));
$('#filters').addEventListener('submit', (e) => { e.preventDefault(); loadCases(); });
$('#prev').addEventListener('click', () => { page -= 1; loadCases(); });
$('#next').addEventListener('click', () => { page += 1; loadCases(); });
window.addEventListener('hashchange', () => openCase(decodeURIComponent(location.hash.slice(1))));

await staffSession();
integrityButton($('#integrity'), $('#integrity-out'));
loadCases();
loadLog();
if (location.hash.length > 1) openCase(decodeURIComponent(location.hash.slice(1)));
