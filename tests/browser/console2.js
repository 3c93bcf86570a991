// Issue 13, the console: the call-taker form (every error at once, Enter moves on, whole category
// names, "Simpan & disposisi" by keyboard alone), the console at 1366x768 (>= 10 rows, the next
// step on top, "Tersimpan" and the focus through live redraws), the unread crime alert and its
// repeating sound, phone links, the dark theme, and a unit officer's console on a 360 px phone.
import { newPage, shot, clean, assert, login, fileReport, report } from './lib.js';

const LAPTOP = { width: 1366, height: 768 };
const phone = (prefix) => `${prefix}${String(Date.now() % 1e6).padStart(6, '0')}`;

// counts the tones the page starts (three oscillators a tone), whatever the autoplay policy
const countTones = () => {
  window.oscillators = 0;
  const make = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function count() { window.oscillators += 1; return make.call(this); };
};

async function openCall(page) {
  await page.locator('body').focus();
  await page.keyboard.press('n');
  await page.waitForSelector('#call[open]');
}

export default [
  ['console2: the call-taker form shows every error at once; Enter moves on, never saves', async (browser) => {
    const op = await newPage(browser, { viewport: LAPTOP });
    await login(op, 'pasiaga');
    await op.waitForSelector('#rows tr[data-ticket]');
    await openCall(op);
    // whole category names: the longest fits its select, in the form and in the queue's filter
    const cut = await op.$$eval('#ct-category, #f-category', (sels) => sels.flatMap((s) => {
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = getComputedStyle(s).font;
      const room = s.clientWidth - 40; // padding and the arrow
      return [...s.options].filter((o) => ctx.measureText(o.text).width > room).map((o) => `${s.id}: ${o.text}`);
    }));
    assert(cut.length === 0, `category names cut: ${cut}`);
    // Ctrl+Enter on an empty form: every error at once, nothing sent
    let posted = 0;
    op.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/reports')) posted += 1; });
    await op.keyboard.press('Control+Enter');
    await op.waitForSelector('#ct-error:not([hidden])');
    const errors = await op.$$eval('#call .field-error', (e) => e.filter((x) => x.textContent.trim()).map((x) => x.id));
    for (const id of ['e-ct-phone', 'e-ct-name', 'e-ct-regency', 'e-ct-address', 'e-ct-description']) {
      assert(errors.includes(id), `${id} shown with the others: ${errors}`);
    }
    assert(await op.evaluate(() => document.activeElement.id) === 'ct-phone', 'the first wrong field has the focus');
    assert((await op.getAttribute('#ct-phone', 'aria-invalid')) === 'true', 'marked for assistive technology');
    await op.keyboard.type('123');
    await op.keyboard.press('Enter');
    assert(await op.evaluate(() => document.activeElement.id) === 'ct-name', 'Enter moved to the next field');
    assert(await op.isVisible('#call[open]'), 'Enter did not save');
    await op.keyboard.type('Bu Ani');
    await op.keyboard.press('Enter');
    await op.keyboard.press('Control+Enter');
    await op.waitForFunction(() => document.querySelector('#e-ct-phone').textContent.includes('tidak valid'));
    assert(!(await op.textContent('#e-ct-name')).trim(), 'a fixed field is clear again');
    assert(posted === 0, `the page checked before sending: ${posted} POSTs`);
    await shot(op, 'c2-01-call-all-errors');
    clean(op);
    await op.context().close();
  }],

  ['console2: "Simpan & disposisi" by keyboard alone: saved, verified on the line, unit picked', async (browser) => {
    const op = await newPage(browser, { viewport: LAPTOP });
    await login(op, 'pasiaga');
    await op.waitForSelector('#live:not(.off)');
    await op.waitForSelector('#rows tr[data-ticket]');
    await openCall(op);
    const caller = phone('0812-66');
    await op.keyboard.press('Tab'); // channel: phone
    await op.keyboard.type('Peristiwa'); await op.keyboard.press('Tab');
    await op.keyboard.type('Darurat'); await op.keyboard.press('Tab');
    assert(await op.isVisible('#ct-dispatch'), '"Simpan & disposisi" offered for an emergency');
    // Enter moves field to field
    for (const s of [caller, 'Pak Herman']) { await op.keyboard.type(s); await op.keyboard.press('Enter'); }
    await op.keyboard.type('Kota Palembang'); await op.keyboard.press('Enter');
    await op.keyboard.type('ilir timur 2'); await op.keyboard.press('Enter'); // kecamatan
    await op.keyboard.press('Enter'); // desa: left empty
    await op.keyboard.type('Jl. Merdeka depan kantor pos'); await op.keyboard.press('Enter');
    assert(await op.evaluate(() => document.activeElement.id) === 'ct-description', 'Enter led to the description');
    await op.keyboard.type('Penelepon melihat perkelahian dengan senjata tajam, satu orang terluka, pelaku masih di lokasi.');
    await op.keyboard.press('Tab');
    assert(await op.evaluate(() => document.activeElement.id) === 'ct-dispatch', 'Tab reaches Simpan & disposisi');
    await shot(op, 'c2-02-call-emergency');
    await op.keyboard.press('Enter');
    await op.waitForSelector('#detail #saved');
    await op.waitForFunction(() => document.activeElement?.matches('#main-action select[name=unit]'));
    const ticket = (await op.textContent('#case-title')).trim();
    const facts = await op.textContent('#detail .facts');
    assert(facts.includes('Dikonfirmasi: penelepon di saluran'), `verified on the line: ${facts}`);
    assert(facts.includes('Kec. Ilir Timur Dua'), `the kecamatan the call-taker typed, matched: ${facts}`);
    assert((await op.textContent('#detail .st')) === 'Terverifikasi', 'verified');
    assert(!(await op.textContent('#detail')).includes('tanpa koordinat'), 'a 110 call gets no prank points for missing coordinates');
    const tel = await op.getAttribute('#detail a.tel', 'href');
    assert(tel === `tel:+62${caller.slice(1).replace('-', '')}`, `a tel: link: ${tel}`);
    assert(/^0812-66\d{2}-\d{4}$/.test(await op.textContent('#detail a.tel')), 'the number as people write it');
    // the unit picker has the focus: pick by keyboard, a note, Enter
    await op.keyboard.press('Tab');
    await op.keyboard.type('Segera ke lokasi');
    await op.keyboard.press('Enter');
    await op.waitForFunction(() => document.querySelector('#detail .st')?.textContent === 'Didisposisi');
    assert(await op.isVisible('#dispatch-done'), 'what was done replaces the dispatch form');
    assert(!(await op.isVisible('#detail form[data-action=dispatch]')), 'the dispatch form is folded away');
    assert((await op.textContent('#saved')).includes('Tersimpan'), 'Tersimpan');
    assert(await op.evaluate(() => document.activeElement.id) === 'saved', 'the focus on the confirmation');
    // a live redraw (another officer writes a note) keeps the confirmation and the focus
    const other = await newPage(browser);
    await login(other, 'operator', `/konsol#${ticket}`);
    await other.waitForSelector('#detail form[data-action=note]');
    await other.fill('#detail form[data-action=note] input[name=text]', 'Keluarga korban sudah dihubungi');
    await other.click('#detail form[data-action=note] button[type=submit]');
    await op.waitForSelector('#detail .timeline li[data-type=noted]');
    assert(await op.isVisible('#saved'), 'Tersimpan stays through the live redraw');
    assert(await op.evaluate(() => document.activeElement.id) === 'saved', 'the focus stays through the live redraw');
    await shot(op, 'c2-03-save-and-dispatch');
    clean(op);
    clean(other);
    await other.context().close();
    await op.context().close();
  }],

  ['console2: at 1366x768 at least 10 queue rows show, and the next step tops the case', async (browser) => {
    const op = await newPage(browser, { viewport: LAPTOP });
    await login(op, 'operator');
    await op.waitForSelector('#rows tr[data-ticket]');
    const total = Number((await op.textContent('#total')).split(' ')[0]);
    for (let i = total; i < 12; i++) {
      await fileReport(report({ category: 'information', description: `Pertanyaan nomor ${i} tentang perpanjangan SIM di Satlantas` }));
    }
    await op.waitForFunction(() => document.querySelectorAll('#rows tr[data-ticket]').length >= 12);
    const visible = await op.$$eval('#rows tr[data-ticket]', (rows) => rows.filter((r) => {
      const b = r.getBoundingClientRect();
      return b.top >= 0 && b.bottom <= innerHeight;
    }).length);
    console.log(`  ${visible} queue rows fully visible at 1366x768`);
    assert(visible >= 10, `at least 10 rows visible: ${visible}`);
    await op.click('#rows tr[data-ticket]:has(.st-new) a');
    await op.waitForSelector('#main-action form');
    const main = await op.$eval('#main-action form', (f) => f.dataset.action);
    assert(main === 'verify', `a new case's next step is verification: ${main}`);
    const button = await op.$eval('#main-action button[type=submit]', (b) => b.getBoundingClientRect().bottom);
    assert(button <= 768, `the main action is in view without scrolling: ${button}`);
    await op.screenshot({ path: `${process.env.BANPOL_SCREENSHOTS || 'screenshots'}/c2-04-console-1366x768-viewport.png` });
    await shot(op, 'c2-04-console-1366x768');
    clean(op);
    await op.context().close();
  }],

  ['console2: a new crime report stays unread, the banner covers nothing, the sound repeats until opened', async (browser) => {
    const op = await newPage(browser, { viewport: LAPTOP });
    await op.addInitScript(countTones);
    await op.clock.install();
    await login(op, 'operator');
    await op.waitForSelector('#live:not(.off)');
    await op.click('#sound');
    assert((await op.getAttribute('#sound', 'aria-pressed')) === 'true', 'sound on');
    await op.reload();
    await op.waitForSelector('#live:not(.off)');
    assert((await op.getAttribute('#sound', 'aria-pressed')) === 'true', 'the sound choice is remembered');
    // a case with its action buttons open, then the report arrives
    await op.waitForSelector('#rows tr[data-ticket]');
    await op.click('#rows tr[data-ticket]:has(.st-new) a');
    await op.waitForSelector('#main-action button[type=submit]');
    const tones0 = await op.evaluate(() => window.oscillators);
    const { ticket } = await fileReport(report({ description: 'Pencurian sepeda motor di parkiran Pasar Cinde, pelaku dua orang.' }));
    await op.waitForSelector(`#rows tr.unread[data-ticket="${ticket}"]`);
    await op.waitForSelector('#crime-alert');
    assert((await op.textContent('#crime-alert')).includes(ticket), 'the banner names the ticket');
    const overlap = await op.evaluate(() => {
      const a = document.querySelector('#crime-alert').getBoundingClientRect();
      return [...document.querySelectorAll('#detail button, #call-open, #rows a')].filter((b) => {
        const r = b.getBoundingClientRect();
        return r.width && !(r.right <= a.left || r.left >= a.right || r.bottom <= a.top || r.top >= a.bottom);
      }).map((b) => b.textContent);
    });
    assert(overlap.length === 0, `the banner covers no button: ${overlap}`);
    const ring = async () => (await op.evaluate(() => window.oscillators)) - tones0;
    assert(await ring() === 3, `one tone on arrival: ${await ring()}`);
    await op.clock.fastForward(30_000);
    assert(await ring() === 6, `again after 30 s: ${await ring()}`);
    await op.clock.fastForward(30_000);
    assert(await ring() === 9, `and again: ${await ring()}`);
    await shot(op, 'c2-05-unread-banner');
    // still unread after a reload (this browser)
    await op.reload();
    await op.waitForSelector(`#rows tr.unread[data-ticket="${ticket}"]`);
    assert(await op.isVisible('#crime-alert'), 'the banner is back after a reload');
    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    await op.waitForSelector('#detail #main-action');
    assert(await op.isHidden('#crime-alert'), 'opened: the banner goes');
    assert(!(await op.$(`#rows tr.unread[data-ticket="${ticket}"]`)), 'opened: the row is read');
    const after = await op.evaluate(() => window.oscillators);
    await op.clock.fastForward(90_000);
    assert(await op.evaluate(() => window.oscillators) === after, 'no tone once opened');
    // opened at another console (the duty officer's): the alert ends here too
    const { ticket: second } = await fileReport(report({ description: 'Penjambretan tas di depan Pasar 16 Ilir, pelaku naik motor.' }));
    await op.waitForSelector(`#rows tr.unread[data-ticket="${second}"]`);
    await op.waitForSelector('#crime-alert');
    const other = await newPage(browser, { viewport: LAPTOP });
    await login(other, 'pasiaga', `/konsol#${second}`);
    await other.waitForSelector('#detail #main-action');
    await op.waitForSelector(`#rows tr[data-ticket="${second}"]:not(.unread)`);
    assert(await op.isHidden('#crime-alert'), 'opened at another console: the banner goes here too');
    const quiet = await op.evaluate(() => window.oscillators);
    await op.clock.fastForward(60_000);
    assert(await op.evaluate(() => window.oscillators) === quiet, 'no tone once opened at another console');
    await shot(op, 'c2-05b-opened-elsewhere');
    clean(other);
    await other.context().close();
    clean(op);
    await op.context().close();
  }],

  ['console2: the dark theme on every staff page, remembered, contrast checked', async (browser) => {
    const op = await newPage(browser, { viewport: LAPTOP });
    await login(op, 'pasiaga');
    await op.waitForSelector('#rows tr[data-ticket]');
    await op.click('#theme');
    assert(await op.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'dark on');
    const bg = await op.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert(bg === 'rgb(14, 21, 32)', `a dark page: ${bg}`);
    await op.reload();
    await op.waitForSelector('#rows tr[data-ticket]');
    assert((await op.getAttribute('#theme', 'aria-pressed')) === 'true', 'remembered');
    await op.click('#rows tr[data-ticket] a');
    await op.waitForSelector('#detail #case-title');
    await shot(op, 'c2-06-dark-console');
    await openCall(op);
    await op.keyboard.press('Control+Enter'); // the errors, in the dark
    await op.waitForSelector('#ct-error:not([hidden])');
    await shot(op, 'c2-07-dark-call-form');
    await op.keyboard.press('Escape');
    await op.goto(op.url().replace(/\/konsol.*/, '/pantau'));
    await op.waitForSelector('#app:not([hidden])');
    assert(await op.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'the board follows');
    clean(op);
    await op.context().close();
    const admin = await newPage(browser, { viewport: LAPTOP });
    await login(admin, 'admin', '/admin');
    await admin.click('#theme');
    await admin.waitForSelector('#users tr td');
    await shot(admin, 'c2-08-dark-admin');
    clean(admin);
    await admin.context().close();
    const auditor = await newPage(browser, { viewport: LAPTOP });
    await auditor.addInitScript(() => localStorage.setItem('banpol.theme', 'dark'));
    await login(auditor, 'auditor', '/audit');
    await auditor.waitForTimeout(500);
    await shot(auditor, 'c2-09-dark-audit');
    clean(auditor);
    await auditor.context().close();
  }],

  ['console2: a unit officer on a 360 px phone: cards, the case on its own view, no sideways scroll', async (browser) => {
    const unit = await newPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await login(unit, 'unit.plg');
    await unit.waitForSelector('#rows tr[data-ticket]');
    const wide = () => unit.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
    let [sw, iw] = await wide();
    assert(sw <= iw, `no sideways scroll on the queue: ${sw} > ${iw}`);
    assert(await unit.isHidden('#queue thead'), 'no table header: cards');
    assert(await unit.$eval('#rows tr[data-ticket]', (r) => getComputedStyle(r).display) === 'grid', 'a row is a card');
    assert(await unit.isHidden('#detail'), 'the case panel waits for a case');
    await shot(unit, 'c2-10-unit-360-queue');
    await unit.click('#rows tr[data-ticket] a');
    await unit.waitForSelector('#detail #case-title');
    assert(await unit.isHidden('#queue'), 'the case is its own view');
    [sw, iw] = await wide();
    assert(sw <= iw, `no sideways scroll on the case: ${sw} > ${iw}`);
    await shot(unit, 'c2-11-unit-360-case');
    await unit.click('#back');
    await unit.waitForSelector('#queue', { state: 'visible' });
    assert(await unit.isHidden('#detail'), 'back to the queue');
    clean(unit);
    await unit.context().close();
  }],
];
