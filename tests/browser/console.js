// The operator's console: a report arrives live (no reload) with an alert, is verified and
// dispatched; the unit officer acknowledges it; a 110 call is taken from the keyboard alone.
import { newPage, shot, clean, assert, login, fileReport, report } from './lib.js';
import { fileByForm } from './citizen.js';

export default [
  ['console: a crime report arrives live, is verified and dispatched; the unit acknowledges', async (browser, ctx) => {
    const op = await newPage(browser);
    await login(op, 'operator');
    await op.waitForSelector('#live:not(.off)');
    await op.waitForSelector('#rows tr[data-ticket]');
    await op.evaluate(() => { window.stillTheSamePage = true; });

    const citizen = await newPage(browser, { viewport: { width: 390, height: 844 } });
    const t0 = Date.now();
    const { ticket } = await fileByForm(citizen, {
      description: 'Ada penjambretan di depan Palembang Indah Mall, korban luka ringan, pelaku naik motor merah.',
      phone: '0813-7777-1234', name: 'Siti Rahma',
    });
    await op.waitForSelector(`#rows tr[data-ticket="${ticket}"]`, { timeout: 10_000 });
    console.log(`  the report showed in the open console ${Date.now() - t0} ms after the citizen pressed send (form round trip included)`);
    assert(await op.evaluate(() => window.stillTheSamePage === true), 'the console did not reload');
    assert(await op.isVisible('#crime-alert'), 'a visual alert for a crime report');
    assert((await op.textContent('#crime-alert')).includes(ticket), 'the alert names the ticket');
    await shot(op, '05-console-live-alert');

    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    await op.waitForSelector('#detail form[data-action=verify]');
    const offered = await op.$$eval('#detail form[data-action]', (f) => f.map((x) => x.dataset.action));
    assert(!offered.includes('acknowledge') && !offered.includes('resolve'), `an operator is not offered unit actions: ${offered}`);
    await op.selectOption('#detail form[data-action=verify] select[name=method]', 'callback_confirmed');
    await op.click('#detail form[data-action=verify] button[type=submit]');
    await op.waitForFunction((t) => document.querySelector(`#rows tr[data-ticket="${t}"]`)?.textContent.includes('Terverifikasi'), ticket);
    await op.waitForSelector('#detail form[data-action=dispatch]');
    const units = await op.$$eval('#detail form[data-action=dispatch] select[name=unit] option', (o) => o.map((x) => x.value));
    assert(units.includes('PLG') && units.length > 5, `the unit picker lists units: ${units.length}`);
    await op.selectOption('#detail form[data-action=dispatch] select[name=unit]', 'PLG');
    await op.fill('#detail form[data-action=dispatch] input[name=note]', 'Segera ke lokasi');
    await op.click('#detail form[data-action=dispatch] button[type=submit]');
    await op.waitForFunction(() => document.querySelector('#detail .st')?.textContent === 'Didisposisi');
    const history = await op.$$eval('#detail .timeline li', (l) => l.map((x) => x.dataset.type));
    assert(['reported', 'verified', 'dispatched'].every((x) => history.includes(x)), `the history timeline: ${history}`);
    await shot(op, '06-console-dispatched');
    clean(op);
    clean(citizen);

    const unit = await newPage(browser);
    await login(unit, 'unit.plg');
    await unit.waitForSelector(`#rows tr[data-ticket="${ticket}"]`);
    await unit.click(`#rows tr[data-ticket="${ticket}"] a`);
    await unit.waitForSelector('#detail form[data-action=acknowledge]');
    const mine = await unit.$$eval('#detail form[data-action]', (f) => f.map((x) => x.dataset.action));
    assert(!mine.includes('verify') && !mine.includes('dispatch'), `a unit officer is offered unit actions only: ${mine}`);
    assert(await unit.isHidden('#call-open'), 'a unit officer takes no calls');
    await unit.fill('#detail form[data-action=acknowledge] input[name=note]', 'Tim meluncur');
    await unit.click('#detail form[data-action=acknowledge] button[type=submit]');
    await unit.waitForFunction(() => document.querySelector('#detail .st')?.textContent === 'Diterima Satker');
    // the operator's console follows without a reload
    await op.waitForFunction((t) => document.querySelector(`#rows tr[data-ticket="${t}"]`)?.textContent.includes('Diterima Satker'), ticket);
    await shot(unit, '07-unit-acknowledged');
    clean(unit);
    ctx.dispatched = ticket;
    for (const p of [op, citizen, unit]) await p.context().close();
  }],
  ['console: a 110 call taken from the keyboard alone; search finds it', async (browser) => {
    const op = await newPage(browser);
    await login(op, 'pasiaga');
    await op.waitForSelector('#rows tr[data-ticket]');
    await op.locator('body').focus();
    await op.keyboard.press('n');
    await op.waitForSelector('#call[open]');
    const type = async (s) => { await op.keyboard.type(s); await op.keyboard.press('Tab'); };
    const phone = `0811-70${String(Date.now() % 1e6).padStart(6, '0')}`;
    await op.keyboard.press('Tab'); // channel: phone (kept)
    await op.keyboard.type('Peristiwa'); await op.keyboard.press('Tab'); // category by typing
    await op.keyboard.type('Darurat'); await op.keyboard.press('Tab');
    await type(phone);
    await type('Pak Joko (penelepon 110)');
    await op.keyboard.type('Kota Palembang'); await op.keyboard.press('Tab');
    await type('Kemuning'); await op.keyboard.press('Tab'); // kecamatan typed; desa left empty
    await type('Jl. Kolonel Atmo, depan toko emas');
    await op.keyboard.type('Penelepon melaporkan perampokan toko emas sedang berlangsung, tiga pelaku bersenjata.');
    await shot(op, '08-call-taker-form');
    await op.keyboard.press('Control+Enter');
    await op.waitForSelector('#detail h2');
    const ticket = (await op.textContent('#detail h2')).trim();
    const facts = await op.textContent('#detail .facts');
    const tel = await op.getAttribute('#detail a.tel', 'href');
    assert(facts.includes('Telepon 110') && tel === `tel:+62${phone.slice(1).replace('-', '')}`, `a phone report with the caller's number: ${facts} ${tel}`);
    assert((await op.textContent('#detail .row')).includes('Darurat'), 'priority emergency');
    assert(await op.isHidden('#crime-alert'), 'no alarm for the call this console just saved');
    await op.fill('#q', phone);
    await op.waitForFunction((t) => [...document.querySelectorAll('#rows tr[data-ticket]')].map((r) => r.dataset.ticket).join() === t, ticket);
    await op.fill('#q', 'toko emas sedang');
    await op.waitForFunction((t) => document.querySelector(`#rows tr[data-ticket="${t}"]`), ticket);
    await op.fill('#q', ticket);
    await op.waitForFunction((t) => document.querySelectorAll('#rows tr[data-ticket]').length === 1 && document.querySelector(`#rows tr[data-ticket="${t}"]`), ticket);
    // the duty officer blocks the caller's number from the case
    await op.fill('#detail form[data-number=block] input[name=reason]', 'Uji blokir manual');
    await op.click('#detail form[data-number=block] button[type=submit]');
    await op.waitForSelector('#detail #blocked-until');
    assert(await op.$$eval('#detail form[data-number]', (f) => f.length) === 0, 'only Propam lifts a block');
    await shot(op, '09-console-search-and-block');
    clean(op);
    await op.context().close();
  }],
  ['console: a countdown turns amber near its deadline and red after it', async (browser) => {
    const op = await newPage(browser);
    await op.clock.install(); // the page's clock runs, and the test may jump it forward
    await login(op, 'operator');
    await op.waitForSelector('#live:not(.off)');
    await op.waitForSelector('#rows tr[data-ticket]');
    const { ticket } = await fileReport(report({
      category: 'information', description: 'Bagaimana cara mengurus surat kehilangan STNK yang hilang di jalan?',
    }));
    const cd = `#rows tr[data-ticket="${ticket}"] .cd`;
    await op.waitForSelector(cd);
    assert(!/amber|red/.test(await op.getAttribute(cd, 'class')), 'a fresh case has time');
    const left = Date.parse(await op.getAttribute(cd, 'data-due')) - (await op.evaluate(() => Date.now()));
    await op.clock.fastForward(left - 60_000);
    await op.waitForSelector(`${cd}.amber`);
    assert((await op.textContent(cd)).includes('lagi'), 'time left');
    await op.clock.fastForward(120_000);
    await op.waitForSelector(`${cd}.red`);
    assert((await op.textContent(cd)).includes('terlambat'), 'late');
    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    await op.waitForSelector('#detail .cd.red');
    await shot(op, '15-console-countdown-red');
    clean(op);
    await op.context().close();
  }],
];
