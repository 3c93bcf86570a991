// The public report form: the same checks as the server, each message next to its field; a draft
// kept in this browser until the report is sent; up to three photos; the receipt stays the answer
// of this page (reload, Back and Forward show it, never a refilled form).
import { t, lang, errText, applyI18n } from './i18n.js';
import { $, $$, api, el, fieldError, fillRegencies, phoneOk } from './util.js';
import { placeFields } from './wilayah.js';

applyI18n();
const form = $('#report');
const coords = { lat: null, lon: null };
const DRAFT = 'banpol.draft.report';
const TEXTS = ['description', 'regency', 'district', 'village', 'address', 'name', 'phone'];
// the server's limits (model::photo)
const PHOTOS_MAX = 3;
const PHOTO_MAX_BYTES = 5 << 20;
let photos = []; // File objects, in the order they will be sent
let csrf = '';
let place = { value: () => ({}) }; // the kecamatan and desa fields, once the regencies are in

const category = () => $$('input[name=category]').find((r) => r.checked)?.value ?? '';
for (const r of $$('input[name=category]')) {
  r.addEventListener('change', () => { $('#life').hidden = category() !== 'crime'; fieldError('category', ''); });
}

// the field ids of the page for the server's field paths
const FIELD = {
  category: 'category', description: 'description', 'reporter.name': 'name', 'reporter.phone': 'phone',
  'location.regency': 'regency', 'location.district': 'district', 'location.village': 'village', 'location.address': 'address', 'location.lat': 'gps', 'location.lon': 'gps',
};

/** Characters as the server counts them: Unicode scalar values of the trimmed text. */
const chars = (id) => [...$(`#${id}`).value.trim()].length;
const maxOf = (id) => Number($(`#${id}`).dataset.max);

function check() {
  const errs = {};
  if (!category()) errs.category = t('err.category');
  if (!chars('description')) errs.description = t('err.required');
  else if (chars('description') < 10) errs.description = t('err.desc_short');
  if (!$('#regency').value) errs.regency = t('err.regency');
  if (!chars('address')) errs.address = t('err.required');
  else if (chars('address') < 3) errs.address = t('err.address_short');
  if (!chars('name')) errs.name = t('err.required');
  if (!chars('phone')) errs.phone = t('err.required');
  else if (!phoneOk($('#phone').value)) errs.phone = t('err.phone');
  for (const id of ['description', 'address', 'name']) {
    if (!errs[id] && chars(id) > maxOf(id)) errs[id] = t('ph.too_long', { n: chars(id), max: maxOf(id) });
  }
  const bad = photos.findIndex((f) => f.size > PHOTO_MAX_BYTES);
  if (bad >= 0) errs.photos = t('ph.err.photo_too_large', { n: bad + 1 });
  return errs;
}

function show(errs) {
  for (const id of ['category', ...TEXTS, 'gps', 'photos']) fieldError(id, errs[id]);
  const first = Object.keys(errs)[0];
  if (first) (first === 'category' ? $('input[name=category]') : $(`#${first}`))?.focus();
}

// re-check a field when it is left, once the form was tried
for (const id of TEXTS) {
  $(`#${id}`).addEventListener('blur', () => { if (form.dataset.tried) fieldError(id, check()[id]); });
}

// ----- the character counter: the real limit, no silent cut -----------------------------------
function count() {
  const [n, max] = [chars('description'), maxOf('description')];
  const c = $('#c-description');
  c.textContent = t('ph.count', { n, max });
  c.classList.toggle('over', n > max);
}
$('#description').addEventListener('input', count);

// ----- the draft, kept in this browser until the report is sent ----------------------------------
function saveDraft() {
  const d = { category: category(), lat: coords.lat, lon: coords.lon };
  for (const id of TEXTS) d[id] = $(`#${id}`).value;
  const empty = !d.category && TEXTS.every((id) => !d[id].trim()) && d.lat === null;
  try {
    if (empty) localStorage.removeItem(DRAFT); else localStorage.setItem(DRAFT, JSON.stringify(d));
  } catch { /* private mode or full: the form still works */ }
}
function readDraft() {
  try { return JSON.parse(localStorage.getItem(DRAFT) || 'null'); } catch { return null; }
}
function clearDraft() {
  try { localStorage.removeItem(DRAFT); } catch { /* nothing kept */ }
}
form.addEventListener('input', saveDraft);
form.addEventListener('change', saveDraft);

