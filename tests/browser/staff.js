// Bid TIK manages accounts; the wrong role is turned away; a wrong password is told so; a case
// reader made by Bid TIK waits until the head of shift confirms it.
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
  ['admin: an auditor made by tik_admin waits until the head of shift confirms it', async (browser) => {
    const page = await newPage(browser);
    await login(page, 'admin', '/admin');
    await page.waitForSelector('#users tr[data-user=operator]');
    const name = `itw.${Date.now() % 100000}`;
    await page.fill('#ad-user', name);
    await page.selectOption('#ad-role', 'auditor');
    await page.click('#add button[type=submit]');
    await page.waitForSelector('#secret:not([hidden])');
    const password = await page.textContent('#secret .secret');
    await page.waitForSelector(`#pending tr[data-user="${name}"]`);
    assert(!(await page.isVisible(`#pending tr[data-user="${name}"] button`)), 'tik_admin cannot confirm');
    assert((await page.textContent(`#users tr[data-user="${name}"]`)).includes('menunggu konfirmasi'), 'shown as pending');
    await shot(page, '15-admin-pending-account');
    clean(page);
    await page.context().close();

    const newcomer = await newPage(browser);
    await newcomer.goto(`${BASE}/konsol`);
    await newcomer.fill('#login-user', name);
    await newcomer.fill('#login-pass', password);
    await newcomer.click('#login-submit');
    await newcomer.waitForSelector('#login-error:not([hidden])');
    const said = await newcomer.textContent('#login-error');
    assert(said.includes('menunggu konfirmasi'), `the login says why: ${said}`);
    newcomer.problems.length = 0; // the 403 of the pending account is expected

    const ka = await newPage(browser);
    await login(ka, 'kasiaga', '/admin');
    assert(await ka.isVisible('#staff-nav a[href="/admin"]'), 'the head of shift has a way to the admin page');
    assert(await ka.isHidden('#add'), 'but manages no accounts');
    await ka.click(`#pending tr[data-user="${name}"] button`);
    await ka.waitForSelector(`#pending tr[data-user="${name}"]`, { state: 'detached' });
    await shot(ka, '16-head-of-shift-confirmed');
    clean(ka);
    await ka.context().close();

    await newcomer.click('#login-submit');
    await newcomer.waitForSelector('#app:not([hidden])');
    clean(newcomer);
    await newcomer.context().close();
  }],
];
