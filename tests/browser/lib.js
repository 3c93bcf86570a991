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

export async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`  screenshot ${path}`);
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
