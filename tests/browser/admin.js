// Admin and audit (issue 13, item 8): disabling, re-enabling and resetting a password each ask
// first in the page (and "Batal" changes nothing); no one is offered to disable themselves; a
// refusal shows its Indonesian text; the integrity result is a readable alert; the auditor
// filters the access log (times to the second) and downloads the same selection as CSV.
import { readFileSync } from 'node:fs';
import { newPage, shot, clean, assert, login } from './lib.js';

const row = (user) => `#users tr[data-user="${user}"]`;

export default [
  ['admin: disable, re-enable and reset ask first; refusals in Indonesian; integrity readable', async (browser) => {
    const page = await newPage(browser);
    await login(page, 'admin', '/admin');
    await page.waitForSelector(row('operator'));
    assert(await page.$(`${row('admin')} button.toggle`) === null, 'no one is offered to disable their own account');
    assert((await page.textContent(`${row('admin')} td`)).includes('(Anda)'), 'the own account is marked');

    // a refusal by code, in Indonesian, at its field: a unit officer without a unit
    const name = `op.${Date.now() % 100000}`;
    await page.fill('#ad-user', name);
    await page.selectOption('#ad-role', 'unit_officer');
    await page.click('#add button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#e-ad-unit').textContent.length > 0);
    const said = await page.textContent('#e-ad-unit');
    assert(said === 'Petugas satuan memerlukan satuan. Pilih satuannya.', `the unit_required text: ${said}`);
    await page.selectOption('#ad-role', 'leader');
    await page.click('#add button[type=submit]');
    await page.waitForSelector(row(name));
    page.problems.length = 0; // the 400 above is expected

    // disable: a dialog; Batal changes nothing
    await page.click(`${row(name)} button.toggle`);
    await page.waitForSelector('#confirm[open]');
    assert((await page.textContent('#confirm-text')).includes(name), 'the dialog names the account');
    await shot(page, 'admin-confirm-disable');
    await page.click('#confirm-no');
    assert(!(await page.isVisible('#confirm')), 'closed');
    assert((await page.textContent(`${row(name)} td.state`)) !== 'nonaktif', 'cancelled: still enabled');
    // Esc cancels too
    await page.click(`${row(name)} button.toggle`);
    await page.waitForSelector('#confirm[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#confirm:not([open])', { state: 'attached' });
    assert((await page.textContent(`${row(name)} td.state`)) !== 'nonaktif', 'Esc: still enabled');
    // confirmed
    await page.click(`${row(name)} button.toggle`);
    await page.click('#confirm-yes');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'nonaktif', `${row(name)} td.state`);
    assert((await page.textContent('#secret')).includes('dinonaktifkan'), 'what was done is said');

    // re-enable: asks, then the account is active again with its password
    assert((await page.textContent(`${row(name)} button.toggle`)) === 'Aktifkan', 'a disabled account can be enabled');
    await page.click(`${row(name)} button.toggle`);
    await page.waitForSelector('#confirm[open]');
    await shot(page, 'admin-confirm-enable');
    await page.click('#confirm-yes');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent !== 'nonaktif', `${row(name)} td.state`);
    await shot(page, 'admin-re-enabled');

    // reset: asks, then shows the new password once
    await page.click(`${row(name)} button.reset`);
    await page.waitForSelector('#confirm[open]');
    assert((await page.textContent('#confirm-yes')) === 'Ya, atur ulang', 'the button says what it does');
    await shot(page, 'admin-confirm-reset');
    await page.click('#confirm-yes');
    await page.waitForSelector('#secret .secret');

    await page.click('#integrity');
    await page.waitForSelector('#integrity-out.alert.ok');
    assert((await page.textContent('#integrity-out')).startsWith('Rantai hash utuh.'), 'the integrity result');
    await shot(page, 'admin-integrity'); // checks its contrast too
    clean(page);
    await page.context().close();
  }],
  ['audit: the access log filters by user, action and date, to the second, and downloads as CSV', async (browser) => {
    const page = await newPage(browser, { acceptDownloads: true });
    await login(page, 'auditor', '/audit');
    await page.waitForSelector('#log tr');
    const first = await page.textContent('#log tr td');
    assert(/\d{2}[.:]\d{2}[.:]\d{2} WIB$/.test(first), `times to the second: ${first}`);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(new Date());
    await page.fill('#lf-actor', 'admin');
    await page.selectOption('#lf-action', 'user_disable');
    await page.fill('#lf-from', today);
    await page.fill('#lf-to', today);
    await page.click('#lf-apply');
    await page.waitForFunction(() => [...document.querySelectorAll('#log tr')].every((r) => r.dataset.action === 'user_disable'));
    const rows = await page.$$eval('#log tr', (r) => r.map((x) => [...x.cells].map((c) => c.textContent)));
    assert(rows.length >= 1 && rows.every((r) => r[1] === 'admin' && r[2] === 'Akun dinonaktifkan'), `filtered: ${JSON.stringify(rows)}`);
    await shot(page, 'audit-filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    assert(/^access-log-.+\.csv$/.test(download.suggestedFilename()), download.suggestedFilename());
    const csv = readFileSync(await download.path(), 'utf8').split('\r\n').filter(Boolean);
    assert(csv[0] === '"at","actor","action","target","from"', `header: ${csv[0]}`);
    assert(csv.length === rows.length + 1 && csv.slice(1).every((l) => l.includes('"admin","user_disable"')), `the same selection: ${csv.join('\n')}`);
    console.log(`  csv: ${csv.length - 1} row(s), e.g. ${csv[1]}`);
    // the file as it came, for the record
    const sheet = await newPage(browser);
    await sheet.setContent('<pre id="csv"></pre>');
    await sheet.$eval('#csv', (e, text) => { e.textContent = text; }, csv.join('\n'));
    await shot(sheet, 'audit-csv');
    await sheet.context().close();

    await page.click('#lf-clear');
    await page.waitForFunction(() => new Set([...document.querySelectorAll('#log tr')].map((r) => r.dataset.action)).size > 1);
    clean(page);
    await page.context().close();
  }],
];
