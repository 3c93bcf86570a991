// Bid TIK manages accounts; the wrong role is turned away; a wrong password is told so; a case
// reader made by Bid TIK waits until the head of shift confirms it; each role's navigation shows
// exactly the pages it may open.
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
  ['staff: each role sees exactly its pages in the navigation and is turned away from others', async (browser) => {
    // the demo post's accounts; the pages each role may open (Role::pages, sent in `me.pages`)
    const unit = Object.keys(LOGINS).find((u) => u.startsWith('unit.'));
    const table = [
      ['admin', ['/admin', '/sop', '/latihan'], '/konsol'],
      ['operator', ['/konsol', '/pantau', '/sop'], '/admin'],
      ['pasiaga', ['/konsol', '/pantau', '/rekap', '/sop', '/latihan'], '/audit'],
      ['kasiaga', ['/konsol', '/pantau', '/admin', '/rekap', '/sop', '/latihan'], '/audit'],
      ['auditor', ['/konsol', '/pantau', '/audit', '/rekap', '/sop', '/latihan'], '/admin'],
      ...(unit ? [[unit, ['/konsol', '/pantau', '/rekap', '/sop'], '/admin']] : []),
    ];
    assert(unit, 'the demo post has a unit officer');
    for (const [user, pages, refused] of table) {
      const page = await newPage(browser);
      await login(page, user, pages[0]);
      const nav = await page.$$eval('#staff-nav a', (a) => a.map((x) => x.getAttribute('href')));
      assert(JSON.stringify(nav) === JSON.stringify(pages), `${user}'s navigation: ${nav} (want ${pages})`);
      const current = await page.$$eval('#staff-nav a[aria-current=page]', (a) => a.map((x) => x.getAttribute('href')));
      assert(JSON.stringify(current) === JSON.stringify([pages[0]]), `${user} is on ${pages[0]}: ${current}`);
      assert((await page.textContent('#who')).startsWith(`${user} · `), `${user} is named in the header`);
      await page.goto(`${BASE}${refused}`);
      await page.waitForSelector('#login-error:not([hidden])');
      assert(await page.isHidden('#app'), `${user} is turned away from ${refused}`);
      assert((await page.textContent('#login-error')).includes('tidak dapat membuka'), `${user} is told why on ${refused}`);
      const again = await page.$$eval('#staff-nav a', (a) => a.map((x) => x.getAttribute('href')));
      assert(JSON.stringify(again) === JSON.stringify(pages), `${user}'s navigation on ${refused}: ${again}`);
      if (user === 'operator') await shot(page, '17-operator-turned-away-from-admin');
      clean(page);
      await page.context().close();
    }
  }],
];
