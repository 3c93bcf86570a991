// The Command Center board for a wall screen: today's figures, overdue and escalated cases, units'
// deadlines, the map and (at the hub) the posts' sync. Refreshes on every live change. It fits
// one screen (wall.css): each list shows what fits its card and "+N" for the rest.
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
let last = null; // the last board, drawn again when the screen changes size
let directory = []; // the units directory: posts by name

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

/** Hides the last items of `list` that do not fit `card`, and says how many with a "+N" item. */
function fit(card, list, more) {
  const items = [...list.children];
  const over = () => card.scrollHeight > card.clientHeight + 1;
  let hidden = 0;
  for (let i = items.length - 1; i >= 0 && over(); i--) { items[i].hidden = true; hidden += 1; }
  if (!hidden) return;
  const last = more(t('bw.more', { n: hidden }));
  list.append(last);
  // the "+N" line takes a place too
  for (let i = items.length - hidden - 1; i >= 0 && over(); i--) {
    items[i].hidden = true;
    hidden += 1;
    last.textContent = t('bw.more', { n: hidden });
  }
}

function bars(list, rows) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  list.replaceChildren(...rows.map(([label, n, key]) => el('li', { 'data-key': key },
    el('span', { text: label }), bar(n / max), el('span', { class: 'n', text: String(n) }))));
}

function caseRows(tbody, list, extra) {
  // two lines a case: the ticket and its time; what it is and where (or which unit has it)
  tbody.replaceChildren(...(list.length ? list.map((c) => el('tr', { 'data-ticket': c.ticket, class: c.alarm ? 'alarm' : '' },
    el('td', { class: 'what' }, el('span', { class: 'tk', text: c.ticket }),
      el('span', { text: `${t(`cat.${c.category}`)} · ${c.unit_name || c.regency}` })),
    el('td', { class: 'when' }, extra(c))))
    : [el('tr', {}, el('td', { text: t('b.none') }))]));
  fit(tbody.closest('.card'), tbody, (text) => el('tr', { class: 'more' }, el('td', { colspan: 2, text })));
}

function draw(b) {
  $('#node').textContent = `${t('b.node')} ${b.node} · ${t('b.updated')} ${fmtTime(b.now)}`;
  $('#k-today').textContent = b.reported_today;
  $('#k-open').textContent = b.open;
  $('#k-overdue').textContent = b.overdue.length;
  $('#k-overdue-card').classList.toggle('alarm', b.overdue.length > 0);
  $('#k-esc').textContent = b.escalations_today;
  bars($('#by-status'), STATES.map((s) => [t(`st.${s}`), b.today_by_status[s] || 0, s]));
  bars($('#by-category'), CATS.map((c) => [t(`cat.${c}`), b.today_by_category[c] || 0, c]));
  caseRows($('#overdue'), b.overdue, (c) => (c.due_at ? countdown(c.due_at) : '—'));
  caseRows($('#escalated'), b.escalated, (c) => `${t('b.rung')} ${c.escalation_rung}`);
  // the units that keep fewest deadlines first: the wall shows who needs help
  const shares = [...b.units].sort((x, y) => x.share - y.share || x.name.localeCompare(y.name));
  $('#units').replaceChildren(...(shares.length ? shares.map((u) => el('li', { 'data-unit': u.unit, title: u.unit },
    el('span', { text: u.name }), bar(u.share), el('span', { class: 'n', text: `${Math.round(u.share * 100)}%` }),
  )) : [el('li', { text: t('b.none') })]));
  fit($('#c-units'), $('#units'), (text) => el('li', { class: 'more', text }));
  plot(b.points, b.unlocated);
}

// the board refreshes by itself (live changes, a timer): that does not keep a session alive
async function loadBoard() {
  const r = await api('/api/v1/board', { background: true });
  if (!r.ok) return;
  last = r.data;
  draw(last);
}

async function loadSync() {
  const r = await api('/api/v1/sync/status', { background: true });
  const box = $('#sync');
  const say = (key) => box.replaceChildren(el('p', { class: 'hint', text: t(key) }));
  if (r.status === 404) { say('b.nosync'); return; }
  if (!r.ok) { box.replaceChildren(el('p', { class: 'hint', text: errText(r.data, r.status) })); return; }
  const peers = r.data.peers || [];
  const ex = r.data.export;
  if (!peers.length && !ex) { say('bw.nopeers'); return; }
  // one line: each post, connected or not, with what waits to be sent
  const name = (node) => directory.find((u) => u.code === node)?.name || node;
  const items = peers.map((p) => el('span', { 'data-node': p.node },
    el('span', { class: p.connected ? 'up' : 'down', text: `${name(p.node)} ${p.connected ? '●' : '○'}` }),
    ` ${p.connected ? t('b.connected') : `${t('b.disconnected')} · ${fmtTime(p.last_contact)}`}`,
    p.events_waiting ? ` · ${t('b.backlog')} ${p.events_waiting}` : '',
    p.update && p.update.on_probation ? ` · ${t('b.probation')}` : '',
    p.sop_version ? el('span', { class: 'sop-version', text: ` · SOP ${p.sop_version}` }) : ''));
  // the export to PostgreSQL (export_postgres): up or failing, and what waits to be exported
  if (ex) {
    const up = ex.state === 'exporting' || ex.state === 'caught_up';
    items.push(el('span', { 'data-node': 'export', title: ex.last_error || '' },
      el('span', { class: up ? 'up' : 'down', text: `PostgreSQL ${up ? '●' : '○'}` }),
      ` ${up ? t('b.connected') : t('b.disconnected')}`,
      ex.lag_events ? ` · ${t('b.backlog')} ${ex.lag_events}` : ''));
  }
  box.replaceChildren(el('p', {}, ...items));
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

// fullscreen: the wall PC shows the board alone, without the browser's bars
const fs = $('#fullscreen');
fs.hidden = !document.fullscreenEnabled;
fs.addEventListener('click', () => (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()));
document.addEventListener('fullscreenchange', () => { fs.textContent = t(document.fullscreenElement ? 'bw.fullscreen_exit' : 'bw.fullscreen'); });
window.addEventListener('resize', debounce(() => { if (last) draw(last); }, 200));

setInterval(() => { $('#clock').textContent = clockWib(); }, 1000);
$('#clock').textContent = clockWib();
await staffSession();
directory = await units();
plot = drawMap($('#map'), directory);
live();
await Promise.all([loadBoard(), loadSync()]);
setInterval(loadBoard, 30_000);
setInterval(loadSync, 15_000);
