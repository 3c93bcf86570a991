// Small helpers shared by every page: building elements (text only, never HTML), calling the
// API, and showing times in WIB.
import { t, lang, fmtDate } from './i18n.js';

/** Builds an element. `attrs`: class, text, and plain attributes; children: nodes or strings (as text). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'hidden') e.hidden = true;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

let csrf = '';
export function setCsrf(token) { csrf = token || ''; }

/** The page's session watcher (set by staff.js): `seen(seconds)` on every answer that says when
 * the session ends, `relogin()` (a promise) when a request finds the session gone. */
let session = null;
export function watchSession(w) { session = w; }

/** Calls the API; resolves to { ok, status, data } and never throws for an HTTP error.
 * `background`: the page asks by itself (a periodic refresh, a session check), so the request
 * does not renew the session. On a staff page whose session has ended, the request waits for the
 * re-login in place and is then sent once more. */
export async function api(path, { method = 'GET', body, background = false } = {}, again = true) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  if (background) headers['X-Background'] = '1';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    return { ok: false, status: 0, data: { code: 'network', message: t('err.network') } };
  }
  const left = r.headers.get('X-Session-Expires-In');
  if (session && left !== null) session.seen(Number(left));
  if (session && r.status === 401 && again && path !== '/api/v1/session') {
    await session.relogin();
    return api(path, { method, body, background }, false);
  }
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch { data = null; }
  }
  return { ok: r.ok, status: r.status, data: data ?? {} };
}

/** A time from the API (RFC 3339) as a WIB date and time in the chosen language, e.g.
 * "28 Nov 2026 22.04 WIB"; `{ seconds: true }` to the second (see `fmtDate` in i18n.js). */
export const fmtTime = (iso, opts) => fmtDate(iso, opts);

/** The clock now in WIB, with seconds. */
export const clockWib = (d = new Date()) => fmtDate(d, { seconds: true, date: false });

/** A duration in ms: "04:59" under an hour, then "2j 05m" and "3h 4j" (English: "2h 05m", "3d 4h"). */
export function fmtDur(ms) {
  const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  const [D, H] = lang === 'en' ? ['d', 'h'] : ['h', 'j'];
  if (d) return `${d}${D} ${h}${H}`;
  if (h) return `${h}${H} ${String(m).padStart(2, '0')}m`;
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A Polri-style phone check, the same rules as the server: Indonesian numbers and E.164. */
export function phoneOk(raw) {
  const s = raw.trim();
  if (!/^\+?[0-9 ().-]+$/.test(s) || s.indexOf('+') > 0) return false;
  let d = s.replace(/[^0-9]/g, '');
  if (s.startsWith('+')) { /* already international */ }
  else if (d.startsWith('00')) d = d.slice(2);
  else if (d.startsWith('0')) d = `62${d.slice(1)}`;
  else if (d.startsWith('62')) { /* keep */ }
  else if (d.startsWith('8')) d = `62${d}`;
  else return false;
  if (d.startsWith('62')) { const n = d.slice(2); return n.length >= 7 && n.length <= 12 && !n.startsWith('0'); }
  return d.length >= 8 && d.length <= 15 && !d.startsWith('0');
}

/** Shows a field's error next to it (`e-<id>`), and marks the input for assistive technology. */
export function fieldError(id, message) {
  const input = document.getElementById(id);
  const out = document.getElementById(`e-${id}`);
  if (out) out.textContent = message || '';
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

/** Debounce: run `f` once calls stop for `ms`. */
export function debounce(f, ms) {
  let timer = 0;
  return (...a) => { clearTimeout(timer); timer = setTimeout(() => f(...a), ms); };
}

/** The units directory (public): regencies for the form, units for dispatch, seats for the map. */
let unitsCache;
export async function units() {
  if (!unitsCache) {
    const r = await api('/api/v1/units');
    unitsCache = r.ok ? r.data : [];
  }
  return unitsCache;
}

/** Fills a <select> with the regencies of the Polda, sorted by name. */
export async function fillRegencies(select) {
  const names = [...new Set((await units()).map((u) => u.regency).filter(Boolean))].sort((a, b) => a.localeCompare(b, 'id'));
  for (const n of names) select.append(el('option', { value: n, text: n }));
}

/** Asks in the page's `#confirm` dialog; resolves true when the person confirms. Esc or "Batal" cancels. */
export function ask(text, yes) {
  const d = $('#confirm');
  $('#confirm-text').textContent = text;
  $('#confirm-yes').textContent = yes;
  d.showModal();
  $('#confirm-no').focus();
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'yes'), { once: true });
  });
}
