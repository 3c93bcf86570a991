// The Command Center board for a wall screen: today's figures, overdue and escalated cases, units'
// deadlines, the map and (at the hub) the posts' sync. Refreshes on every live change.
import { t, errText, applyI18n } from './i18n.js';
import { $, el, api, clockWib, debounce, fmtTime, units } from './util.js';
import { staffSession, sessionEnded, onRelogin } from './staff.js';
import { drawMap } from './map.js';
import { countdown } from './countdown.js';

applyI18n();
const STATES = ['new', 'verified', 'dispatched', 'acknowledged', 'in_progress', 'resolved', 'closed', 'rejected'];
const CATS = ['crime', 'information', 'feedback', 'appreciation'];
const NS = 'http://www.w3.org/2000/svg';
let plot = () => {};

function bar(fraction) {
  const s = document.createElementNS(NS, 'svg');
  s.setAttribute('viewBox', '0 0 100 10');
  s.setAttribute('preserveAspectRatio', 'none');
  s.setAttribute('aria-hidden', 'true');
  const r = document.createElementNS(NS, 'rect');
  r.setAttribute('width', String(Math.max(0.5, fraction * 100)));
  r.setAttribute('height', '10');
  r.setAttribute('fill', '#4f8fd6');
  s.append(r);
  return s;
}

function bars(list, rows) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  list.replaceChildren(...rows.map(([label, n, key]) => el('li', { 'data-key': key },
    el('span', { text: label }), bar(n / max), el('span', { class: 'n', text: String(n) }))));
}

function caseRows(tbody, list, extra) {
  tbody.replaceChildren(...(list.length ? list.map((c) => el('tr', { 'data-ticket': c.ticket },
    el('td', { class: 'tk', text: c.ticket }), el('td', { text: `${t(`cat.${c.category}`)} · ${c.regency}` }), el('td', {}, extra(c))))
    : [el('tr', {}, el('td', { text: t('b.none') }))]));
}

// the board refreshes by itself (live changes, a timer): that does not keep a session alive
async function loadBoard() {
  const r = await api('/api/v1/board', { background: true });
  if (!r.ok) return;
  const b = r.data;
  $('#node').textContent = `${t('b.node')} ${b.node} · ${t('b.updated')} ${fmtTime(b.now)}`;
  $('#k-today').textContent = b.reported_today;
  $('#k-open').textContent = b.open;
  $('#k-overdue').textContent = b.overdue.length;
  $('#k-overdue-card').classList.toggle('alarm', b.overdue.length > 0);
  $('#k-esc').textContent = b.escalations_today;
  bars($('#by-status'), STATES.map((s) => [t(`st.${s}`), b.today_by_status[s] || 0, s]));
  bars($('#by-category'), CATS.map((c) => [t(`cat.${c}`), b.today_by_category[c] || 0, c]));
  caseRows($('#overdue'), b.overdue, (c) => (c.due_at ? countdown(c.due_at) : '—'));
  caseRows($('#escalated'), b.escalated, (c) => `${t('b.rung')} ${c.escalation_rung} · ${t(`st.${c.status}`)}`);
  $('#units').replaceChildren(...(b.units.length ? b.units.map((u) => el('li', { 'data-unit': u.unit },
    el('span', { text: u.unit }), bar(u.share), el('span', { class: 'n', text: `${Math.round(u.share * 100)}%` }),
  )) : [el('li', { text: t('b.none') })]));
  plot(b.points);
}

async function loadSync() {
  const r = await api('/api/v1/sync/status', { background: true });
  const box = $('#sync');
  if (r.status === 404) { box.replaceChildren(el('p', { class: 'hint', text: t('b.nosync') })); return; }
  if (!r.ok) { box.replaceChildren(el('p', { class: 'hint', text: errText(r.data, r.status) })); return; }
  const peers = r.data.peers || [];
  if (!peers.length) { box.replaceChildren(el('p', { class: 'hint', text: t('b.nopeers') })); return; }
  box.replaceChildren(el('table', {},
    el('thead', {}, el('tr', {}, ['b.node', 'b.connected', 'b.last', 'b.backlog', 'b.version'].map((k) => el('th', { scope: 'col', text: t(k) })))),
    el('tbody', {}, peers.map((p) => el('tr', {},
      el('td', { text: `${p.node} (${p.direction})` }),
      el('td', {}, el('span', { class: p.connected ? 'up' : 'down', text: t(p.connected ? 'b.connected' : 'b.disconnected') }),
        p.last_error ? el('span', { class: 'excerpt', text: p.last_error }) : null),
      el('td', { text: fmtTime(p.last_contact) }),
      el('td', { text: `${p.events_waiting}${p.lag_seconds !== null && p.lag_seconds !== undefined ? ` · ${Math.round(p.lag_seconds)} s` : ''}` }),
      el('td', {}, el('span', { text: p.version || '–' }),
        p.update && p.update.on_probation ? el('span', { class: 'excerpt', text: t('b.probation') }) : null,
        p.update && p.update.last_rollback ? el('span', { class: 'excerpt', text: `${t('b.rollback')} ${p.update.last_rollback.version}` }) : null))))));
}

function live() {
  const es = new EventSource('/api/v1/stream');
  const refresh = debounce(loadBoard, 400);
  es.addEventListener('open', () => { $('#live').textContent = t('q.live'); $('#live').classList.remove('off'); });
  es.addEventListener('error', () => { $('#live').textContent = t('q.offline'); $('#live').classList.add('off'); });
  es.addEventListener('case', refresh);
  es.addEventListener('resync', refresh);
  // the session ended: the stream says so last; after the re-login the board follows again
  es.addEventListener('ended', () => { es.close(); $('#live').textContent = t('q.offline'); $('#live').classList.add('off'); sessionEnded(); });
}
onRelogin(() => { live(); loadBoard(); });

setInterval(() => { $('#clock').textContent = clockWib(); }, 1000);
$('#clock').textContent = clockWib();
await staffSession();
plot = drawMap($('#map'), await units());
live();
await Promise.all([loadBoard(), loadSync()]);
setInterval(loadBoard, 30_000);
setInterval(loadSync, 15_000);
