// The STPL page, /stpl/{ticket}: staff who may read the case print it from the console; with the
// tracking code in the address's fragment (#k=..., never sent in a request line or a log) the
// code is printed and goes into the QR code.
import { t, applyI18n } from './i18n.js';
import { $, api } from './util.js';
import { renderStpl } from './stpl-sheet.js';

applyI18n();
const ticket = decodeURIComponent(location.pathname.split('/')[2] || '').toUpperCase();
const token = new URLSearchParams(location.hash.slice(1)).get('k') || '';
$('#print').addEventListener('click', () => window.print());

const q = token ? `?token=${encodeURIComponent(token)}` : '';
const r = await api(`/api/v1/cases/${encodeURIComponent(ticket)}/stpl${q}`);
if (r.ok) {
  renderStpl($('#stpl'), r.data);
  document.title = `STPL ${r.data.ticket}`;
} else {
  const err = $('#stpl-error');
  err.textContent = r.status === 401 ? t('stpl.login') : r.status === 404 ? t('stpl.notfound') : r.status === 0 ? t('err.network') : t('stpl.failed');
  err.hidden = false;
  $('#print').disabled = true;
}
