// Public tracking by ticket and token. The link from the form carries both in the fragment
// (#t=...&k=...), which never reaches a server log.
import { t, applyI18n } from './i18n.js';
import { $, el, api, fieldError, fmtTime } from './util.js';

applyI18n();
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('t')) $('#ticket').value = frag.get('t');
if (frag.get('k')) $('#token').value = frag.get('k');

async function look() {
  const ticket = $('#ticket').value.trim().toUpperCase();
  const token = $('#token').value.trim().toUpperCase();
  fieldError('ticket', ticket ? '' : t('err.required'));
  fieldError('token', token ? '' : t('err.required'));
  $('#notfound').hidden = true;
  if (!ticket || !token) return;
  const r = await api(`/api/v1/reports/${encodeURIComponent(ticket)}?token=${encodeURIComponent(token)}`);
  if (!r.ok) {
    $('#result').hidden = true;
    $('#notfound').textContent =
      r.status === 0 ? t('err.network') : r.status === 429 ? t('tr.rate') : t('tr.notfound');
    $('#notfound').hidden = false;
    return;
  }
  const d = r.data;
  $('#res-ticket').textContent = d.ticket;
  $('#res-status').replaceChildren(el('span', { class: `badge st st-${d.status}`, text: t(`st.${d.status}`) }));
  $('#res-category').textContent = t(`cat.${d.category}`);
  $('#res-created').textContent = fmtTime(d.created_at);
  $('#res-updated').textContent = fmtTime(d.updated_at);
  const dup = $('#res-dup');
  dup.hidden = !d.duplicate_of;
  if (d.duplicate_of) {
    dup.textContent = `${t('tr.dup')} ${d.duplicate_of.ticket} ${t('tr.dupstatus')} ${t(`st.${d.duplicate_of.status}`)}.`;
  }
  const notes = d.notes.map((n) => el('li', {}, el('span', { class: 'when', text: fmtTime(n.at) }), n.text));
  $('#res-notes').replaceChildren(...(notes.length ? notes : [el('li', { text: t('tr.nonotes') })]));
  $('#result').hidden = false;
}

$('#track').addEventListener('submit', (e) => { e.preventDefault(); look(); });
if ($('#ticket').value && $('#token').value) look();
