// The SOP page: the version in force as a readable, printable document (categories, steps with
// their guidance, deadlines per priority, the escalation ladder, reject reasons, prank policy,
// who ratified it and when); the list of versions with their history and the moves the person
// may make (submit, return, approve, ratify); a side-by-side diff of any two versions; and the
// TOML editor for drafts (errors name the line and the field). All text goes in as text.
import { t, errText, applyI18n, lang } from './i18n.js';
import { $, el, api, fmtTime, fmtDur } from './util.js';
import { staffSession, may } from './staff.js';

applyI18n();
const sopText = (x) => (lang === 'en' && x.en ? x.en : x.id);
const roleText = (r) => (t(`role.${r}`) === `role.${r}` ? r : t(`role.${r}`));
const STEPS = ['verify', 'dispatch', 'acknowledge', 'first_action', 'resolve'];

function facts(pairs) {
  return pairs.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { text: v })]);
}

function category(c) {
  const rows = STEPS.map((s) => el('tr', {}, el('th', { scope: 'row', text: t(`step.${s}`) }),
    ...c.priorities.map((p) => {
      const d = c.deadlines.find((x) => x.step === s && x.priority === p);
      return el('td', { text: d ? fmtDur(d.ms) : '—' });
    })));
  return el('section', { class: 'sop-category', 'data-category': c.id },
    el('h2', { text: `${t(`cat.${c.id}`)} (${c.label})` }),
    el('h3', { text: t('sop.deadlines') }),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('sop.step_col') }),
      ...c.priorities.map((p) => el('th', { scope: 'col', text: t(`pr.${p}`) })))), el('tbody', {}, rows)),
    c.notify_reporter_on.length ? el('p', { text: `${t('sop.notify')}: ${c.notify_reporter_on.map((s) => t(`st.${s}`)).join(', ')}` }) : null,
    c.intake.length ? [el('h3', { text: t('sop.intake_short') }), el('ul', {}, c.intake.map((x) => el('li', { text: sopText(x) })))] : null,
    c.guide.length ? el('h3', { text: t('sop.guide') }) : null,
    ...c.guide.map((g) => el('div', { class: 'sop-guide', 'data-state': g.state },
      el('h4', { text: `${t(`st.${g.state}`)} → ${t(`step.${g.step}`)}` }),
      el('p', { text: sopText(g.instruction) }),
      el('ul', {}, g.checklist.map((x) => el('li', { text: `☐ ${sopText(x)}` }))),
      g.roles.length ? el('p', { class: 'hint', text: `${t('sop.roles')}: ${g.roles.map(roleText).join(', ')}` }) : null)));
}

function documentOf(d) {
  return [
    ...d.categories.map(category),
    el('section', {}, el('h2', { text: t('sop.ladder') }),
      el('ol', {}, d.escalation_ladder.map((r, i) => el('li', { text: `${i === 0 ? '' : `rung ${i}: `}${roleText(r)}` }))),
      el('p', { class: 'hint', text: t('sop.ladder_help') })),
    el('section', {}, el('h2', { text: t('sop.reasons') }),
      el('ul', {}, d.reject_reasons.map((r) => el('li', { text: t(`r.${r}`) === `r.${r}` ? r : t(`r.${r}`) })))),
    el('section', {}, el('h2', { text: t('sop.prank') }),
      el('p', { text: t('sop.prank_line', { n: d.prank.block_after, window: fmtDur(d.prank.repeat_window_ms), by: d.prank.block_review_by, for: fmtDur(d.prank.block_for_ms) }) })),
  ];
}

async function showInForce() {
  const r = await api('/api/v1/sop');
  if (!r.ok) return null;
  const s = r.data;
  $('#sop-meta').replaceChildren(...facts([
    ['sop.in_force', s.version], ['sop.stage', t(`sop.stage.${s.stage}`)],
    ['sop.ratified_by', s.ratified_by], ['sop.ratified_at', s.ratified_at && fmtTime(s.ratified_at)],
    ['sop.effective_from', s.effective_from && fmtTime(s.effective_from)], ['sop.serial', s.serial ? String(s.serial) : (s.local ? t('sop.local') : null)],
  ]));
  $('#sop-body').replaceChildren(...documentOf(s.document));
  return s;
}

