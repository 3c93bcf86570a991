// The staff pages' shell, built here once for every staff page: the header (brand, navigation,
// who is logged in, log out, the language switch), the login gate, and the session's end: a
// warning 10 minutes before it, and a re-login in place that keeps the page as it is.
// Which pages a role may open comes from the server (`pages` in `GET /api/v1/me`, from
// `Role::pages`); what it may do, from `may` (`Role::may`). No role list lives here.
import { t, applyI18n } from './i18n.js';
import { $, el, api, setCsrf, watchSession, fmtDur } from './util.js';

// this page's name, as `me.pages` lists it: `/konsol` -> `konsol` (`/latihan/ID` -> `latihan`)
const PAGE = location.pathname.split('/').filter(Boolean)[0] || '';

// the dark theme for the night shift: a header toggle, remembered in this browser, on every staff page
const THEME = 'banpol.theme';
const storedDark = () => { try { return localStorage.getItem(THEME) === 'dark'; } catch { return false; } };
document.documentElement.dataset.theme = storedDark() ? 'dark' : 'light';
function themeToggle() {
  const b = el('button', { type: 'button', id: 'theme', text: t('theme.dark') });
  const show = () => {
    const on = document.documentElement.dataset.theme === 'dark';
    b.setAttribute('aria-pressed', String(on));
    b.classList.toggle('on', on);
  };
  b.addEventListener('click', () => {
    const on = document.documentElement.dataset.theme !== 'dark';
    document.documentElement.dataset.theme = on ? 'dark' : 'light';
    try { localStorage.setItem(THEME, on ? 'dark' : 'light'); } catch { /* private mode */ }
    show();
  });
  show();
  return b;
}

/** Whether the logged-in person may take `action` (`take_call`, `confirm_accounts`, ...). */
export const may = (me, action) => me.may.includes(action);

// the header and the login form, in front of the page's own `#app`
function shell(tools) {
  const header = el('header', { class: 'top' },
    el('a', { class: 'brand', id: 'brand', href: `/${PAGE}` },
      el('span', { text: t('app.title') }), el('small', { text: t('app.polda') })),
    el('nav', { id: 'staff-nav', 'aria-label': t('nav.main'), hidden: true }),
    el('span', { class: 'who', id: 'who' }),
    ...tools,
    themeToggle(),
    el('button', { type: 'button', id: 'logout', hidden: true, text: t('nav.logout') }),
    el('button', { type: 'button', id: 'lang' }));
  document.body.prepend(header);
  const field = (id, label, attrs) => el('div', { class: 'field' },
    el('label', { for: id, text: t(label) }), el('input', { id, required: true, ...attrs }));
  $('#main').prepend(el('section', { id: 'login', class: 'card login', hidden: true },
    el('h1', { text: t('lg.heading') }),
    el('form', { id: 'login-form' },
      field('login-user', 'lg.user', { type: 'text', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false' }),
      field('login-pass', 'lg.pass', { type: 'password', autocomplete: 'current-password' }),
      el('button', { type: 'submit', id: 'login-submit', text: t('lg.submit') })),
    el('p', { id: 'login-error', class: 'alert danger', role: 'alert', hidden: true })));
  applyI18n(header); // wires the language switch
}

function showNav(me) {
  const nav = $('#staff-nav');
  nav.replaceChildren(...me.pages.map((p) => {
    const a = el('a', { href: `/${p}`, text: t(`nav.${p}`) });
    if (p === PAGE) a.setAttribute('aria-current', 'page');
    return a;
  }));
  nav.hidden = false;
  if (me.pages.length) $('#brand').href = `/${me.pages.includes(PAGE) ? PAGE : me.pages[0]}`;
  $('#who').textContent = `${me.username} · ${t(`role.${me.role}`)}${me.unit ? ` ${me.unit}` : ''} · ${me.node}`;
  const out = $('#logout');
  out.hidden = false;
  out.addEventListener('click', async () => {
    leaving = true;
    await api('/api/v1/session', { method: 'DELETE' });
    location.reload();
  });
}

/** Builds the page's shell (`tools`: extra header buttons, before "log out"), then resolves with
 * the logged-in person once their role may open this page; shows the login form until then. */
export async function staffSession({ tools = [] } = {}) {
  shell(tools);
  const r = await api('/api/v1/me');
  if (r.ok) return admit(r.data);
  const box = $('#login');
  box.hidden = false;
  $('#login-user').focus();
  return new Promise((resolve) => {
    $('#login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const err = $('#login-error');
      err.hidden = true;
      const res = await api('/api/v1/session', {
        method: 'POST', body: { username: $('#login-user').value.trim(), password: $('#login-pass').value },
      });
      if (!res.ok) {
        err.textContent = res.status === 429 ? t('lg.locked') : res.status === 0 ? t('err.network')
          : res.data.code === 'account_pending' ? t('lg.pending') : t('lg.bad');
        err.hidden = false;
        $('#login-pass').select();
        return;
      }
      box.hidden = true;
      resolve(admit(res.data));
    });
  });
}

function admit(me) {
  setCsrf(me.csrf_token);
  showNav(me);
  watch(me);
  if (!me.pages.includes(PAGE)) {
    $('#login').hidden = false;
    $('#login-form').hidden = true;
    $('#login-error').textContent = t('lg.role');
    $('#login-error').hidden = false;
    return new Promise(() => {});
  }
  $('#app').hidden = false;
  return me;
}

// ----- the session's end ------------------------------------------------------------------------
// The server ends a session `session_ttl` after the user's last own request; every answer says
// how long is left (X-Session-Expires-In). Ten minutes before the end a warning offers to stay
// signed in; at the end a dialog asks for the password again, over the page, so the open case,
// the call form and anything typed stay as they were. Requests that met the end are sent again
// once the user is back.

const WARN_MS = 10 * 60 * 1000;
let leaving = false; // logging out: no re-login prompt
let deadline = Infinity; // when the session ends, by this page's clock
let confirmed = -1; // the deadline a background check last confirmed
let checking = false;
let again = null; // the re-login under way: a promise
let who = ''; // the user whose session this page holds
const relogged = [];

/** `f` runs after every re-login in place (e.g. to reopen the live stream). */
export function onRelogin(f) { relogged.push(f); }

/** The session has ended (the live stream said so): ask for the password, resolve once back. */
export function sessionEnded() { return relogin(); }

function watch(me) {
  who = me.username;
  const seen = (secs) => {
    if (!Number.isFinite(secs)) return;
    deadline = Date.now() + secs * 1000;
    tick();
  };
  watchSession({ seen, relogin });
  seen(me.expires_in_s);
  setInterval(tick, 1000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) tick(); });
}

