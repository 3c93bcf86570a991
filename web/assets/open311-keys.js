// Open311 partner keys for Bid TIK (tik_admin) on the admin page: list, issue (the key shown
// once), revoke (confirmed first, in the page's dialog). Drawn with the accounts table that
// admin.js draws only for tik_admin, like identity.js. Refusals show the text of their code.
import { t, errText } from './i18n.js';
import { $, el, api, ask, fieldError, fmtTime } from './util.js';

function say(text, secret) {
  $('#o3-error').hidden = true;
  const s = $('#o3-secret');
  s.replaceChildren(text);
  if (secret) s.append(' ', el('span', { class: 'secret', text: secret }));
  s.hidden = false;
}

function fail(r) {
  $('#o3-secret').hidden = true;
  $('#o3-error').textContent = errText(r.data, r.status);
  $('#o3-error').hidden = false;
}

async function revoke(p) {
  if (!await ask(t('o3.confirm_revoke', { name: p.name }), t('o3.revoke'))) return;
  const r = await api(`/api/v1/open311/keys/${encodeURIComponent(p.name)}/revoke`, { method: 'POST' });
  if (r.ok) say(t('o3.revoked_done', { name: p.name })); else fail(r);
  load();
}

async function load() {
  const r = await api('/api/v1/open311/keys');
  if (!r.ok) return;
  $('#o3-none').hidden = r.data.length > 0;
  $('#o3-keys').replaceChildren(...r.data.map((p) => {
    const actions = el('td', {});
    if (!p.revoked_at) {
      const b = el('button', { type: 'button', class: 'secondary', text: t('o3.revoke') });
      b.addEventListener('click', () => revoke(p));
      actions.append(b);
    }
    return el('tr', { 'data-partner': p.name, class: p.revoked_at ? 'disabled' : null },
      el('td', { text: p.name }), el('td', { text: t(p.all ? 'o3.reads_all' : 'o3.reads_own') }),
      el('td', { class: 'state', text: p.revoked_at ? t('o3.revoked', { when: fmtTime(p.revoked_at) }) : t('o3.active') }),
      el('td', { text: fmtTime(p.created_at) }), actions);
  }));
}

$('#o3').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  fieldError('o3-name', '');
  const name = $('#o3-name').value.trim();
  if (!name) { fieldError('o3-name', t('err.required')); $('#o3-name').focus(); return; }
  const r = await api('/api/v1/open311/keys', { method: 'POST', body: { name, all: $('#o3-all').checked } });
  if (!r.ok) {
    if (['bad_key_name', 'key_exists', 'missing_field'].includes(r.data.code)) {
      fieldError('o3-name', errText(r.data, r.status));
      $('#o3-name').focus();
    } else fail(r);
    return;
  }
  say(t('o3.shown_once', { name: r.data.name }), r.data.key);
  $('#o3').reset();
  load();
});

// admin.js draws the accounts table only for tik_admin: the keys follow it
new MutationObserver(load).observe($('#users'), { childList: true });
