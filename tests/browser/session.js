// Sessions that fit a shift, against a node with session_ttl = 20s (tests/it/browser.rs): the
// warning before the end, "stay signed in", and the re-login in place when the session is gone,
// with the open case, the typed note and the half-filled call form still there, and the live
// stream following again.
import { newPage, shot, clean, assert, login, LOGINS } from './lib.js';

// "00:17" (mm:ss, as util.fmtDur shows under an hour) in the warning, in seconds
const secondsLeft = (page) => page.$eval('#session-left', (e) => {
  const m = /(\d+):(\d\d)/.exec(e.textContent);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
});

export default [
  ['session: warning, stay signed in, re-login in place keeps the open case, the typed note and the call form', async (browser) => {
    const op = await newPage(browser);
    await login(op, 'operator');
    await op.waitForSelector('#live:not(.off)');
    await op.waitForSelector('#rows tr[data-ticket]');
    await op.evaluate(() => { window.stillTheSamePage = true; });

    // open a case and start typing a note
    const ticket = await op.$eval('#rows tr[data-ticket]', (r) => r.dataset.ticket);
    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    await op.waitForSelector('#detail form[data-action=note] input[name=text]');
    const note = 'Pelapor dihubungi ulang pukul 14.10, alamat dipastikan — catatan belum disimpan';
    await op.fill('#detail form[data-action=note] input[name=text]', note);

    // the session ends in under 10 minutes: the warning is up, in Bahasa Indonesia
    await op.waitForSelector('#session-warn:not([hidden])');
    const warn = await op.textContent('#session-warn');
    assert(warn.includes('Sesi Anda akan berakhir dalam') && warn.includes('WIB'), `the warning: ${warn}`);
    // "stay signed in" renews the session (a request the user makes)
    await op.waitForFunction(() => /00:(0\d|1[0-4])/.test(document.querySelector('#session-left')?.textContent));
    const before = await secondsLeft(op);
    await op.click('#session-stay');
    await op.waitForFunction((b) => {
      const m = /(\d+):(\d\d)/.exec(document.querySelector('#session-left')?.textContent || '');
      return m && Number(m[1]) * 60 + Number(m[2]) >= b + 4;
    }, before);
    console.log(`  "Tetap masuk": ${before} s left before, ${await secondsLeft(op)} s after`);
    await shot(op, '40-session-warning');

    // a 110 call comes in: the call-taker form is open, half filled
    await op.click('#call-open');
    await op.waitForSelector('#call[open]');
    const story = 'Penelepon melaporkan pencurian sepeda motor di depan Masjid Agung, pelaku dua orang';
    await op.fill('#ct-name', 'Rudi Hartono');
    await op.fill('#ct-description', story);

    // left alone, the session ends: the re-login dialog comes up over the page
    const t0 = Date.now();
    await op.waitForSelector('#relogin[open]', { timeout: 40_000 });
    console.log(`  the re-login dialog came ${Date.now() - t0} ms after the last request`);
    assert(await op.isHidden('#session-warn'), 'the warning gives way to the dialog');
    assert((await op.inputValue('#relogin-user')) === 'operator', 'the same user logs in again');
    await op.waitForSelector('#live.off', { timeout: 2000 }); // the live stream has ended too
    assert((await op.inputValue('#detail form[data-action=note] input[name=text]')) === note, 'the typed note is still there under the dialog');
    assert((await op.inputValue('#ct-description')) === story, 'the call form is still there under the dialog');
    await shot(op, '41-session-relogin');

    // a wrong password is refused in place; the right one closes the dialog
    await op.fill('#relogin-pass', 'salah-sekali-123');
    await op.click('#relogin-submit');
    await op.waitForSelector('#relogin-error:not([hidden])');
    await op.fill('#relogin-pass', LOGINS.operator);
    await op.click('#relogin-submit');
    await op.waitForSelector('#relogin', { state: 'hidden' });
    assert(await op.evaluate(() => window.stillTheSamePage === true), 'the page was not reloaded');
    assert(op.url().endsWith(`#${ticket}`), `the open case stays open: ${op.url()}`);
    assert((await op.textContent('#case-title')).includes(ticket), 'the case is still shown');
    assert((await op.inputValue('#detail form[data-action=note] input[name=text]')) === note, 'the typed note survived the re-login');
    assert(await op.isVisible('#call[open]'), 'the call form is still open');
    assert((await op.inputValue('#ct-description')) === story && (await op.inputValue('#ct-name')) === 'Rudi Hartono', 'the call form kept its text');
    await op.waitForSelector('#live:not(.off)'); // the live stream follows again
    await op.click('#ct-cancel');

    // and it can be saved now
    await op.click('#detail form[data-action=note] button[type=submit]');
    await op.waitForFunction((n) => [...document.querySelectorAll('#detail .timeline li')].some((l) => l.textContent.includes(n)), note);
    await shot(op, '42-session-note-saved');
    clean(op);
    await op.context().close();
  }],
];
