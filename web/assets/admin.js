// Accounts for Bid TIK (tik_admin): list, add, disable, enable, reset a password (shown once);
// integrity. Accounts waiting for a confirmation: listed for tik_admin, confirmed by a ka_siaga or
// leader (who see only that part of the page).
import { t, applyI18n } from './i18n.js';
import { $, el, api, fieldError, fmtTime, units } from './util.js';
import { staffSession, may } from './staff.js';
import { integrityButton } from './integrity.js';

applyI18n();
const ROLES = ['operator', 'pa_siaga', 'ka_siaga', 'unit_officer', 'leader', 'auditor', 'propam', 'tik_admin'];
for (const r of ROLES) $('#ad-role').append(el('option', { value: r, text: `${t(`role.${r}`)} (${r})` }));

function secret(user, password) {
  const s = $('#secret');
  s.replaceChildren(t('ad.shown_once', { user }), ' ', el('span', { class: 'secret', text: password }));
  s.hidden = false;
}

function fail(message) {
  $('#secret').hidden = true;
  $('#ad-error').textContent = message || t('err.network');
  $('#ad-error').hidden = false;
}

let me = null;

const status = (u) => t(u.disabled ? 'ad.disabled' : u.pending ? 'ad.pending' : 'ad.active');

async function loadPending() {
  const r = await api('/api/v1/users/pending');
  if (!r.ok) return;
  $('#pending-box').hidden = false;
  $('#pending-none').hidden = r.data.length > 0;
  $('#pending').replaceChildren(...r.data.map((u) => {
    const cell = el('td', {});
    if (may(me, 'confirm_accounts')) {
      const ok = el('button', { type: 'button', text: t('ad.confirm_account') });
      ok.addEventListener('click', async () => {
        $('#pending-error').hidden = true;
        const res = await api(`/api/v1/users/${encodeURIComponent(u.username)}/confirm`, { method: 'POST' });
        if (!res.ok) { $('#pending-error').textContent = res.data.message || t('err.network'); $('#pending-error').hidden = false; }
        loadPending();
      });
      cell.append(ok);
    } else {
      cell.textContent = t('ad.waits');
    }
    return el('tr', { 'data-user': u.username },
      el('td', { text: u.username }), el('td', { text: t(`role.${u.role}`) }), el('td', { text: u.unit || '—' }),
      el('td', { text: fmtTime(u.created_at) }), cell);
  }));
}

async function load() {
  const r = await api('/api/v1/users');
  if (!r.ok) return;
  loadPending();
  $('#users').replaceChildren(...r.data.map((u) => {
    const disable = el('button', { type: 'button', class: 'secondary', text: t(u.disabled ? 'ad.enable' : 'ad.disable') });
    const reset = el('button', { type: 'button', class: 'secondary', text: t('ad.reset') });
    disable.addEventListener('click', async () => {
      const step = u.disabled ? 'enable' : 'disable';
      if (!u.disabled && !confirm(`${t('ad.disable')} ${u.username}? ${t('ad.confirm')}`)) return;
      const res = await api(`/api/v1/users/${encodeURIComponent(u.username)}/${step}`, { method: 'POST' });
      if (!res.ok) fail(res.data.message);
      load();
    });
    reset.addEventListener('click', async () => {
      const res = await api(`/api/v1/users/${encodeURIComponent(u.username)}/password`, { method: 'POST', body: {} });
      if (res.ok) secret(u.username, res.data.password); else fail(res.data.message);
      load();
    });
    return el('tr', { 'data-user': u.username },
      el('td', { text: u.full_name ? `${u.username} · ${[u.pangkat, u.full_name].filter(Boolean).join(' ')}${u.nrp ? ` · NRP ${u.nrp}` : ''}` : u.username }),
      el('td', { text: t(`role.${u.role}`) }), el('td', { text: u.unit || '—' }),
      el('td', { text: status(u) }), el('td', { text: fmtTime(u.created_at) }),
      el('td', {}, disable, ' ', reset));
  }));
}

$('#add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  for (const f of ['ad-user', 'ad-unit', 'ad-pass']) fieldError(f, '');
  $('#ad-error').hidden = true;
  const body = { username: $('#ad-user').value.trim(), role: $('#ad-role').value };
  if ($('#ad-unit').value) body.unit = $('#ad-unit').value;
  if ($('#ad-pass').value) body.password = $('#ad-pass').value;
  for (const [k, id] of [['full_name', 'ad-full-name'], ['pangkat', 'ad-pangkat'], ['nrp', 'ad-nrp']]) if ($(`#${id}`).value.trim()) body[k] = $(`#${id}`).value.trim();
  if (!body.username) { fieldError('ad-user', t('err.required')); $('#ad-user').focus(); return; }
  const r = await api('/api/v1/users', { method: 'POST', body });
  if (!r.ok) {
    const id = { username: 'ad-user', unit: 'ad-unit', password: 'ad-pass' }[r.data.field];
    if (id) fieldError(id, r.data.message); else { $('#ad-error').textContent = r.data.message; $('#ad-error').hidden = false; }
    return;
  }
  secret(r.data.username, r.data.password);
  $('#add').reset();
  load();
});

document.addEventListener('users-changed', load); // identity.js saved an officer's identity
me = await staffSession();
if (may(me, 'manage_users')) {
  $('#tik-only').hidden = false;
  for (const u of await units()) $('#ad-unit').append(el('option', { value: u.code, text: `${u.code} — ${u.name}` }));
  integrityButton($('#integrity'), $('#integrity-out'));
  load();
} else {
  loadPending();
}