// ----- versions and their life ------------------------------------------------------------------

let me = null;
let versions = [];

function moves(v) {
  if (v.stage === 'draft' && may(me, 'draft_sop')) return ['submit'];
  if (v.stage === 'legal_review' && may(me, 'review_sop')) return ['return', 'approve'];
  if (v.stage === 'approved' && may(me, 'ratify_sop')) return ['ratify'];
  return [];
}

function moveForm(v) {
  const acts = moves(v);
  if (!acts.length) return null;
  const comment = el('input', { type: 'text', name: 'comment', 'aria-label': t('sop.comment'), placeholder: t('sop.comment') });
  const section = acts.includes('approve') ? el('input', { type: 'text', name: 'section', 'aria-label': t('sop.section'), placeholder: t('sop.section') }) : null;
  const when = acts.includes('ratify') ? el('input', { type: 'datetime-local', name: 'effective_from', 'aria-label': t('sop.effective_from') }) : null;
  const err = el('p', { class: 'field-error', role: 'alert' });
  const form = el('form', { class: 'row', 'data-version': v.version }, comment, section, when,
    ...acts.map((a) => el('button', { type: 'submit', value: a, 'data-move': a, text: t(`sop.act.${a}`) })), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { action: ev.submitter.value };
    if (comment.value.trim()) body.comment = comment.value.trim();
    if (section && section.value.trim()) body.section = section.value.trim();
    // a datetime-local is WIB wall time: the service's zone
    if (when && when.value) body.effective_from = `${when.value.length === 16 ? `${when.value}:00` : when.value}+07:00`;
    const r = await api(`/api/v1/sop/versions/${encodeURIComponent(v.version)}/actions`, { method: 'POST', body });
    if (!r.ok) { err.textContent = errText(r.data, r.status); return; }
    $('#act-out').textContent = t('sop.done', { version: r.data.version, stage: t(`sop.stage.${r.data.stage}`) });
    $('#act-out').hidden = false;
    await refresh();
  });
  return form;
}

function history(v) {
  if (!v.history.length) return v.local ? t('sop.local') : '';
  return el('details', {}, el('summary', { text: `${v.history.length}×` }), el('ol', {}, v.history.map((h) => el('li', {
    text: `${fmtTime(h.at)} · ${t(`sop.h.${h.action}`)} · ${h.by} (${roleText(h.role)})${h.section ? ` · ${h.section}` : ''}${h.comment ? ` — ${h.comment}` : ''}`,
  }))));
}

async function showVersions() {
  const r = await api('/api/v1/sop/versions');
  if (!r.ok) return;
  versions = r.data;
  $('#versions').replaceChildren(...versions.map((v) => el('tr', { 'data-version': v.version, 'data-stage': v.stage },
    el('td', { text: v.version }), el('td', { text: t(`sop.stage.${v.stage}`) }), el('td', { text: v.serial ? String(v.serial) : '' }),
    el('td', { text: v.effective_from ? fmtTime(v.effective_from) : '' }), el('td', { text: v.ratified_by || '' }),
    el('td', {}, history(v), moveForm(v)))));
  for (const [sel, pick] of [['#diff-a', versions.length - 2], ['#diff-b', versions.length - 1]]) {
    const keep = $(sel).value;
    $(sel).replaceChildren(...versions.map((v) => el('option', { value: v.version, text: `${v.version} (${t(`sop.stage.${v.stage}`)})` })));
    $(sel).value = keep && versions.some((v) => v.version === keep) ? keep : versions[Math.max(0, pick)]?.version || '';
  }
}

// ----- the side-by-side diff -------------------------------------------------------------------

