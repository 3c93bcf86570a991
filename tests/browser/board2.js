// Issue 13, items 4 and 5: the wall board fits 1920x1080 and 1280x720 without scrolling, readable
// from across the room, with cases without GPS at their regency's seat; the STPL printed to PDF
// by Chromium with a QR code that decodes (pdf.js renders the PDF, jsQR reads it) to the tracking
// link; the console prints the open case, not the queue; an officer's name, pangkat and NRP.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BASE, SHOTS, newPage, shot, clean, assert, login, fileReport, report } from './lib.js';
import { fileByForm } from './citizen.js';

const require = createRequire(import.meta.url);
const PDFJS = join(require.resolve('pdfjs-dist/package.json'), '..', 'build');
const JSQR = require.resolve('jsqr/dist/jsQR.js');

/** The text of the QR codes on page 1 of `pdf`: pdf.js renders it in Chromium (on a test-only
 * address with no CSP, served from node_modules), jsQR decodes the canvas. Also the page count. */
async function qrInPdf(browser, pdf) {
  const page = await newPage(browser);
  const files = { 'pdf.mjs': join(PDFJS, 'pdf.min.mjs'), 'pdf.worker.mjs': join(PDFJS, 'pdf.worker.min.mjs'), 'jsqr.js': JSQR };
  await page.route(`${BASE}/__test/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop();
    if (name === 'blank') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>pdf</title>' });
    if (name === 'doc.pdf') return route.fulfill({ contentType: 'application/pdf', body: pdf });
    return route.fulfill({ contentType: 'text/javascript', body: readFileSync(files[name]) });
  });
  await page.goto(`${BASE}/__test/blank`);
  await page.addScriptTag({ url: `${BASE}/__test/jsqr.js` });
  const out = await page.evaluate(async () => {
    const pdfjs = await import('/__test/pdf.mjs');
    pdfjs.GlobalWorkerOptions.workerSrc = '/__test/pdf.worker.mjs';
    const doc = await pdfjs.getDocument('/__test/doc.pdf').promise;
    const p = await doc.getPage(1);
    const vp = p.getViewport({ scale: 2 });
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [Math.ceil(vp.width), Math.ceil(vp.height)];
    const g = canvas.getContext('2d');
    await p.render({ canvasContext: g, canvas, viewport: vp }).promise;
    const img = g.getImageData(0, 0, canvas.width, canvas.height);
    const code = window.jsQR(img.data, img.width, img.height);
    return { pages: doc.numPages, text: code ? code.data : null, width: vp.width / 2, height: vp.height / 2 };
  });
  await page.context().close();
  return out;
}

/** The board fits the screen: no scrolling either way. */
async function fits(page) {
  return page.evaluate(() => ({
    h: document.documentElement.scrollHeight, ih: innerHeight,
    w: document.documentElement.scrollWidth, iw: innerWidth,
  }));
}

/** Calls the API as the page's logged-in person (the CSRF token from /api/v1/me). */
async function staffApi(page, path, body) {
  return page.evaluate(async ([p, b]) => {
    const me = await (await fetch('/api/v1/me')).json();
    const r = await fetch(p, {
      method: b ? 'POST' : 'GET',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: b ? JSON.stringify(b) : undefined,
    });
    return { status: r.status, data: await r.json() };
  }, [path, body]);
}

export default [
  ['board2: the wall board fits 1920x1080 and 1280x720, readable, cases without GPS at their seat', async (browser) => {
    // two reports without coordinates: a web report without GPS in Lahat, one in Palembang
    const lahat = await fileReport(report({ location: { regency: 'Kabupaten Lahat', address: 'Pasar Lama Lahat, depan toko emas' } }));
    await fileReport(report({ category: 'information', description: 'Bagaimana cara mengurus SKCK untuk melamar kerja?', location: { regency: 'Kota Palembang', address: 'Jl. Veteran' } }));
    const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } });
    await login(page, 'pasiaga', '/pantau');
    await page.waitForSelector('svg.map g.unl[data-regency="Kabupaten Lahat"]');
    const board = await staffApi(page, '/api/v1/board');
    const inLahat = board.data.unlocated.find((u) => u.regency === 'Kabupaten Lahat');
    assert(inLahat && inLahat.open >= 1 && inLahat.lat !== null, `the board counts Lahat's case without GPS at its seat: ${JSON.stringify(inLahat)}`);
    assert(!board.data.points.some((p) => p.ticket === lahat.ticket), 'a case without coordinates is not a dot of its own');
    const disc = await page.$eval('svg.map g.unl[data-regency="Kabupaten Lahat"]', (g) => ({ n: g.dataset.count, text: g.textContent }));
    assert(Number(disc.n) === inLahat.open && disc.text.startsWith(String(inLahat.open)), `the seat's disc shows the count: ${JSON.stringify(disc)}`);

    for (const [w, h] of [[1920, 1080], [1280, 720]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(500); // the board draws again after a resize
      const f = await fits(page);
      assert(f.h <= f.ih && f.w <= f.iw, `no scrolling at ${w}x${h}: ${JSON.stringify(f)}`);
      const sizes = await page.evaluate(() => {
        const px = (sel) => [...document.querySelectorAll(sel)].filter((e) => e.getClientRects().length).map((e) => parseFloat(getComputedStyle(e).fontSize));
        return { list: [...px('#units li span'), ...px('#by-status li span'), ...px('#overdue td span'), ...px('#escalated td span')], kpi: px('.kpi b') };
      });
      const [minList, minKpi] = [Math.min(...sizes.list), Math.min(...sizes.kpi)];
      if (h === 1080) assert(minList >= 22, `list text at least 22 px at 1080p: ${minList}`);
      assert(minKpi > 2 * minList, `the figures are larger than the lists: ${minKpi} vs ${minList}`);
      console.log(`  ${w}x${h}: scrollHeight ${f.h} <= ${f.ih}; list text ${minList.toFixed(1)} px, figures ${minKpi.toFixed(1)} px`);
      await shot(page, `board2-${w}x${h}`);
    }

    // units by name, not by code
    const names = await page.$$eval('#units li[data-unit] > span:first-child', (l) => l.map((x) => x.textContent));
    assert(names.length > 0 && names.every((n) => !/^[A-Z]{2,8}$/.test(n)), `units by name: ${names}`);
    // overdue and escalated cases stand out (they blink, or are red when motion is reduced)
    const alarms = await page.$$eval('#overdue tr.alarm td, #escalated tr.alarm td', (l) => l.map((x) => getComputedStyle(x).animationName));
    const listed = board.data.overdue.length + board.data.escalated.length;
    assert(!listed || (alarms.length && alarms.every((a) => a === 'alarm')), `overdue/escalated rows blink: ${listed} listed, ${alarms}`);
    // fullscreen
    assert(await page.isVisible('#fullscreen'), 'a fullscreen button');
    await page.click('#fullscreen');
    await page.waitForFunction(() => document.fullscreenElement === document.documentElement);
    await page.click('#fullscreen');
    await page.waitForFunction(() => !document.fullscreenElement);
    clean(page);
    await page.context().close();
  }],

  ['board2: an STPL printed to PDF by Chromium carries a QR code of the tracking link; officers by name', async (browser) => {
    // tik_admin gives the operator a name, pangkat and NRP on the admin page
    const admin = await newPage(browser);
    await login(admin, 'admin', '/admin');
    await admin.waitForSelector('#id-user option[value=operator]', { state: 'attached' });
    await admin.selectOption('#id-user', 'operator');
    await admin.fill('#id-full-name', 'Budi Santoso');
    await admin.fill('#id-pangkat', 'AIPDA');
    await admin.fill('#id-nrp', '1234');
    await admin.click('#identity button[type=submit]');
    await admin.waitForSelector('#id-out.alert.danger');
    assert((await admin.textContent('#id-out')).includes('NRP'), 'a short NRP is refused with its own text');
    admin.problems = admin.problems.filter((p) => !p.includes('status of 422')); // the refusal just made
    await admin.fill('#id-nrp', '78040123');
    await admin.click('#identity button[type=submit]');
    await admin.waitForSelector('#id-out.alert.ok');
    await admin.waitForSelector('#users tr[data-user=operator] >> text=AIPDA Budi Santoso');
    clean(admin);
    await admin.context().close();

    // the operator takes a 110 call: the STPL names the officer who received it
    const op = await newPage(browser);
    await login(op, 'operator');
    const call = await staffApi(op, '/api/v1/reports', {
      ...report({ description: 'Penelepon melaporkan pencurian sepeda motor di parkiran Pasar Cinde pagi ini.', location: { regency: 'Kota Palembang', address: 'Pasar Cinde' } }),
      channel: 'phone',
    });
    assert(call.status === 201, `a call filed: ${JSON.stringify(call)}`);
    const { ticket, token } = call.data;
    await op.goto(`${BASE}/stpl/${ticket}#k=${token}`);
    await op.waitForSelector('#stpl:not([hidden]) svg.qr');
    const sheet = await op.textContent('#stpl');
    for (const want of ['SURAT TANDA PENERIMAAN LAPORAN', 'POLDA SUMATERA SELATAN', 'POLRESTABES PALEMBANG', ticket, token, 'Pasar Cinde', 'AIPDA Budi Santoso', 'NRP 78040123', 'WIB', 'telepon 110', 'Verifikasi'.toLowerCase()]) {
      assert(sheet.toLowerCase().includes(want.toLowerCase()), `the STPL shows ${want}: ${sheet.slice(0, 300)}`);
    }
    const pdf = await op.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(SHOTS, 'board2-stpl.pdf'), pdf);
    const read = await qrInPdf(browser, pdf);
    const link = `${BASE}/lacak#t=${ticket}&k=${token}`;
    assert(read.pages === 1, `the STPL is one page: ${read.pages}`);
    assert(Math.abs(read.width - 595) < 2 && Math.abs(read.height - 842) < 2, `A4: ${read.width}x${read.height} pt`);
    assert(read.text === link, `the QR code in the PDF decodes to the tracking link: ${read.text} vs ${link}`);
    console.log(`  STPL PDF ${pdf.length} bytes, ${read.pages} page A4; QR decodes to ${read.text}`);
    await shot(op, 'board2-stpl');
    // the link works: tracking shows the case
    await op.goto(read.text);
    await op.waitForSelector('#result:not([hidden])');
    assert((await op.textContent('#res-ticket')) === ticket, 'the QR link opens the case in tracking');

    // without the code (printed later from the console) the QR code links to tracking by ticket
    await op.goto(`${BASE}/konsol`);
    await op.waitForSelector(`#rows tr[data-ticket="${ticket}"] a`);
    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    const href = await op.getAttribute(`#detail a[data-stpl="${ticket}"]`, 'href');
    assert(href === `/stpl/${ticket}`, `a Cetak STPL button in the case panel: ${href}`);
    const when = await op.textContent('#detail .timeline li[data-type=reported] .when');
    assert(when.includes('AIPDA Budi Santoso') && when.includes('78040123'), `the history names the officer: ${when}`);
    await op.goto(`${BASE}${href}`);
    await op.waitForSelector('#stpl:not([hidden]) svg.qr');
    const later = await qrInPdf(browser, await op.pdf({ format: 'A4' }));
    assert(later.text === `${BASE}/lacak#t=${ticket}`, `without the code, tracking by ticket: ${later.text}`);
    clean(op);
    await op.context().close();

    // a citizen prints their own STPL from the receipt: what they typed, and the code in the QR
    const citizen = await newPage(browser, { viewport: { width: 390, height: 844 } });
    const mine = await fileByForm(citizen, {
      description: 'Lampu lalu lintas di simpang Charitas mati sejak pagi, kendaraan macet panjang.',
      category: 'information', phone: '0813-6000-1122', name: 'Yusuf Maulana',
    });
    // the print dialog itself is the browser's: counted here, and the test prints to PDF instead
    await citizen.evaluate(() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; });
    await citizen.click('#r-stpl');
    await citizen.waitForSelector('#stpl:not([hidden]) svg.qr');
    assert(await citizen.evaluate(() => window.printed) === 1, 'Cetak STPL opens the print dialog');
    const paper = await citizen.textContent('#stpl');
    assert(paper.includes(mine.ticket) && paper.includes('simpang Charitas') && paper.includes('Yusuf Maulana') && paper.includes('formulir web'), `the reporter's STPL: ${paper.slice(0, 300)}`);
    const own = await qrInPdf(browser, await citizen.pdf({ format: 'A4', printBackground: true }));
    assert(own.pages === 1 && own.text === `${BASE}/lacak#t=${mine.ticket}&k=${mine.token}`, `the reporter's QR code: ${JSON.stringify(own)}`);
    await citizen.setViewportSize({ width: 794, height: 1123 }); // A4 at 96 dpi, as on paper
    await citizen.emulateMedia({ media: 'print' });
    assert(await citizen.isHidden('#done') && await citizen.isVisible('#stpl'), 'printing the receipt page prints the STPL only');
    await shot(citizen, 'board2-stpl-citizen-print');
    clean(citizen);
    await citizen.context().close();

    // the public STPL answer gives no more than tracking does, and only with the right code
    const anon = await newPage(browser);
    await anon.goto(`${BASE}/lacak`);
    const pub = await anon.evaluate(async ([t, k]) => {
      const ok = await fetch(`/api/v1/reports/${t}/stpl?token=${k}`);
      const bad = await fetch(`/api/v1/reports/${t}/stpl?token=AAAAAAAA`);
      const staff = await fetch(`/api/v1/cases/${t}/stpl`);
      return { ok: await ok.json(), bad: bad.status, staff: staff.status };
    }, [mine.ticket, mine.token]);
    assert(pub.bad === 404 && pub.staff === 401, `a wrong code or no session gets nothing: ${pub.bad} ${pub.staff}`);
    assert(pub.ok.report === null && !JSON.stringify(pub.ok).includes('Yusuf') && !JSON.stringify(pub.ok).includes('0813'), 'no report text, name or phone in the public STPL');
    await anon.context().close();
  }],

  ['board2: Ctrl+P on the console prints the open case with its history, not the queue', async (browser) => {
    const op = await newPage(browser);
    await login(op, 'operator');
    await op.waitForSelector('#rows tr[data-ticket] a');
    const ticket = await op.getAttribute('#rows tr[data-ticket]', 'data-ticket');
    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    await op.waitForSelector('#detail .timeline li');
    await op.emulateMedia({ media: 'print' });
    assert(await op.isHidden('#queue') && await op.isHidden('header.top'), 'the queue and the header are not printed');
    assert(await op.isVisible('#detail .timeline') && await op.isVisible('#detail .desc'), 'the case and its history are');
    assert(await op.isHidden(`#detail a[data-stpl]`) && await op.isHidden('#detail #actions'), 'buttons and action forms are not printed');
    assert((await op.textContent('#detail h2')) === ticket, 'the open case');
    await shot(op, 'board2-console-print');
    const pdf = await op.pdf({ format: 'A4' });
    writeFileSync(join(SHOTS, 'board2-console-case.pdf'), pdf);
    clean(op);
    await op.context().close();
  }],
];

