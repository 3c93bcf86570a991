// Latihan (drills): a head of shift starts a drill from /latihan; the trainer's screen shows the
// simulated WhatsApp chat and the 110 script; in the console the drill cases are marked LATIHAN
// (badge, colour, banner in the case view); the scorecard shows the score so far and its misses,
// and prints as an A4 page; aborted, the drill's cases leave the queue. Screenshots in target/screenshots/.
import { BASE, newPage, login, shot, assert, clean, SHOTS } from './lib.js';
import { join } from 'node:path';
import { statSync } from 'node:fs';

async function drillFlow(browser) {
  const trainer = await newPage(browser);
  await login(trainer, 'kasiaga', '/latihan');
  await trainer.waitForSelector('#scenarios li[data-scenario="lakalantas-korban"]');
  assert(await trainer.locator('nav a[href="/latihan"]').count() === 1, 'the header links to /latihan');
  await trainer.selectOption('#s-scenario', 'lakalantas-korban');
  // 60x: the injects at 0, 2 and 6 minutes come within 6 seconds
  await trainer.selectOption('#s-speed', '60');
  await trainer.click('#s-go');
  await trainer.waitForURL(/\/latihan\/[A-Z]+-\d{6}-L\d+$/);
  const id = decodeURIComponent(new URL(trainer.url()).pathname.split('/')[2]);
  // the WhatsApp report (inject 2) in the simulated chat, with the receipt banpol would send
  await trainer.waitForSelector('#chat li.in', { timeout: 20000 });
  await trainer.waitForSelector('#chat li.out');
  assert((await trainer.locator('#chat').textContent()).includes('LAT-'), 'the chat shows the drill ticket');
  await trainer.waitForSelector('#scripts li b');
  assert((await trainer.locator('.latihan-banner').first().textContent()).length > 0, 'the page says LATIHAN');
  await shot(trainer, 'latihan-trainer');

  // the console: drill cases marked LATIHAN; the case view has the banner and the colour
  const op = await newPage(browser);
  await login(op, 'operator', '/konsol');
  await op.waitForSelector('#rows tr.drill');
  const row = op.locator('#rows tr.drill').first();
  assert((await row.locator('.badge.latihan').textContent()) === 'LATIHAN', 'a LATIHAN badge in the queue');
  const ticket = await row.getAttribute('data-ticket');
  assert(ticket.startsWith('LAT-'), ticket);
  await row.locator('a').first().click();
  await op.waitForSelector('#latihan-banner');
  assert((await op.locator('#latihan-banner').textContent()).includes(id), 'the banner names the drill');
  await shot(op, 'latihan-console');

  // the scorecard: the score so far and its misses, explained; then the A4 print view
  await trainer.waitForFunction(() => /\d+%/.test(document.querySelector('#d-score')?.textContent || ''));
  await trainer.waitForSelector('#misses li .rule');
  assert(await trainer.locator('#timeline tbody tr').count() === 3, 'a timeline row per inject');
  await shot(trainer, 'latihan-scorecard');
  await trainer.emulateMedia({ media: 'print' });
  assert(await trainer.locator('#one .letterhead').isVisible(), 'the letterhead shows in print');
  assert(!(await trainer.locator('#wa-panel').isVisible()), 'the trainer panels do not print');
  const pdf = join(SHOTS, 'latihan-a4.pdf');
  await trainer.pdf({ path: pdf, format: 'A4', printBackground: true });
  assert(statSync(pdf).size > 5000, 'a PDF was written');
  await trainer.emulateMedia({ media: 'screen' });
  // abort: the drill's cases leave the queue
  await trainer.click('#d-abort');
  await trainer.waitForFunction(() => document.querySelector('#d-abort').hidden);
  await op.reload();
  await op.waitForSelector('#rows tr');
  await op.waitForFunction(() => !document.querySelector('#rows tr.drill'));
  clean(trainer);
  clean(op);
  await trainer.context().close();
  await op.context().close();
}

// At the hub (BANPOL_SUITE=latihan-hub, a hub with PLG enrolled): the head of shift starts a
// drill for PLG from /latihan; the hub's page shows PLG's part once PLG took it at its next hello
// (its own drill id, state and score); the hub's abort ends it.
async function hubFlow(browser) {
  const p = await newPage(browser);
  await login(p, 'kasiaga', '/latihan');
  await p.waitForSelector('#h-posts input[value="PLG"]');
  assert(!(await p.locator('#hub-card').isHidden()), 'the hub offers drills for its posts');
  await p.click('#h-go');
  await p.waitForSelector('#h-error:not([hidden])');
  assert((await p.locator('#h-error').textContent()).length > 0, 'no post chosen: said so');
  await p.check('#h-posts input[value="PLG"]');
  await p.selectOption('#h-scenario', 'lakalantas-korban');
  await p.selectOption('#h-speed', '60');
  await p.click('#h-go');
  await p.waitForURL(/\/latihan\/SUMSEL-\d{6}-H\d+$/);
  await p.waitForSelector('#hub-posts tr[data-post="PLG"]');
  await p.waitForFunction(() => /PLG-\d{6}-L\d+/.test(document.querySelector('#hub-posts tr[data-post="PLG"]')?.textContent || ''),
    null, { timeout: 30000 });
  await p.waitForFunction(() => /\d+%/.test(document.querySelector('#hub-posts tr[data-post="PLG"]')?.textContent || ''),
    null, { timeout: 30000 });
  // a miss once an inject came and nobody handled it yet, with the SOP rule it breaks
  await p.waitForSelector('#hub-misses .lat-misses li .rule', { timeout: 30000 });
  await shot(p, 'latihan-hub');
  await p.click('#h-abort');
  await p.waitForFunction(() => document.querySelector('#h-abort').hidden);
  await p.goto(`${BASE}/latihan`);
  await p.waitForSelector('#hub-history tbody a[href^="/latihan/SUMSEL-"]');
  clean(p);
  await p.context().close();
}

export const hub = [['latihan at the hub: a drill for a post, its part and score', hubFlow]];

export default [
  ['latihan: LATIHAN in the console, the simulated WhatsApp panel, the scorecard', drillFlow],
];
