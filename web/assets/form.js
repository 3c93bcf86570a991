// The public report form: the same checks as the server, each message next to its field.
import { t, errText, applyI18n } from './i18n.js';
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
  if (!id) return { form: errText(d, status) };
  const msg = {
    missing_field: t('err.required'), invalid_phone: t('err.phone'), unknown_regency: t('err.regency'), unknown_category: t('err.category'),
  }[d.code] ?? errText(d, status);
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
