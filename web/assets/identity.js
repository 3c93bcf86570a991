// An officer's full name, pangkat (rank) and NRP, set by tik_admin on the admin page; shown where
// the officer acts (a case's history) and on an STPL they received. Follows the accounts table
// that admin.js draws: each time it is drawn, the account picker is filled again.
import { t } from './i18n.js';
import { $, el, api } from './util.js';

let users = [];
const FIELDS = [['full_name', 'id-full-name'], ['pangkat', 'id-pangkat'], ['nrp', 'id-nrp']];

function show() {
  const u = users.find((x) => x.username === $('#id-user').value);
  for (const [k, id] of FIELDS) $(`#${id}`).value = u ? u[k] : '';
}

async function refresh() {
  const r = await api('/api/v1/users');
  if (!r.ok) return;
  users = r.data;
  const keep = $('#id-user').value;
  $('#id-user').replaceChildren(...users.map((u) => el('option', { value: u.username, text: u.username })));
  if (users.some((u) => u.username === keep)) $('#id-user').value = keep;
  show();
}

new MutationObserver(refresh).observe($('#users'), { childList: true });
$('#id-user').addEventListener('change', show);
$('#identity').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = Object.fromEntries(FIELDS.map(([k, id]) => [k, $(`#${id}`).value.trim()]));
  const r = await api(`/api/v1/users/${encodeURIComponent($('#id-user').value)}/identity`, { method: 'POST', body });
  const out = $('#id-out');
  out.className = r.ok ? 'alert ok' : 'alert danger';
  out.textContent = r.ok ? t('id.saved') : r.data.code === 'invalid_field' ? t('id.invalid') : t('err.network');
  if (r.ok) document.dispatchEvent(new Event('users-changed')); // admin.js draws the table again
});