/** Run against a node whose SOP gives an information report 2 s to verify (BANPOL_SUITE=wall,
 * tests/it/browser.rs): an overdue, escalated case blinks on the wall until it is handled. */
export const wall = [
  ['board2: an overdue, escalated case without GPS blinks on the wall until handled', async (browser) => {
    const { ticket } = await fileReport(report({ category: 'information', description: 'Bagaimana cara mengurus surat kehilangan KTP di Lahat?', location: { regency: 'Kabupaten Lahat', address: 'Jl. Mayor Ruslan' } }));
    const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } });
    await login(page, 'pasiaga', '/pantau');
    await page.waitForSelector(`#overdue tr.alarm[data-ticket="${ticket}"]`, { timeout: 15_000 });
    await page.waitForSelector(`#escalated tr.alarm[data-ticket="${ticket}"]`, { timeout: 15_000 });
    await page.waitForSelector('svg.map g.unl.alarm[data-regency="Kabupaten Lahat"]');
    const blink = await page.$eval(`#overdue tr[data-ticket="${ticket}"] td`, (td) => getComputedStyle(td).animationName);
    assert(blink === 'alarm', `the overdue row blinks: ${blink}`);
    assert(await page.$eval('#k-overdue-card', (c) => c.classList.contains('alarm')), 'the overdue figure is red');
    const f = await fits(page);
    assert(f.h <= f.ih && f.w <= f.iw, `no scrolling with alarms: ${JSON.stringify(f)}`);
    await shot(page, 'board2-wall-alarm');
    // without animation (the system asks for reduced motion) it is solid red instead
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const still = await page.$eval(`#overdue tr[data-ticket="${ticket}"] td`, (td) => [getComputedStyle(td).animationName, getComputedStyle(td).backgroundColor]);
    assert(still[0] === 'none' && still[1] === 'rgb(164, 22, 26)', `reduced motion: ${still}`);

    // handled: the operator verifies it and it leaves the lists
    const op = await newPage(browser);
    await login(op, 'operator');
    const v = await staffApi(op, `/api/v1/cases/${ticket}/actions`, { action: 'verify', method: 'callback_confirmed' });
    assert(v.status === 200, `verified: ${v.status}`);
    await page.waitForSelector(`#overdue tr[data-ticket="${ticket}"]`, { state: 'detached', timeout: 10_000 });
    await page.waitForSelector(`#escalated tr[data-ticket="${ticket}"]`, { state: 'detached' });
    assert(!(await page.$('svg.map g.unl.alarm[data-regency="Kabupaten Lahat"]')), 'the seat no longer blinks');
    clean(page);
    clean(op);
    await op.context().close();
    await page.context().close();
  }],
];
