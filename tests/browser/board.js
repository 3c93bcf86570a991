// The Command Center board on a wall screen: figures, map and lists; its counts follow new
// reports live.
import { newPage, shot, clean, assert, login, fileReport, report } from './lib.js';

export default [
  ['board: counts change live when a report arrives; map, units and sync panel', async (browser) => {
    const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } });
    await login(page, 'pasiaga', '/pantau');
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#k-today').textContent));
    const before = Number(await page.textContent('#k-today'));
    const crimeBefore = Number(await page.textContent('#by-category li[data-key=crime] .n'));
    const seats = await page.$$eval('svg.map .seat-label', (l) => l.map((x) => x.textContent));
    assert(seats.length === 17 && seats.some((s) => s.includes('Palembang')), `seats labelled: ${seats}`);
    assert(await page.$$eval('svg.map .pt', (p) => p.length) > 0, 'open cases plotted');
    await page.waitForSelector('#sync p, #sync table');
    assert((await page.textContent('#sync')).length > 0, 'the sync panel says something');
    assert(await page.$$eval('#units li[data-unit]', (l) => l.length) > 0, 'units with their share of deadlines met');

    const r = await fileReport(report({ description: 'Pencurian kabel listrik di Jl. Demang Lebar Daun malam ini, pelaku kabur.' }));
    await page.waitForFunction((n) => Number(document.querySelector('#k-today').textContent) === n + 1, before, { timeout: 10_000 });
    await page.waitForFunction((n) => Number(document.querySelector('#by-category li[data-key=crime] .n').textContent) === n + 1, crimeBefore);
    await page.waitForSelector(`svg.map .pt[data-ticket="${r.ticket}"]`);
    await shot(page, '10-board');
    clean(page);
    await page.context().close();
  }],
];
