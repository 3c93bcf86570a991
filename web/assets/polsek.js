// The Polsek of this post's Polres and the kecamatan each covers (tik_admin, /admin): one row per
// Polsek (code, name), one row per kecamatan of the regency with the Polsek that covers it; saved
// as a new version. A refusal shows its text and the item it names (the row is marked). At the
// hub the lists of every Polres are shown as the posts saved them, read only.
import { t, errText } from './i18n.js';
import { $, el, api, fmtTime } from './util.js';

let book = null;
/** the list being edited: Polsek rows, and which row covers each kecamatan (code -> row) */
let rows = [];
let cover = new Map();

const rowLabel = (i) => t('po.row', { n: i + 1, code: rows[i]?.code || '—' });

function source(p) {
  if (!p.version) return t('po.from_file');
  return t('po.saved', { version: p.version, user: p.saved_by, at: fmtTime(p.saved_at) });
}

function versions(p) {
  if (!p.versions.length) return null;
  return el('details', { class: 'po-versions' }, el('summary', { text: t('po.versions', { n: p.versions.length }) }),
    el('ul', {}, ...[...p.versions].reverse().map((v) => el('li', {
      text: t('po.version_line', { version: v.version, user: v.saved_by, at: fmtTime(v.saved_at), node: v.node, n: v.polsek }),
    }))));
}

// ----- read only (the hub, or a role that may not edit)
function readOnly(p) {
  const body = p.polsek.map((s) => el('tr', { 'data-polsek': s.code },
    el('td', { text: s.code }), el('td', { text: `${s.name}${s.example ? ` (${t('po.example')})` : ''}` }),
    el('td', { text: s.districts.map((d) => d.name).join(', ') })));
  return el('section', { class: 'po-polres', 'data-polres': p.polres },
    el('h3', { text: `${p.polres} — ${p.name}` }), el('p', { class: 'po-source', text: source(p) }),
    p.polsek.length
      ? el('table', {}, el('thead', {}, el('tr', {}, ...['po.code', 'po.name', 'po.districts'].map((k) => el('th', { scope: 'col', text: t(k) })))), el('tbody', {}, ...body))
      : el('p', { text: t('po.none') }),
    versions(p));
}

// ----- the editor (tik_admin at the post)
function coverSelect(d) {
  const s = el('select', { 'data-district': d.code, 'aria-label': t('po.covered_by', { name: d.name }) },
    el('option', { value: '', text: t('po.nobody') }),
    ...rows.map((r, i) => el('option', { value: String(i), text: r.code ? `${r.code} — ${r.name}` : rowLabel(i) })));
  s.value = cover.has(d.code) ? String(cover.get(d.code)) : '';
  s.addEventListener('change', () => {
    if (s.value === '') cover.delete(d.code); else cover.set(d.code, Number(s.value));
  });
  return s;
}

function drawDistricts(p) {
  $('#po-districts').replaceChildren(...p.districts.map((d) => el('tr', { 'data-district': d.code },
    el('td', { text: d.name }), el('td', { class: 'code', text: d.code }), el('td', {}, coverSelect(d)))));
}

function drawRows(p) {
  $('#po-rows').replaceChildren(...rows.map((r, i) => {
    const code = el('input', { type: 'text', class: 'po-code', value: r.code, maxlength: 16, autocomplete: 'off', 'aria-label': t('po.code_of', { n: i + 1 }) });
    const name = el('input', { type: 'text', class: 'po-name', value: r.name, maxlength: 100, autocomplete: 'off', 'aria-label': t('po.name_of', { n: i + 1 }) });
    code.addEventListener('input', () => { r.code = code.value.trim().toUpperCase(); });
    code.addEventListener('change', () => { code.value = r.code; drawDistricts(p); });
    name.addEventListener('input', () => { r.name = name.value; });
    name.addEventListener('change', () => drawDistricts(p));
    const drop = el('button', { type: 'button', class: 'secondary', text: t('po.remove') });
    drop.addEventListener('click', () => {
      rows.splice(i, 1);
      cover = new Map([...cover].filter(([, j]) => j !== i).map(([d, j]) => [d, j > i ? j - 1 : j]));
      drawRows(p);
    });
    return el('tr', { 'data-row': i }, el('td', {}, code), el('td', {}, name), el('td', {}, drop));
  }));
  drawDistricts(p);
}

