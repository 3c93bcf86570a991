// Issue 17: official areas. The form's kecamatan/desa type-ahead works from the list fetched when
// the regency is chosen (then offline), the first load stays small, and the board places a case
// without GPS at its kecamatan; tik_admin edits the post's Polsek list in /admin (it runs last:
// the Polsek it adds stay in the demo post's units).
import { BASE, newPage, shot, clean, assert, login, fileReport, report } from './lib.js';

export default [
  ['wilayah: the form stays small, and its type-ahead picks a kelurahan offline', async (browser) => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0;
    const urls = [];
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    cdp.on('Network.requestWillBeSent', (e) => urls.push(e.request.url));
    await page.goto(`${BASE}/`, { waitUntil: 'networkidle' });
    console.log(`  form page first load: ${bytes} bytes transferred (${urls.length} requests)`);
    assert(bytes > 0 && bytes <= 100 * 1024, `the form page transfers at most 100 KB, got ${bytes}`);
    assert(!urls.some((u) => u.includes('/api/v1/areas/')), 'no kecamatan list before a regency is chosen');
    assert(await page.isDisabled('#district'), 'the kecamatan waits for the regency');
    assert((await page.textContent('footer')).includes('ODbL'), 'the footer credits the area data (ODbL)');

    await page.selectOption('#regency', 'Kota Palembang');
    await page.waitForFunction(() => !document.querySelector('#village').disabled && document.querySelector('#place-status').textContent === '');
    assert(urls.some((u) => u.endsWith('/api/v1/areas/16.71')), 'the list of the chosen regency is fetched');
    const want = await page.evaluate(async () => {
      const d = await (await fetch('/api/v1/areas/16.71')).json();
      return d.villages.find((v) => v.parent === '16.71.09');
    });
    await page.context().setOffline(true);
    await page.click('#village');
    await page.keyboard.type(want.name.slice(0, 5).toLowerCase());
    const option = page.locator('#village-list li', { hasText: want.name }).first();
    await option.waitFor();
    await shot(page, 'wilayah-typeahead');
    await option.dispatchEvent('mousedown');
    assert(await page.inputValue('#village') === want.name, `the kelurahan is picked: ${await page.inputValue('#village')}`);
    assert(await page.inputValue('#district') === 'Kemuning', 'its kecamatan is filled in');
    await page.context().setOffline(false);

    let sent = null;
    page.on('request', (r) => { if (r.url().endsWith('/api/v1/reports') && r.method() === 'POST') sent = r.postData(); });
    await page.check('input[name=category][value=information]');
    await page.fill('#description', 'Bagaimana cara melapor kehilangan KTP di kelurahan ini?');
    await page.fill('#address', 'Jl. Kemuning, dekat pasar');
    await page.fill('#name', 'Dewi Lestari');
    await page.fill('#phone', '0812-7311-9017');
    await page.click('#send');
    await page.waitForSelector('#done:not([hidden])');
    const loc = JSON.parse(sent.includes('"location"') ? sent : '{}').location;
    assert(loc && loc.village === want.code && loc.district === '16.71.09', `the codes are sent: ${sent}`);
    clean(page);
    await page.context().close();
  }],

  ['wilayah: the board shows a case without GPS at its kecamatan at 1920x1080', async (browser) => {
    await fileReport(report({ location: { regency: 'Palembang', district: 'kemuning', address: 'Jl. Kemuning Raya, depan toko' } }));
    const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } });
    await login(page, 'pasiaga', '/pantau');
    const disc = page.locator('svg.map g.unl[data-district="16.71.09"]');
    await disc.waitFor();
    const box = await disc.boundingBox();
    assert(box && box.width > 0 && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1920 && box.y + box.height <= 1080,
      `the kecamatan's disc is on screen: ${JSON.stringify(box)}`);
    assert(Number(await disc.getAttribute('data-count')) >= 1, 'it counts the case');
    assert((await disc.textContent()).includes('Kemuning'), 'its title names the kecamatan');
    const legend = await page.textContent('#c-map .legend');
    assert(/perkiraan|approximate/.test(legend), `the legend says the points are approximate: ${legend}`);
    await shot(page, 'wilayah-board-1920x1080');
    clean(page);
    await page.context().close();
  }],
  ['wilayah: tik_admin edits the Polsek list of the post in /admin; a bad entry is refused naming its row; each save is a version', async (browser) => {
    const page = await newPage(browser);
    await login(page, 'admin', '/admin');
    await page.waitForSelector('#po-districts tr[data-district="16.71.09"]');
    const before = await page.evaluate(async () => (await (await fetch('/api/v1/polsek')).json()).polres[0]);
    assert(before.polres === 'PLG' && before.districts.length > 10, `the post's Polres and its kecamatan: ${before.polres}`);
    // a new Polsek covering Kemuning and Kalidoni
    await page.click('#po-add');
    const row = `#po-rows tr[data-row="${before.polsek.length}"]`;
    await page.fill(`${row} .po-code`, 'PLGKMN');
    await page.fill(`${row} .po-name`, 'Polsek Kemuning');
    await page.press(`${row} .po-name`, 'Tab');
    const pick = (code) => page.selectOption(`#po-districts select[data-district="${code}"]`, String(before.polsek.length));
    await pick('16.71.09');
    await pick('16.71.10');
    assert((await page.textContent('#po-districts select[data-district="16.71.09"] option:checked')) === 'PLGKMN — Polsek Kemuning', 'the picker names the new Polsek');
    await page.click('#po-save');
    await page.waitForSelector('#po-done:not([hidden])');
    const saved = before.version + 1;
    assert((await page.textContent('#po-done')) === `Tersimpan sebagai versi ${saved}.`, await page.textContent('#po-done'));
    assert((await page.textContent('#po-edit-source')).startsWith(`Versi ${saved}, disimpan oleh admin`), await page.textContent('#po-edit-source'));
    await shot(page, 'admin-polsek-saved');

    // a code that does not start with the Polres's code: refused, its row named and marked, nothing saved
    await page.click('#po-add');
    const bad = `#po-rows tr[data-row="${before.polsek.length + 1}"]`;
    await page.fill(`${bad} .po-code`, 'KLD');
    await page.fill(`${bad} .po-name`, 'Polsek Kalidoni');
    await page.press(`${bad} .po-name`, 'Tab');
    await page.selectOption('#po-districts select[data-district="16.71.10"]', String(before.polsek.length + 1));
    await page.click('#po-save');
    await page.waitForSelector('#po-error:not([hidden])');
    const said = await page.textContent('#po-error');
    assert(said.startsWith('Kode Polsek tidak sah') && said.includes(`baris ${before.polsek.length + 2} (KLD)`), `the refusal names the row: ${said}`);
    assert(await page.getAttribute(`${bad} .po-code`, 'aria-invalid') === 'true', 'the code field is marked');
    await shot(page, 'admin-polsek-refused');
    page.problems.length = 0; // the 422 above is expected
    const after = await page.evaluate(async () => (await (await fetch('/api/v1/polsek')).json()).polres[0]);
    assert(after.version === saved && after.polsek.at(-1).code === 'PLGKMN', `still version ${saved}: ${after.version}`);
    assert(JSON.stringify(after.polsek.at(-1).districts.map((d) => d.code)) === '["16.71.09","16.71.10"]', 'the saved kecamatan');
    assert(after.versions.length === saved, 'every version is listed');
    clean(page);
    await page.context().close();
  }],
];
