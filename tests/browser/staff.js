// Bid TIK manages accounts; the wrong role is turned away; a wrong password is told so.
import { BASE, LOGINS, newPage, shot, clean, assert, login } from './lib.js';

export default [
  ['admin: tik_admin adds a unit officer and sees the password once', async (browser) => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/admin`);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-pass', 'not-the-password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    page.problems.length = 0; // the 401 of the wrong password is expected
    await login(page, 'admin', '/admin');
    await page.waitForSelector('#users tr[data-user=operator]');
    const name = `unit.oki.${Date.now() % 100000}`;
    await page.fill('#ad-user', name);
    await page.selectOption('#ad-role', 'unit_officer');
    await page.selectOption('#ad-unit', 'OKI');
    await page.click('#add button[type=submit]');
    await page.waitForSelector('#secret:not([hidden])');
    assert((await page.textContent('#secret .secret')).length >= 12, 'a generated password is shown');
    await page.waitForSelector(`#users tr[data-user="${name}"]`);
    await shot(page, '13-admin-users');
    clean(page);
    await page.context().close();
  }],
  ['admin: a role that reads no cases is turned away from the console', async (browser) => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/konsol`);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-pass', LOGINS.admin);
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    assert(await page.isHidden('#app'), 'no console for tik_admin');
    assert(await page.isVisible('#staff-nav a[href="/admin"]'), 'but a way to the admin page');
    await shot(page, '14-console-refused-for-tik-admin');
    clean(page);
    await page.context().close();
  }],
];
