// The SOP in hand (issue 14): "Langkah SOP" with its checklist on a case, ticked while verifying,
// the ticks in the case history; the intake checklist in the call-taker form; the /sop document
// printed to PDF; a draft whose error names its line and field; the diff of two versions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newPage, shot, clean, assert, login, fileReport, report, SHOTS } from './lib.js';

export default [
  ['sop: Langkah SOP on a case, its checklist ticked while verifying, the ticks in the history', async (browser) => {
    const op = await newPage(browser);
    await login(op, 'operator');
    await op.waitForSelector('#rows tr[data-ticket]');
    const { ticket } = await fileReport(report({ category: 'crime', description: 'Motor saya dicuri di depan Pasar 16 Ilir barusan, pelaku kabur ke arah jembatan.' }));
    await op.waitForSelector(`#rows tr[data-ticket="${ticket}"] a`);
    await op.click(`#rows tr[data-ticket="${ticket}"] a`);
    await op.waitForSelector('#detail #sop-step');
    const title = await op.textContent('#sop-step-title');
    assert(title.startsWith('Langkah SOP'), `the step's title: ${title}`);
    const items = await op.$$eval('#detail input[name=sop-check]', (xs) => xs.map((x) => x.value));
    assert(JSON.stringify(items) === JSON.stringify(['hubungi balik pelapor', 'pastikan lokasi', 'tanyakan korban luka']), `checklist: ${items}`);
    assert((await op.textContent('#sop-step .sop-instruction')).startsWith('Verifikasi laporan'), 'the instruction');
    const rung = await op.textContent('#sop-next-rung');
    assert(rung.includes('eskalasi ke Pa Siaga'), `the rung that follows: ${rung}`);
    await op.check('#sop-check-0');
    await op.check('#sop-check-1');
    await shot(op, 'sop-01-langkah-sop');
    await op.click('#main-action button[data-action=verify]');
    await op.waitForSelector('#detail .timeline li[data-type=verified] .sop-ticked');
    const ticked = await op.textContent('#detail .timeline li[data-type=verified] .sop-ticked');
    assert(ticked.includes('hubungi balik pelapor') && ticked.includes('pastikan lokasi') && !ticked.includes('tanyakan korban luka'), `ticks in the history: ${ticked}`);
    // the next step's guidance follows the case
    await op.waitForFunction(() => document.querySelector('#sop-step-title')?.textContent === 'Langkah SOP: Disposisi');
    await shot(op, 'sop-02-ticks-in-history');

    // the call-taker form shows the intake checklist of the chosen category
    await op.click('#call-open');
    await op.selectOption('#ct-category', 'crime');
    await op.waitForSelector('#ct-intake:not([hidden]) li');
    const asks = await op.$$eval('#ct-intake li', (xs) => xs.map((x) => x.textContent));
    assert(asks.some((a) => a.includes('korban luka')), `intake checklist: ${asks}`);
    await shot(op, 'sop-03-intake-checklist');
    await op.click('#ct-cancel');
    clean(op);
    await op.context().close();
  }],
  ['sop: /sop printed to PDF; a bad draft names its line and field; the diff of two versions', async (browser) => {
    const page = await newPage(browser);
    await login(page, 'kasiaga', '/sop');
    await page.waitForSelector('#sop-body .sop-category[data-category=crime] .sop-guide');
    const meta = await page.textContent('#sop-meta');
    assert(meta.includes('draft-2026-12'), `the version in force: ${meta}`);
    await shot(page, 'sop-04-document');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(SHOTS, 'sop-document.pdf'), pdf);
    assert(pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 20_000, `a PDF of the document (${pdf.length} bytes)`);
    console.log(`  pdf ${join(SHOTS, 'sop-document.pdf')} (${pdf.length} bytes)`);

    // the editor starts from the text in force; a zero deadline is refused at its line and field
    await page.waitForSelector('#editor:not([hidden])');
    await page.waitForFunction(() => document.querySelector('#sop-text').value.includes('version = "draft-2026-12"'));
    const text = await page.inputValue('#sop-text');
    const next = text.replace('version = "draft-2026-12"', 'version = "2027-02-uji"');
    const broken = next.replace('dispatch     = { emergency = "3m",', 'dispatch     = { emergency = "0m",');
    const line = broken.split('\n').findIndex((l) => l.includes('emergency = "0m"')) + 1;
    await page.fill('#sop-text', broken);
    await page.click('#sop-save');
    await page.waitForFunction(() => document.querySelector('#sop-error').textContent.length > 0);
    const said = await page.textContent('#sop-error');
    assert(said.includes(`Baris ${line}`) && said.includes('crime.dispatch.emergency'), `the line and the field: ${said}`);
    await shot(page, 'sop-05-draft-error');
    page.problems.length = 0; // the 422 above is expected
    await page.fill('#sop-text', next.replace('normal = "15m" }', 'normal = "10m" }'));
    await page.click('#sop-save');
    await page.waitForSelector('#sop-saved:not([hidden])');
    await page.waitForSelector('#versions tr[data-version="2027-02-uji"][data-stage=draft]');

    // side by side: the changed lines of the two versions
    await page.selectOption('#diff-a', 'draft-2026-12');
    await page.selectOption('#diff-b', '2027-02-uji');
    await page.click('#diff-form button[type=submit]');
    await page.waitForSelector('#diff-table tr.chg');
    const changed = await page.$$eval('#diff-table tr.chg', (rs) => rs.map((r) => [r.querySelector('td.a').textContent, r.querySelector('td.b').textContent]));
    assert(changed.some(([a, b]) => a.includes('draft-2026-12') && b.includes('2027-02-uji')), `the version line changed: ${JSON.stringify(changed)}`);
    assert(changed.some(([a, b]) => a.includes('"15m"') && b.includes('"10m"')), 'the deadline changed');
    await page.$eval('#sop-diff', (e) => e.scrollIntoView());
    await shot(page, 'sop-06-diff');
    clean(page);
    await page.context().close();
  }],
];