/** Line pairs of a longest-common-subsequence diff: [left line | null, right line | null, kind]. */
export function diffLines(a, b) {
  const n = a.length; const m = b.length;
  const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0; let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push([i, j, 'same']); i++; j++; } else if (j < m && (i >= n || L[i][j + 1] >= L[i + 1][j])) { out.push([null, j, 'add']); j++; } else { out.push([i, null, 'del']); i++; }
  }
  // within a run of changes, the k-th removed line and the k-th added line are one changed line:
  // shown side by side
  const paired = [];
  for (let k = 0; k < out.length;) {
    if (out[k][2] === 'same') { paired.push(out[k]); k++; continue; }
    const dels = []; const adds = [];
    for (; k < out.length && out[k][2] !== 'same'; k++) (out[k][2] === 'del' ? dels : adds).push(out[k]);
    for (let x = 0; x < Math.max(dels.length, adds.length); x++) {
      if (dels[x] && adds[x]) paired.push([dels[x][0], adds[x][1], 'chg']);
      else paired.push(dels[x] || adds[x]);
    }
  }
  return paired;
}

async function textOf(version) {
  const r = await api(`/api/v1/sop/versions/${encodeURIComponent(version)}`);
  return r.ok ? r.data.text : '';
}

$('#diff-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const [va, vb] = [$('#diff-a').value, $('#diff-b').value];
  const [a, b] = (await Promise.all([textOf(va), textOf(vb)])).map((s) => s.split('\n'));
  const all = diffLines(a, b);
  const changed = all.filter((r) => r[2] !== 'same').length;
  // the changes with three lines of context around each; a gap is one row of "…"
  const near = (k) => all.slice(Math.max(0, k - 3), k + 4).some((r) => r[2] !== 'same');
  const rows = [];
  all.forEach((r, k) => {
    if (near(k)) rows.push(r);
    else if (rows.length && rows[rows.length - 1] !== null) rows.push(null);
  });
  const cell = (cls, text) => el('td', { class: cls, text });
  const line = (r) => (r === null ? el('tr', { class: 'gap' }, el('td', { colspan: 4, text: '…' })) : el('tr', { class: r[2] },
    cell('ln', r[0] === null ? '' : String(r[0] + 1)), cell('a', r[0] === null ? '' : a[r[0]]),
    cell('ln', r[1] === null ? '' : String(r[1] + 1)), cell('b', r[1] === null ? '' : b[r[1]])));
  $('#sop-diff').replaceChildren(changed ? el('table', { class: 'sop-diff', id: 'diff-table' },
    el('thead', {}, el('tr', {}, el('th', {}), el('th', { scope: 'col', text: va }), el('th', {}), el('th', { scope: 'col', text: vb }))),
    el('tbody', {}, rows.map(line)))
    : el('p', { text: t('sop.diff_same') }));
});

// ----- the editor --------------------------------------------------------------------------------

$('#sop-file').addEventListener('change', async () => {
  const f = $('#sop-file').files[0];
  if (f) $('#sop-text').value = await f.text();
});

/** Puts the caret on line `n` of the editor and scrolls to it. */
function selectLine(n) {
  const ta = $('#sop-text');
  const lines = ta.value.split('\n');
  const start = lines.slice(0, n - 1).reduce((s, l) => s + l.length + 1, 0);
  ta.focus();
  ta.setSelectionRange(start, start + (lines[n - 1] || '').length);
}

$('#editor').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const err = $('#sop-error');
  err.textContent = '';
  $('#sop-saved').hidden = true;
  const r = await api('/api/v1/sop/versions', { method: 'POST', body: { text: $('#sop-text').value } });
  if (!r.ok) {
    const d = r.data || {};
    err.textContent = d.code === 'sop_invalid'
      ? t('sop.error_at', { line: d.line ?? '?', field: d.field || '?', text: errText(d, r.status) })
      : errText(d, r.status);
    if (d.line) selectLine(d.line);
    return;
  }
  $('#sop-saved').textContent = t('sop.saved', { version: r.data.version });
  $('#sop-saved').hidden = false;
  await showVersions();
});

$('#sop-print').addEventListener('click', () => window.print());

async function refresh() {
  await showInForce();
  await showVersions();
}

me = await staffSession();
const current = await showInForce();
await showVersions();
if (may(me, 'draft_sop')) {
  $('#editor').hidden = false;
  if (current) $('#sop-text').value = await textOf(current.version);
}
