// Kecamatan and desa/kelurahan type-ahead for the report forms. The official list of one regency
// (GET /api/v1/areas/{code}, built into the release, cacheable) is fetched only when that regency
// is chosen and kept for the page, so choosing from it needs no network afterwards. The server
// matches what is sent forgivingly, so a name typed without picking is also fine.
import { t } from './i18n.js';
import { api, el, units } from './util.js';

const lists = new Map(); // regency code -> Promise of the areas answer (null: not available)

/** Folds a place name as the server does: case, spaces, punctuation and prefixes do not count. */
export function fold(s) {
  return s.toLowerCase().replace(/^\s*(kecamatan|kec|kelurahan|kel|desa|ds)\b\.?\s*/, '').replace(/[^a-z0-9]/g, '');
}

/** The kecamatan and desa/kelurahan of a regency (by the name the units list uses). */
export async function areasOf(regency) {
  const code = (await units()).find((u) => u.regency === regency && u.regency_code)?.regency_code;
  if (!code) return null;
  if (!lists.has(code)) lists.set(code, api(`/api/v1/areas/${encodeURIComponent(code)}`).then((r) => (r.ok ? r.data : null)));
  const d = await lists.get(code);
  if (!d) lists.delete(code);
  return d;
}

/** Makes `input` a combobox over `items()` ({code, name, hint, key}); `onPick(item)` on a choice.
 * The picked code is kept in `input.dataset.code` until the text is changed. */
export function combobox(input, items, onPick) {
  // never a tab stop (Chromium makes a scrolling list focusable): Tab goes on to the next field
  const box = el('ul', { role: 'listbox', id: `${input.id}-list`, class: 'typeahead', tabindex: '-1' });
  box.hidden = true;
  input.after(box);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', box.id);
  input.setAttribute('aria-expanded', 'false');
  input.autocomplete = 'off';
  let shown = [];
  let active = -1;
  const close = () => { box.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); };
  const render = () => {
    const q = fold(input.value);
    const all = items();
    const starts = all.filter((a) => a.key.startsWith(q));
    const inside = q ? all.filter((a) => !a.key.startsWith(q) && a.key.includes(q)) : [];
    shown = [...starts, ...inside].slice(0, 8);
    active = -1;
    box.replaceChildren(...shown.map((a, i) => {
      const li = el('li', { role: 'option', id: `${input.id}-o${i}`, 'aria-selected': 'false' },
        a.name, a.hint ? el('small', { text: ` ${a.hint}` }) : null);
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(i); });
      return li;
    }));
    if (!shown.length || document.activeElement !== input) { close(); return; }
    box.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };
  const pick = (i) => {
    const a = shown[i];
    if (!a) return;
    input.value = a.name;
    input.dataset.code = a.code;
    close();
    onPick?.(a);
  };
  const move = (d) => {
    if (!shown.length) return;
    active = (active + d + shown.length) % shown.length;
    [...box.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', `${input.id}-o${active}`);
  };
  input.addEventListener('input', () => { delete input.dataset.code; render(); });
  input.addEventListener('focus', render);
  input.addEventListener('blur', close);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); if (box.hidden) render(); move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'Enter' && !box.hidden && active >= 0) { e.preventDefault(); pick(active); }
    else if (e.key === 'Escape' && !box.hidden) { e.preventDefault(); close(); }
  });
}

/** Wires a regency <select> to a kecamatan and a desa/kelurahan input: the list follows the
 * regency; a desa picked first fills its kecamatan. Returns `value()` -> {district, village}
 * for the request (the code when picked, else the text as typed; absent when empty).
 * `lock`: the inputs wait (disabled) for a regency; the call-taker form leaves them open so the
 * keyboard order never depends on when the list arrives. */
export function placeFields(regency, district, village, status, { lock = true } = {}) {
  let data = null;
  const names = new Map();
  const load = async () => {
    data = null;
    names.clear();
    district.disabled = village.disabled = lock && !regency.value;
    if (!regency.value) return;
    if (status) status.textContent = t('wil.loading');
    data = await areasOf(regency.value);
    if (status) status.textContent = data ? '' : t('wil.unavailable');
    for (const d of data?.districts ?? []) names.set(d.code, d.name);
  };
  const item = (a, hint) => ({ code: a.code, name: a.name, hint, key: fold(a.name) });
  combobox(district, () => (data?.districts ?? []).map((d) => item(d)), () => {
    if (village.dataset.code && !village.dataset.code.startsWith(`${district.dataset.code}.`)) { village.value = ''; delete village.dataset.code; }
  });
  combobox(village, () => (data?.villages ?? [])
    .filter((v) => !district.dataset.code || v.parent === district.dataset.code)
    .map((v) => item(v, district.dataset.code ? '' : `— ${names.get(v.parent) ?? ''}`)), (v) => {
    const parent = data.villages.find((x) => x.code === v.code)?.parent;
    if (parent && district.dataset.code !== parent) { district.value = names.get(parent) ?? ''; district.dataset.code = parent; }
  });
  regency.addEventListener('change', () => {
    for (const i of [district, village]) { i.value = ''; delete i.dataset.code; }
    load();
  });
  const ready = load();
  const one = (i) => i.dataset.code || i.value.trim() || undefined;
  return { ready, reload: load, value: () => ({ district: one(district), village: one(village) }) };
}
