// A citizen on a phone-sized screen: the form checks what is missing next to each field, takes the
// report (with the browser's location), gives a ticket and token, and tracking shows its status.
import { BASE, newPage, shot, clean, assert } from './lib.js';

/** Fills and sends the public form; returns { ticket, token }. */
export async function fileByForm(page, { category = 'crime', description, name = 'Rahmat Hidayat', phone, address = 'Jl. Merdeka No. 10, dekat Masjid Agung' }) {
  await page.goto(`${BASE}/`);
  await page.check(`input[name=category][value=${category}]`);
  await page.fill('#description', description);
  await page.selectOption('#regency', 'Kota Palembang');
  await page.fill('#address', address);
  await page.fill('#name', name);
  await page.fill('#phone', phone);
  await page.click('#send');
  await page.waitForSelector('#done:not([hidden])');
  return { ticket: await page.textContent('#r-ticket'), token: await page.textContent('#r-token') };
}

export default [
  ['citizen: the form is small, checks fields, files a report and tracks it', async (browser, ctx) => {
    const page = await newPage(browser, {
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
      geolocation: { latitude: -2.9911, longitude: 104.7567 }, permissions: ['geolocation'],
    });
    // what the form page transfers, compressed, headers included
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    await page.goto(`${BASE}/`, { waitUntil: 'networkidle' });
    const regencies = await page.$$eval('#regency option', (o) => o.length - 1);
    assert(regencies === 17, `17 regencies in the list, got ${regencies}`);
    console.log(`  form page transferred ${bytes} bytes`);
    assert(bytes > 0 && bytes <= 100 * 1024, `the form page transfers at most 100 KB, got ${bytes}`);
    ctx.formBytes = bytes;

    // nothing filled in: a message next to each field, nothing sent
    await page.click('#send');
    for (const id of ['category', 'description', 'regency', 'address', 'name', 'phone']) {
      const msg = (await page.textContent(`#e-${id}`)).trim();
      assert(msg.length > 0, `a message next to ${id}`);
    }
    await page.check('input[name=category][value=crime]');
    assert(await page.isVisible('#life'), 'crime reports show "if a life is in danger, call 110"');
    await page.fill('#description', 'pendek');
    await page.fill('#phone', '12345');
    await page.click('#send');
    assert((await page.textContent('#e-description')).includes('10'), 'too short a description is named');
    assert((await page.textContent('#e-phone')).length > 0, 'a bad phone number is named');
    await shot(page, '01-form-errors');

    await page.fill('#description', 'Motor saya dicuri di parkiran Pasar 16 Ilir jam 9 pagi, pelaku dua orang memakai jaket hitam.');
    await page.selectOption('#regency', 'Kota Palembang');
    await page.fill('#address', 'Parkiran Pasar 16 Ilir, Jl. Masjid Lama');
    await page.fill('#name', 'Rahmat Hidayat');
    await page.fill('#phone', '0812-7311-4455');
    await page.click('#gps');
    await page.waitForFunction(() => document.querySelector('#gps-status').textContent.includes('-2.99'));
    await page.click('#send');
    await page.waitForSelector('#done:not([hidden])');
    const ticket = (await page.textContent('#r-ticket')).trim();
    const token = (await page.textContent('#r-token')).trim();
    assert(/^PLG-\d{6}-\d{4}$/.test(ticket), `a ticket: ${ticket}`);
    assert(/^[A-Z0-9]{8}$/.test(token), `a token: ${token}`);
    await shot(page, '02-form-receipt');

    await page.click('#r-track');
    await page.waitForSelector('#result:not([hidden])');
    assert((await page.textContent('#res-ticket')) === ticket, 'tracking shows the ticket');

    // a wrong token looks like an unknown ticket
    await page.fill('#token', 'AAAAAAAA');
    await page.click('#track button[type=submit]');
    await page.waitForSelector('#notfound:not([hidden])');
    assert(await page.isHidden('#result'), 'nothing shown for a wrong token');
    await page.fill('#token', token.toLowerCase());
    await page.click('#track button[type=submit]');
    await page.waitForSelector('#result:not([hidden])');
    assert((await page.textContent('#res-status')).includes('Baru'), 'status Baru');
    assert((await page.textContent('#res-updated')).includes('WIB'), 'times in WIB');
    await shot(page, '03-tracking');
    clean(page);
    ctx.citizen = { ticket, token };
    await page.context().close();
  }],
  ['citizen: English is a switch away', async (browser) => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/`);
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement?.lang === 'en');
    assert((await page.textContent('h1')).includes('Report to the police'), 'English heading');
    await page.check('input[name=category][value=crime]');
    assert((await page.textContent('#life')).includes('call 110'), 'the 110 warning in English');
    await shot(page, '04-form-english');
    clean(page);
    await page.context().close();
  }],
];
