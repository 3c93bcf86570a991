// Speed in the browser (run by `cargo bench --bench console` against a node holding 10,000 open
// cases): opening the console until the queue is drawn, and a POSTed report until its row shows
// in an open console.
import { BASE, launch, newPage, login, fileReport, report } from './lib.js';

const browser = await launch();
const page = await newPage(browser);
await login(page, 'op');
await page.waitForSelector('#rows tr[data-ticket]');

const opens = [];
for (let i = 0; i < 3; i++) {
  const t0 = Date.now();
  await page.goto(`${BASE}/konsol`);
  await page.waitForSelector('#rows tr[data-ticket]', { timeout: 30_000 });
  opens.push(Date.now() - t0);
  // where the time went: the queue request as the page timed it
  const q = await page.evaluate(() => {
    const r = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/cases'));
    return r ? { start: Math.round(r.startTime), wait: Math.round(r.responseStart - r.requestStart), end: Math.round(r.responseEnd) } : null;
  });
  if (q) console.log(`  open ${i + 1}: queue request sent at ${q.start} ms, server answered in ${q.wait} ms, done at ${q.end} ms`);
}
const total = await page.textContent('#total');
console.log(`console open -> queue drawn (${total}): ${opens.join(' ms, ')} ms`);

await page.waitForSelector('#live:not(.off)');
const lives = [];
for (let i = 0; i < 5; i++) {
  // the page notes when the row appears; the clock is the same machine's
  await page.evaluate(() => {
    window.seen = {};
    new MutationObserver(() => {
      for (const r of document.querySelectorAll('#rows tr[data-ticket]')) window.seen[r.dataset.ticket] ??= Date.now();
    }).observe(document.querySelector('#rows'), { childList: true });
  });
  const t0 = Date.now();
  const { ticket } = await fileReport(report({ description: `Perampokan bersenjata di toko ${i}, pelaku masih di lokasi, mohon segera` }));
  await page.waitForFunction((t) => window.seen[t], ticket, { timeout: 10_000 });
  const at = await page.evaluate((t) => window.seen[t], ticket);
  lives.push(at - t0);
}
console.log(`report POST -> row in the open console: ${lives.join(' ms, ')} ms (median ${[...lives].sort((a, b) => a - b)[2]} ms)`);
await browser.close();
