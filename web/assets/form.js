// The public report form: the same checks as the server, each message next to its field.
import { t, applyI18n } from './i18n.js';
import { $, $$, api, fieldError, fillRegencies, phoneOk, setCsrf } from './util.js';

applyI18n();
const form = $('#report');
const coords = { lat: null, lon: null };
fillRegencies($('#regency'));

const category = () => $$('input[name=category]').find((r) => r.checked)?.value ?? '';
for (const r of $$('input[name=category]')) {
  r.addEventListener('change', () => { $('#life').hidden = category() !== 'crime'; fieldError('category', ''); });
}

// the field ids of the page for the server's field paths
const FIELD = {
  category: 'category', description: 'description', 'reporter.name': 'name', 'reporter.phone': 'phone',
  'location.regency': 'regency', 'location.address': 'address', 'location.lat': 'gps', 'location.lon': 'gps',
};

function check() {
  const errs = {};
  const len = (id) => $(`#${id}`).value.trim().length;
  if (!category()) errs.category = t('err.category');
  if (!len('description')) errs.description = t('err.required');
  else if ([...$('#description').value.trim()].length < 10) errs.description = t('err.desc_short');
  if (!$('#regency').value) errs.regency = t('err.regency');
  if (!len('address')) errs.address = t('err.required');
  else if (len('address') < 3) errs.address = t('err.address_short');
  if (!len('name')) errs.name = t('err.required');
  if (!len('phone')) errs.phone = t('err.required');
  else if (!phoneOk($('#phone').value)) errs.phone = t('err.phone');
  return errs;
}

function show(errs) {
  for (const id of ['category', 'description', 'regency', 'address', 'name', 'phone', 'gps']) fieldError(id, errs[id]);
  const first = Object.keys(errs)[0];
  if (first) (first === 'category' ? $('input[name=category]') : $(`#${first}`))?.focus();
}

// re-check a field when it is left, once the form was tried
for (const id of ['description', 'regency', 'address', 'name', 'phone']) {
  $(`#${id}`).addEventListener('blur', () => { if (form.dataset.tried) fieldError(id, check()[id]); });
}

$('#gps').addEventListener('click', () => {
  const status = $('#gps-status');
  if (!navigator.geolocation) { status.textContent = t('f.gps.fail'); return; }
  status.textContent = t('f.gps.wait');
  navigator.geolocation.getCurrentPosition((p) => {
    coords.lat = Math.round(p.coords.latitude * 1e5) / 1e5;
    coords.lon = Math.round(p.coords.longitude * 1e5) / 1e5;
    status.textContent = `${t('f.gps.ok')}: ${coords.lat}, ${coords.lon}`;
    $('#gps-clear').hidden = false;
  }, () => { status.textContent = t('f.gps.fail'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
});
$('#gps-clear').addEventListener('click', () => {
  coords.lat = coords.lon = null;
  $('#gps-status').textContent = '';
  $('#gps-clear').hidden = true;
});

function serverError(d, status) {
  if (status === 429) return { form: t('err.rate') };
  const id = FIELD[d.field];
  if (!id) return { form: `${t('err.server')}: ${d.message ?? status}` };
  const msg = {
    missing_field: t('err.required'), invalid_phone: t('err.phone'), unknown_regency: t('err.regency'), unknown_category: t('err.category'),
  }[d.code] ?? `${t('err.invalid')} (${d.message})`;
  return { [id]: msg };
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  form.dataset.tried = '1';
  $('#form-error').hidden = true;
  const errs = check();
  show(errs);
  if (Object.keys(errs).length) return;
  const send = $('#send');
  send.disabled = true;
  send.textContent = t('f.sending');
  const body = {
    category: category(),
    description: $('#description').value.trim(),
    reporter: { name: $('#name').value.trim(), phone: $('#phone').value.trim() },
    location: { regency: $('#regency').value, address: $('#address').value.trim() },
  };
  if (coords.lat !== null) Object.assign(body.location, coords);
  let r = await api('/api/v1/reports', { method: 'POST', body });
  if (r.status === 403 && r.data.code === 'csrf_missing') {
    // a staff member logged in on this browser: their session needs its CSRF token
    const me = await api('/api/v1/me');
    if (me.ok) { setCsrf(me.data.csrf_token); r = await api('/api/v1/reports', { method: 'POST', body }); }
  }
  send.disabled = false;
  send.textContent = t('f.submit');
  if (!r.ok) {
    const e = r.status === 0 ? { form: t('err.network') } : serverError(r.data, r.status);
    if (e.form) { $('#form-error').textContent = e.form; $('#form-error').hidden = false; } else show(e);
    return;
  }
  $('#r-ticket').textContent = r.data.ticket;
  $('#r-token').textContent = r.data.token;
  $('#r-track').href = `/lacak#t=${encodeURIComponent(r.data.ticket)}&k=${encodeURIComponent(r.data.token)}`;
  form.hidden = true;
  $('#done').hidden = false;
  $('#done-title').focus();
});

// --- STPL: the reporter prints their own receipt. The public STPL answer (by ticket and tracking
// code) holds what tracking shows, the letterhead, the next steps and the QR code; the report's
// text, name and address come from this page, so no more personal data leaves the server.
$('#r-stpl').addEventListener('click', async () => {
  const [ticket, token] = [$('#r-ticket').textContent, $('#r-token').textContent];
  const err = $('#r-stpl-error');
  err.hidden = true;
  const r = await api(`/api/v1/reports/${encodeURIComponent(ticket)}/stpl?token=${encodeURIComponent(token)}`);
  if (!r.ok) { err.textContent = r.status === 0 ? t('err.network') : r.status === 429 ? t('tr.rate') : t('stpl.failed'); err.hidden = false; return; }
  if (!document.querySelector('link[href="/assets/stpl.css"]')) {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/assets/stpl.css';
    const loaded = new Promise((ok) => { css.onload = ok; css.onerror = ok; });
    document.head.append(css);
    await loaded;
  }
  const { renderStpl } = await import('./stpl-sheet.js');
  renderStpl($('#stpl'), r.data, { description: $('#description').value.trim(), name: $('#name').value.trim(), address: $('#address').value.trim() });
  document.body.classList.add('has-stpl');
  window.print();
});
