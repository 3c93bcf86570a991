// A report whose text is a script payload shows as text everywhere: queue, case, board, audit.
import { newPage, shot, clean, assert, login, fileReport, report } from './lib.js';

const PAYLOAD = '<img src=x onerror=alert(1)>';

export default [
  ['safety: a script payload stays text in the console and the audit view', async (browser) => {
    const op = await newPage(browser);
    await login(op, 'operator');
    await op.waitForSelector('#live:not(.off)');
    const { ticket } = await fileReport(report({
      category: 'information',
      description: `Tolong bantu ${PAYLOAD} <script>alert(2)</script> saya kehilangan KTP`,
      reporter: { name: `Budi ${PAYLOAD}`, phone: '0812-9999-0001' },
      location: { regency: 'Kota Palembang', address: `Jl. ${PAYLOAD}` },
    }));
    const row = `#rows tr[data-ticket="${ticket}"]`;
    await op.waitForSelector(row);
    assert((await op.textContent(row)).includes(PAYLOAD), 'the queue shows the payload as text');
    await op.click(`${row} a`);
    await op.waitForSelector('#detail .desc');
    assert((await op.textContent('#detail .desc')).includes(PAYLOAD), 'the case shows the payload as text');
    assert((await op.textContent('#detail .facts')).includes(`Budi ${PAYLOAD}`), 'the name as text');
    assert(await op.$$eval('img, script:not([src])', (e) => e.length) === 0, 'no element was made from the payload');
    await op.waitForTimeout(300);
    await shot(op, '11-xss-as-text-console');
    clean(op); // an alert() would be recorded as a problem

    const au = await newPage(browser);
    await login(au, 'auditor', '/audit');
    await au.fill('#q', ticket);
    await au.waitForFunction((t) => document.querySelectorAll('#rows tr').length === 1 && document.querySelector(`#rows tr[data-ticket="${t}"]`), ticket);
    await au.click(`#rows tr[data-ticket="${ticket}"] a`);
    await au.waitForSelector('#detail .desc');
    assert((await au.textContent('#detail .desc')).includes(PAYLOAD), 'the audit view shows it as text');
    assert(await au.$$eval('#detail form', (f) => f.length) === 0, 'the auditor is offered no actions');
    assert(await au.$$eval('img, script:not([src])', (e) => e.length) === 0, 'no element from the payload in the audit view');
    await au.waitForSelector('#log tr');
    await shot(au, '12-audit');
    clean(au);
    for (const p of [op, au]) await p.context().close();
  }],
];
