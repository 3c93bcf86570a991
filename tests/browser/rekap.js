// The recap page (/rekap, issue 15): a head of shift opens it, switches period and grouping,
// drills down from a figure to the cases behind it and into the queue, and prints the A4
// "Laporan Rekapitulasi" to PDF. Screenshots in target/screenshots/.
import { BASE, newPage, login, shot, assert, clean, SHOTS } from './lib.js';
import { join } from 'node:path';
import { statSync } from 'node:fs';

async function rekapFlow(browser) {
  const page = await newPage(browser);
  await login(page, 'kasiaga', '/rekap');
  await page.waitForSelector('body[data-ready="1"]');
  assert(await page.locator('nav a[href="/rekap"]').count() === 1, 'the header links to /rekap');
  // the demo's cases were received today: the day's recap counts them
  const received = Number(await page.locator('#totals .tile b').first().textContent());
  assert(received > 0, `today's reports are counted: ${received}`);
  assert(await page.locator('#chart-steps svg rect.bar').count() === 5, 'a bar per SOP step');
  assert(await page.locator('#officers-card:not([hidden])').count() === 1, 'ka_siaga sees the per-officer figures');
  await shot(page, 'rekap-day');
  // the month, grouped by category: a row and a bar per category, totals add up
  await page.selectOption('#p-kind', 'month');
  await page.selectOption('#p-group', 'category');
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/rekap?') && r.url().includes('group_by=category'));
  await page.click('#apply');
  const body = await (await answered).json();
  assert(body.groups.length >= 1, 'groups by category');
  const rows = await page.locator('#groups tbody tr').count();
  assert(rows === body.groups.length, `a row per group: ${rows}`);
  assert(await page.locator('#chart-groups svg rect.bar').count() === rows, 'a bar per group');
  const sum = body.groups.reduce((a, g) => a + g.figures.received, 0);
  assert(sum === body.total.received, `groups add up to the total: ${sum} vs ${body.total.received}`);
  assert((await page.getAttribute('#x-xlsx', 'href')).includes('format=xlsx'), 'the XLSX export follows the period');
  await shot(page, 'rekap-month-by-category');
  // drill-down: the cases behind the first group's count, then into the queue
  const first = body.groups[0];
  await page.locator('#groups tbody tr').first().locator('button.drill').click();
  await page.waitForSelector('#drill:not([hidden]) #drill-list li');
  const listed = await page.locator('#drill-list li').count();
  assert(listed === first.figures.received, `drill-down lists ${first.figures.received} cases, got ${listed}`);
  const ticket = await page.locator('#drill-list li a').first().textContent();
  await shot(page, 'rekap-drill-down');
  // the A4 print view
  await page.emulateMedia({ media: 'print' });
  assert(await page.locator('.letterhead').isVisible(), 'the letterhead shows in print');
  assert(!(await page.locator('#period').isVisible()), 'the controls do not print');
  const meta = await page.locator('#print-meta').textContent();
  assert(meta.includes('kasiaga'), `who printed it: ${meta}`);
  const pdf = join(SHOTS, 'rekap-a4.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  assert(statSync(pdf).size > 5000, 'a PDF was written');
  console.log(`  pdf ${pdf}`);
  await page.emulateMedia({ media: 'screen' });
  // into the queue: the same period and filters, every case behind the count and no other
  await page.click('#drill-queue');
  await page.waitForURL((u) => u.pathname === '/konsol' && u.searchParams.has('rekap'));
  await page.waitForSelector('#rekap-filter');
  await page.waitForSelector('#rows tr[data-ticket]');
  const queued = await page.locator('#rows tr[data-ticket]').count();
  assert(queued === first.figures.received, `the queue shows the ${first.figures.received} cases behind the count: ${queued}`);
  assert(await page.locator(`#rows tr[data-ticket="${ticket}"]`).count() === 1, `the queue holds ${ticket}`);
  await shot(page, 'rekap-queue');
  await page.locator(`#rows tr[data-ticket="${ticket}"] a`).click();
  await page.waitForSelector('#detail .tk, #detail h2');
  assert((await page.locator('#detail').textContent()).includes(ticket), 'the queue opens the case');
  // a step's figure: the cases whose verification is done, in the queue
  await page.goto(`${BASE}/rekap`);
  await page.waitForSelector('body[data-ready="1"]');
  const verified = Number(await page.locator('#steps tr[data-step="verify"] td').first().textContent());
  await page.locator('#steps tr[data-step="verify"] td a').first().click();
  await page.waitForURL((u) => u.pathname === '/konsol' && u.searchParams.get('rekap').includes('step=verify'));
  await page.waitForSelector('#rekap-filter');
  if (verified > 0) await page.waitForSelector('#rows tr[data-ticket]');
  else await page.waitForFunction(() => !document.querySelector('#rows tr[data-ticket]'));
  const rows2 = await page.locator('#rows tr[data-ticket]').count();
  assert(rows2 === verified, `the queue shows the ${verified} verified cases: ${rows2}`);
  // the shift handover: the snapshot of the last shift (taken at start), and Ka Siaga's note
  await page.goto(`${BASE}/rekap`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForSelector('#shifts-card:not([hidden]) #shifts tbody tr');
  await page.locator('#shifts tbody tr').first().locator('button.link').click();
  await page.fill('#note-text', 'Dua laporan menunggu verifikasi ulang.');
  await page.click('#note-save');
  await page.waitForFunction(() => document.querySelector('#shifts tbody tr .rk-note')?.textContent.includes('Dua laporan'));
  await shot(page, 'rekap-handover');
  clean(page);
  await page.context().close();
}

async function operatorHasNoRekap(browser) {
  const page = await newPage(browser);
  await login(page, 'operator');
  assert(await page.locator('nav a[href="/rekap"]').count() === 0, 'an operator gets no recap link');
  clean(page);
  await page.context().close();
}

export default [
  ['rekap: period, grouping, drill-down to the queue, A4 print, shift handover', rekapFlow],
  ['rekap: not for an operator', operatorHasNoRekap],
];
