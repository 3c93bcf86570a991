// Open311 partner keys on the admin page (issue 19): tik_admin issues a key (shown once, and it
// works at /open311/v2/), a bad name is refused at its field in Indonesian, and revoking asks
// first in the page's dialog, after which the key is refused.
import { newPage, shot, clean, assert, login } from './lib.js';

const row = (name) => `#o3-keys tr[data-partner="${name}"]`;
const read = (page, key) => page.evaluate(async (k) => {
  const r = await fetch(`/open311/v2/requests.json?api_key=${encodeURIComponent(k)}`);
  return { status: r.status, body: await r.json() };
}, key);

export default [
  ['open311: tik_admin issues a key once, and revokes it after asking', async (browser) => {
    const page = await newPage(browser);
    await login(page, 'admin', '/admin');
    await page.waitForSelector('#o3:visible');

    await page.fill('#o3-name', 'Mitra Kota');
    await page.click('#o3 button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#e-o3-name').textContent.length > 0);
    const said = await page.textContent('#e-o3-name');
    assert(said.startsWith('Nama mitra: 2–40 huruf kecil'), `the bad_key_name text: ${said}`);
    page.problems.length = 0; // the 400 above is expected

    const name = `mitra-${Date.now() % 100000}`;
    await page.fill('#o3-name', name);
    await page.click('#o3 button[type=submit]');
    await page.waitForSelector(row(name));
    const key = await page.textContent('#o3-secret .secret');
    assert(/^o311-[0-9a-f]{40}$/.test(key), `the key is shown once: ${key}`);
    assert((await page.textContent('#o3-secret')).includes(name), 'the message names the partner');
    assert((await page.textContent(`${row(name)} td.state`)) === 'aktif', 'active');
    await shot(page, 'open311-key-issued');
    const ok = await read(page, key);
    assert(ok.status === 200 && Array.isArray(ok.body), `the key works: ${JSON.stringify(ok)}`);
    await page.reload();
    await page.waitForSelector(row(name));
    assert(!(await page.content()).includes(key), 'the key is not shown again');

    await page.click(`${row(name)} button`);
    await page.waitForSelector('#confirm[open]');
    assert((await page.textContent('#confirm-text')).includes(name), 'the dialog names the partner');
    await page.click('#confirm-no');
    assert((await page.textContent(`${row(name)} td.state`)) === 'aktif', 'cancelled: still active');
    await page.click(`${row(name)} button`);
    await page.click('#confirm-yes');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.startsWith('dicabut'), `${row(name)} td.state`);
    assert(await page.$(`${row(name)} button`) === null, 'a revoked key offers nothing more');
    await shot(page, 'open311-key-revoked');
    const gone = await read(page, key);
    assert(gone.status === 403 && gone.body[0].code === 'api_key_invalid', `refused: ${JSON.stringify(gone)}`);
    page.problems.length = 0; // the 403 above is expected
    clean(page);
    await page.close();
  }],
];