// is the deadline still true? (another tab may have renewed the session); never renews it
async function check() {
  checking = true;
  const r = await api('/api/v1/me', { background: true });
  checking = false;
  if (r.ok) confirmed = deadline;
}

function tick() {
  if (leaving || again) return;
  const left = deadline - Date.now();
  if (left > WARN_MS) { warning(null); return; }
  if (confirmed !== deadline || left <= 0) {
    if (!checking) check();
    if (left <= 0) return;
  }
  if (confirmed === deadline) warning(left);
}

function warning(left) {
  let box = $('#session-warn');
  if (left === null) { if (box) box.hidden = true; return; }
  if (!box) {
    const stay = el('button', { type: 'button', id: 'session-stay', text: t('ss.stay') });
    // a request the user makes renews the session
    stay.addEventListener('click', async () => { stay.disabled = true; await api('/api/v1/me'); stay.disabled = false; });
    box = el('div', { id: 'session-warn', class: 'alert info session-warn', role: 'alert' },
      el('span', { id: 'session-left' }), ' ', stay);
    $('#main').prepend(box);
  }
  const at = new Intl.DateTimeFormat('id-ID', { timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit' }).format(new Date(deadline));
  $('#session-left').textContent = t('ss.warn', { left: fmtDur(left), at: `${at} WIB` });
  box.hidden = false;
}

function relogin() {
  if (leaving) return new Promise(() => {});
  if (!again) again = new Promise((resolve) => ask(resolve)).then(() => { again = null; tick(); relogged.forEach((f) => f()); });
  return again;
}

// the re-login dialog: same user, over the page; the page underneath is left untouched
function ask(done) {
  warning(null);
  const user = who;
  let d = $('#relogin');
  if (!d) {
    d = el('dialog', { id: 'relogin', 'aria-labelledby': 'relogin-title' },
      el('form', { id: 'relogin-form' },
        el('h2', { id: 'relogin-title', text: t('ss.ended.h') }),
        el('p', { text: t('ss.ended') }),
        el('div', { class: 'field' }, el('label', { for: 'relogin-user', text: t('lg.user') }),
          el('input', { type: 'text', id: 'relogin-user', autocomplete: 'username', readonly: true })),
        el('div', { class: 'field' }, el('label', { for: 'relogin-pass', text: t('lg.pass') }),
          el('input', { type: 'password', id: 'relogin-pass', autocomplete: 'current-password', required: true })),
        el('p', { id: 'relogin-error', class: 'alert danger', role: 'alert', hidden: true }),
        el('div', { class: 'row' },
          el('button', { type: 'submit', id: 'relogin-submit', text: t('lg.submit') }),
          el('button', { type: 'button', id: 'relogin-other', class: 'secondary', text: t('ss.other') }))));
    document.body.append(d);
    // the dialog cannot be waved away: the page needs a session
    d.addEventListener('cancel', (e) => e.preventDefault());
    $('#relogin-other').addEventListener('click', () => { leaving = true; location.reload(); });
  }
  $('#relogin-user').value = user;
  $('#relogin-pass').value = '';
  $('#relogin-error').hidden = true;
  $('#relogin-form').onsubmit = async (ev) => {
    ev.preventDefault();
    const res = await api('/api/v1/session', { method: 'POST', body: { username: user, password: $('#relogin-pass').value } });
    if (!res.ok) {
      const err = $('#relogin-error');
      err.textContent = res.status === 429 ? t('lg.locked') : res.status === 0 ? t('err.network') : t('lg.bad');
      err.hidden = false;
      $('#relogin-pass').select();
      return;
    }
    setCsrf(res.data.csrf_token);
    deadline = Date.now() + res.data.expires_in_s * 1000;
    d.close();
    done();
  };
  d.showModal();
  $('#relogin-pass').focus();
}