function startEditing(p) {
  rows = p.polsek.map((s) => ({ code: s.code, name: s.name }));
  cover = new Map();
  p.polsek.forEach((s, i) => s.districts.forEach((d) => cover.set(d.code, i)));
  $('#po-edit').hidden = false;
  $('#po-edit-title').textContent = `${p.polres} — ${p.name}`;
  $('#po-edit-source').textContent = source(p);
  $('#po-edit-versions').replaceChildren(...[versions(p)].filter(Boolean));
  drawRows(p);
}

function body(p) {
  return {
    polres: p.polres,
    base_version: p.version,
    polsek: rows.map((r, i) => ({ code: r.code, name: r.name.trim(), districts: p.districts.filter((d) => cover.get(d.code) === i).map((d) => d.code) })),
  };
}

/** The item a refusal names (`polsek[1].districts[0]`), in words, and its row marked. */
function where(field, sent, p) {
  for (const e of document.querySelectorAll('#po-edit [aria-invalid]')) e.removeAttribute('aria-invalid');
  const m = /^polsek\[(\d+)\](?:\.(\w+)(?:\[(\d+)\])?)?/.exec(field || '');
  if (!m) return '';
  const i = Number(m[1]);
  const row = $(`#po-rows tr[data-row="${i}"]`);
  const input = row && (m[2] === 'name' ? $('.po-name', row) : $('.po-code', row));
  if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  const code = m[3] !== undefined ? sent.polsek[i]?.districts[Number(m[3])] : null;
  const d = code && p.districts.find((x) => x.code === code);
  if (d) $(`#po-districts select[data-district="${d.code}"]`)?.setAttribute('aria-invalid', 'true');
  return ` (${rowLabel(i)}${d ? ` · ${t('po.district', { name: d.name, code: d.code })}` : ''})`;
}

async function save(p) {
  const sent = body(p);
  $('#po-error').hidden = true;
  $('#po-done').hidden = true;
  const r = await api('/api/v1/polsek', { method: 'PUT', body: sent });
  if (!r.ok) {
    $('#po-error').textContent = `${errText(r.data, r.status)}${where(r.data.field, sent, p)}`;
    $('#po-error').hidden = false;
    return;
  }
  book = r.data;
  const now = book.polres.find((x) => x.polres === p.polres);
  startEditing(now);
  $('#po-done').textContent = t('po.done', { version: now.version });
  $('#po-done').hidden = false;
}

async function load() {
  const r = await api('/api/v1/polsek');
  if (!r.ok) return;
  book = r.data;
  $('#polsek-box').hidden = false;
  const mine = book.editable && book.polres.find((p) => p.polres === book.editable);
  if (mine) {
    $('#po-help').textContent = t('po.help_post');
    startEditing(mine);
    $('#po-add').onclick = () => { rows.push({ code: mine.polres, name: 'Polsek ' }); drawRows(mine); $('#po-rows tr:last-child .po-code')?.focus(); };
    $('#po-save').onclick = () => save(book.polres.find((p) => p.polres === book.editable));
  } else {
    $('#po-help').textContent = t('po.help_hub');
    $('#po-all').replaceChildren(...book.polres.filter((p) => p.polsek.length || p.version).map(readOnly));
    if (!$('#po-all').children.length) $('#po-all').append(el('p', { text: t('po.none') }));
  }
}

// admin.js shows this part of the page only to tik_admin: the lists follow it, once
let started = false;
new MutationObserver(() => {
  if (!started && !$('#tik-only').hidden) { started = true; load(); }
}).observe($('#tik-only'), { attributes: true, attributeFilter: ['hidden'] });
