// Shared by the browser tests: the browser, pages that fail on script errors and CSP violations,
// logins, screenshots, and small assertions.
import { chromium, request as http } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = process.env.BANPOL_BASE;
export const LOGINS = JSON.parse(process.env.BANPOL_LOGINS || '{}');
export const SHOTS = process.env.BANPOL_SCREENSHOTS || 'screenshots';
const CHROMIUM = process.env.BANPOL_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'], headless: true });
}

/** A fresh context (own cookies) and page. Page errors, CSP violations and JS dialogs (an alert
 * from injected script) are collected in `page.problems`. */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, locale: 'id-ID', timezoneId: 'Asia/Jakarta', viewport: { width: 1366, height: 900 }, ...opts,
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && !/status of (401|404)/.test(text)) page.problems.push(`console: ${text}`);
  });
  page.on('dialog', async (d) => {
    if (d.type() === 'confirm') { await d.accept(); return; }
    page.problems.push(`dialog: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  return page;
}

export function clean(page) {
  if (page.problems.length) throw new Error(`problems on ${page.url()}:\n  ${page.problems.join('\n  ')}`);
}

/** Saves a screenshot, and checks the page's text contrast (WCAG AA) while at it. */
export async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`  screenshot ${path}`);
  for (const p of await page.evaluate(contrastProblems)) page.problems.push(`contrast on ${name}: ${p}`);
}

// Runs in the page: every visible element with its own text against the first opaque background
// behind it; 4.5:1, or 3:1 for large text (WCAG 2 AA).
function contrastProblems() {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (e) => {
    for (let x = e; x; x = x.parentElement) {
      const c = parse(getComputedStyle(x).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const bad = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!e.getClientRects().length || e.closest('svg, [hidden], button:disabled, dialog:not([open])')) continue;
    if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(e);
    if (s.visibility === 'hidden' || s.animationName !== 'none' || e.closest('.fresh, .flash')) continue;
    const [a, b] = [lum(parse(s.color)), lum(background(e))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(s.fontSize);
    const need = size >= 24 || (Number(s.fontWeight) >= 700 && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) bad.push(`<${e.tagName.toLowerCase()} class="${e.className}"> "${e.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1 < ${need}:1`);
  }
  return bad;
}

export async function login(page, user, path = '/konsol') {
  const pw = LOGINS[user];
  if (!pw) throw new Error(`no password for ${user}`);
  await page.goto(`${BASE}${path}`);
  await page.fill('#login-user', user);
  await page.fill('#login-pass', pw);
  await page.click('#login-submit');
  await page.waitForSelector('#app:not([hidden])');
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** Files a citizen report over the API (another citizen, no cookies); returns { ticket, token }. */
export async function fileReport(body) {
  const api = await http.newContext({ ignoreHTTPSErrors: true });
  const r = await api.post(`${BASE}/api/v1/reports`, { data: body });
  assert(r.status() === 201, `report filed: ${r.status()} ${await r.text()}`);
  const receipt = await r.json();
  await api.dispose();
  return receipt;
}

export const report = (over = {}) => ({
  category: 'crime',
  description: 'Perampokan di minimarket Jl. Sudirman, pelaku membawa senjata tajam dan kabur ke arah Ampera',
  reporter: { name: 'Dewi Lestari', phone: `0812-55${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}` },
  location: { regency: 'Kota Palembang', address: 'Jl. Jenderal Sudirman No. 5', lat: -2.99, lon: 104.76 },
  ...over,
});