function setCoords(lat, lon) {
  coords.lat = lat;
  coords.lon = lon;
  $('#gps-status').textContent = lat === null ? '' : `${t('f.gps.ok')}: ${lat}, ${lon}`;
  $('#gps-clear').hidden = lat === null;
}

$('#gps').addEventListener('click', () => {
  const status = $('#gps-status');
  if (!navigator.geolocation) { status.textContent = t('f.gps.fail'); return; }
  status.textContent = t('f.gps.wait');
  navigator.geolocation.getCurrentPosition((p) => {
    setCoords(Math.round(p.coords.latitude * 1e5) / 1e5, Math.round(p.coords.longitude * 1e5) / 1e5);
    saveDraft();
  }, () => { status.textContent = t('f.gps.fail'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
});
$('#gps-clear').addEventListener('click', () => { setCoords(null, null); saveDraft(); });

$('#draft-clear').addEventListener('click', () => {
  clearDraft();
  form.reset();
  photos = [];
  listPhotos();
  setCoords(null, null);
  $('#life').hidden = true;
  $('#draft-note').hidden = true;
  count();
  $('#description').focus();
});

// ----- photos ---------------------------------------------------------------------------------------
const kib = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

/** Lists the chosen photos, each with a remove button; `bad` marks the one the server refused. */
function listPhotos(bad = -1) {
  $('#photo-list').replaceChildren(...photos.map((f, i) => {
    const wrong = i === bad || f.size > PHOTO_MAX_BYTES;
    const remove = el('button', { type: 'button', class: 'secondary small', text: t('ph.remove'), 'aria-label': `${t('ph.remove')} ${f.name}` });
    remove.addEventListener('click', () => {
      photos.splice(i, 1);
      fieldError('photos', '');
      listPhotos();
      $('#photos').focus();
    });
    return el('li', { class: wrong ? 'bad' : null }, el('span', { text: `${i + 1}. ${f.name} (${kib(f.size)})` }),
      wrong ? el('b', { text: ` — ${t('ph.bad')}` }) : null, remove);
  }));
}

$('#photos').addEventListener('change', (e) => {
  const picked = [...e.target.files];
  e.target.value = '';
  const room = PHOTOS_MAX - photos.length;
  photos.push(...picked.slice(0, Math.max(0, room)));
  listPhotos();
  const big = photos.findIndex((f) => f.size > PHOTO_MAX_BYTES);
  fieldError('photos', picked.length > room ? t('ph.err.too_many_photos')
    : big >= 0 ? t('ph.err.photo_too_large', { n: big + 1 }) : '');
});

// ----- sending ----------------------------------------------------------------------------------
/** Posts the report (JSON, or multipart with the photos); { ok, status, data, retryAfter }. */
async function post(body) {
  const headers = { Accept: 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let payload;
  if (photos.length) {
    payload = new FormData();
    payload.append('report', new Blob([JSON.stringify(body)], { type: 'application/json' }));
    for (const f of photos) payload.append('photo', f, f.name);
  } else {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch('/api/v1/reports', { method: 'POST', headers, body: payload, credentials: 'same-origin' });
  } catch {
    return { ok: false, status: 0, data: {} };
  }
  let data = {};
  try { data = await r.json(); } catch { /* not JSON */ }
  return { ok: r.ok, status: r.status, data: data ?? {}, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
}

/** "in 12 minutes (around 10.42 WIB)" for a wait of `s` seconds. */
function whenAgain(s) {
  const wait = s >= 90 ? t('ph.min', { n: Math.ceil(s / 60) }) : t('ph.sec', { n: Math.max(1, s) });
  const at = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'id-ID', { timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit' })
    .format(new Date(Date.now() + s * 1000));
  return { wait, at: `${at} WIB` };
}

function serverError(r) {
  const d = r.data;
  if (r.status === 0) return { form: t('err.network') };
  if (d.code === 'photos_busy') return { form: t('ph.err.photos_busy') };
  if (r.status === 429) return { form: t(d.field === 'reporter.phone' ? 'ph.rate.phone' : 'ph.rate.address', whenAgain(r.retryAfter || 60)) };
  const photo = /^photos(?:\[(\d+)\])?$/.exec(d.field ?? '');
  if (photo && `ph.err.${d.code}` !== t(`ph.err.${d.code}`)) {
    const i = photo[1] === undefined ? -1 : Number(photo[1]);
    listPhotos(i);
    return { photos: t(`ph.err.${d.code}`, { n: i + 1 }) };
  }
  const id = FIELD[d.field];
  if (!id) return { form: errText(d, r.status) };
  const msg = {
    missing_field: t('err.required'), invalid_phone: t('err.phone'), unknown_regency: t('err.regency'), unknown_category: t('err.category'),
  }[d.code] ?? errText(d, r.status);
  return { [id]: msg };
}

/** The receipt: ticket, tracking code, what happens next. */
function showReceipt({ ticket, token, category: cat }) {
  $('#r-ticket').textContent = ticket;
  $('#r-token').textContent = token;
  $('#r-track').href = `/lacak#t=${encodeURIComponent(ticket)}&k=${encodeURIComponent(token)}`;
  const steps = ['ph.next.check', cat === 'crime' ? 'ph.next.crime' : 'ph.next.other', 'ph.next.track'];
  if (cat === 'crime') steps.push('ph.next.110');
  $('#r-next').replaceChildren(...steps.map((k) => el('li', { text: t(k) })));
  form.hidden = true;
  $('#done').hidden = false;
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
  send.textContent = t(photos.length ? 'ph.sending' : 'f.sending');
  const body = {
    category: category(),
    description: $('#description').value.trim(),
    reporter: { name: $('#name').value.trim(), phone: $('#phone').value.trim() },
    location: { regency: $('#regency').value, ...place.value(), address: $('#address').value.trim() },
  };
  if (coords.lat !== null) Object.assign(body.location, coords);
  let r = await post(body);
  if (r.status === 403 && r.data.code === 'csrf_missing') {
    // a staff member logged in on this browser: their session needs its CSRF token
    const me = await fetch('/api/v1/me', { headers: { Accept: 'application/json' } }).then((x) => (x.ok ? x.json() : null)).catch(() => null);
    if (me) { csrf = me.csrf_token; r = await post(body); }
  }
  send.disabled = false;
  send.textContent = t('f.submit');
  if (!r.ok) {
    // everything typed stays in the form (and in the draft)
    const e = serverError(r);
    if (e.form) { $('#form-error').textContent = e.form; $('#form-error').hidden = false; } else show(e);
    return;
  }
  // what the reporter typed goes with the receipt (this tab's history only), for their STPL
  const receipt = { ticket: r.data.ticket, token: r.data.token, category: body.category,
    typed: { description: body.description, name: body.reporter?.name ?? '', address: body.location?.address ?? '' } };
  clearDraft();
  // this page's history entry now holds the receipt: reload, Back and Forward show it again
  history.replaceState({ receipt }, '');
  showReceipt(receipt);
  $('#done-title').focus();
});

// ----- start: the receipt if this entry has one, else the form with its draft ----------------------
async function start() {
  const receipt = history.state?.receipt;
  if (receipt) { showReceipt(receipt); return; }
  await fillRegencies($('#regency'));
  place = placeFields($('#regency'), $('#district'), $('#village'), $('#place-status'));
  const d = readDraft();
  if (d) {
    for (const r of $$('input[name=category]')) r.checked = r.value === d.category;
    $('#life').hidden = d.category !== 'crime';
    for (const id of TEXTS) if (typeof d[id] === 'string' && !$(`#${id}`).value) $(`#${id}`).value = d[id];
    if (typeof d.lat === 'number' && typeof d.lon === 'number') setCoords(d.lat, d.lon);
    place.reload();
    $('#draft-note').hidden = false;
  }
  count();
}
// a page kept in the back-forward cache comes back as it was left; one whose entry holds a
// receipt must not show a form the browser refilled
window.addEventListener('pageshow', (e) => { if (e.persisted && history.state?.receipt) showReceipt(history.state.receipt); });
start();

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
  const typed = history.state?.receipt?.typed
    ?? { description: $('#description').value.trim(), name: $('#name').value.trim(), address: $('#address').value.trim() };
  renderStpl($('#stpl'), r.data, typed);
  document.body.classList.add('has-stpl');
  window.print();
});
