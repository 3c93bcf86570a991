// Accounts for Bid TIK (tik_admin): list, add, disable and re-enable (each confirmed first),
// reset a password (confirmed; the new one shown once); integrity. No one disables their own
// account, and the server keeps the last active tik_admin. Accounts waiting for a confirmation:
// listed for tik_admin, confirmed by a ka_siaga or leader (who see only that part of the page).
// Refusals show the text of their error code, never the server's message.
import { t, errText, applyI18n } from './i18n.js';
import { $, el, api, ask, fieldError, fmtTime, units } from './util.js';
import { staffSession, may } from './staff.js';
import { integrityButton } from './integrity.js';

applyI18n();
const ROLES = ['operator', 'pa_siaga', 'ka_siaga', 'unit_officer', 'leader', 'auditor', 'propam', 'tik_admin', 'legal'];
for (const r of ROLES) $('#ad-role').append(el('option', { value: r, text: t(`role.${r}`) }));

/** The account as people know it: user name, then pangkat, full name and NRP when set. */
const who = (u) => (u.full_name ? `${u.username} · ${[u.pangkat, u.full_name].filter(Boolean).join(' ')}${u.nrp ? ` · NRP ${u.nrp}` : ''}` : u.username);

function done(text) {
  $('#ad-error').hidden = true;
  const s = $('#secret');
  s.replaceChildren(text);
  s.hidden = false;
}

function secret(user, password) {
  done(t('ad.shown_once', { user }));
  $('#secret').append(' ', el('span', { class: 'secret', text: password }));
}

function fail(r) {
  $('#secret').hidden = true;
  $('#ad-error').textContent = errText(r.data, r.status);
  $('#ad-error').hidden = false;
}

$('#confirm-no').addEventListener('click', () => $('#confirm').close('no'));
$('#confirm-yes').addEventListener('click', () => $('#confirm').close('yes'));
$('#confirm').addEventListener('cancel', () => { $('#confirm').returnValue = 'no'; });

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
        if (!res.ok) { $('#pending-error').textContent = errText(res.data, res.status); $('#pending-error').hidden = false; }
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

// disable or re-enable, after a confirmation
async function toggle(u) {
  const step = u.disabled ? 'enable' : 'disable';
  if (!await ask(t(`ad.confirm_${step}`, { user: u.username }), t(`ad.yes_${step}`))) return;
  const res = await api(`/api/v1/users/${encodeURIComponent(u.username)}/${step}`, { method: 'POST' });
  if (res.ok) done(t(`ad.done_${step}`, { user: u.username })); else fail(res);
  await load();
  $(`#users tr[data-user="${CSS.escape(u.username)}"] button.toggle`)?.focus();
}

async function reset(u) {
  if (!await ask(t('ad.confirm_reset', { user: u.username }), t('ad.yes_reset'))) return;
  const res = await api(`/api/v1/users/${encodeURIComponent(u.username)}/password`, { method: 'POST', body: {} });
  if (res.ok) secret(u.username, res.data.password); else fail(res);
  load();
}

async function load() {
  const r = await api('/api/v1/users');
  if (!r.ok) return;
  loadPending();
  $('#users').replaceChildren(...r.data.map((u) => {
    const self = u.username === me.username;
    const actions = el('td', {});
    if (!self) {
      const b = el('button', { type: 'button', class: u.disabled ? 'toggle' : 'toggle secondary', text: t(u.disabled ? 'ad.enable' : 'ad.disable') });
      b.addEventListener('click', () => toggle(u));
      actions.append(b, ' ');
    }
    const rb = el('button', { type: 'button', class: 'secondary reset', text: t('ad.reset') });
    rb.addEventListener('click', () => reset(u));
    actions.append(rb);
    return el('tr', { 'data-user': u.username, class: u.disabled ? 'disabled' : null },
      el('td', { text: `${who(u)}${self ? ` ${t('ad.you')}` : ''}` }), el('td', { text: t(`role.${u.role}`) }),
      el('td', { text: u.unit || '—' }), el('td', { class: 'state', text: status(u) }), el('td', { text: fmtTime(u.created_at) }),
      actions);
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
    // refusals about a field are shown at that field (the service's codes name no field)
    const byCode = { bad_username: 'ad-user', user_exists: 'ad-user', unit_required: 'ad-unit', unit_not_allowed: 'ad-unit',
      unknown_unit: 'ad-unit', password_too_short: 'ad-pass' };
    const id = { username: 'ad-user', unit: 'ad-unit', password: 'ad-pass' }[r.data.field] || byCode[r.data.code];
    if (id) { fieldError(id, errText(r.data, r.status)); $(`#${id}`).focus(); } else fail(r);
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
