// Staff pages: the login gate, the navigation each role may use, and logging out.
import { t } from './i18n.js';
import { $, el, api, setCsrf } from './util.js';

const READS_CASES = ['operator', 'pa_siaga', 'ka_siaga', 'unit_officer', 'leader', 'auditor', 'propam'];
export const readsCases = (role) => READS_CASES.includes(role);
export const takesCalls = (role) => ['operator', 'pa_siaga', 'ka_siaga'].includes(role);

function links(role) {
  const l = [];
  if (readsCases(role)) l.push(['/konsol', 'nav.console'], ['/pantau', 'nav.board']);
  if (role === 'auditor') l.push(['/audit', 'nav.audit']);
  if (['tik_admin', 'ka_siaga', 'leader'].includes(role)) l.push(['/admin', 'nav.admin']);
  return l;
}

function showNav(me) {
  const nav = $('#staff-nav');
  nav.replaceChildren(...links(me.role).map(([href, key]) => {
    const a = el('a', { href, text: t(key) });
    if (href === location.pathname) a.setAttribute('aria-current', 'page');
    return a;
  }));
  nav.hidden = false;
  $('#who').textContent = `${me.username} · ${t(`role.${me.role}`)}${me.unit ? ` ${me.unit}` : ''} · ${me.node}`;
  const out = $('#logout');
  out.hidden = false;
  out.addEventListener('click', async () => { await api('/api/v1/session', { method: 'DELETE' }); location.reload(); });
}

/** Resolves with the logged-in person once they may use this page (`allow(role)`); shows the
 * login form until then. */
export async function staffSession(allow) {
  const r = await api('/api/v1/me');
  if (r.ok) return admit(r.data, allow);
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
      resolve(admit(res.data, allow));
    });
  });
}

function admit(me, allow) {
  setCsrf(me.csrf_token);
  showNav(me);
  if (!allow(me.role)) {
    $('#login').hidden = false;
    $('#login-form').hidden = true;
    $('#login-error').textContent = t('lg.role');
    $('#login-error').hidden = false;
    return new Promise(() => {});
  }
  $('#app').hidden = false;
  return me;
}
