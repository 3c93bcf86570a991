// One language at a time (issue 13, item 1): every page, in Indonesian and in English, shows no
// word of the other language. The pages are walked as their users see them, with data on screen:
// the citizen's form with all its errors, a failed lookup on /lacak, a case with its prank reasons
// and history in the console and on the audit page, the board, the accounts. What people typed
// (descriptions, names, addresses, notes) and the units directory's names are data, not UI text:
// they are taken from the API and cut out before the words are checked.
import { BASE, newPage, shot, clean, assert, login } from './lib.js';

// words that belong to one language only (whole words, any case); small and specific
const ENGLISH = ['the', 'and', 'of', 'your', 'you', 'this', 'report', 'reports', 'case', 'cases', 'required', 'password',
  'username', 'please', 'failed', 'disabled', 'saved', 'search', 'reset', 'overdue', 'deadline', 'history', 'reporter',
  'system', 'prank', 'wrong', 'choose', 'send', 'loading', 'previous', 'next', 'today', 'user', 'users', 'filter',
  'download', 'date', 'action', 'number', 'without', 'with', 'dec', 'not found', 'log in', 'log out'];
const INDONESIAN = ['dan', 'yang', 'tidak', 'untuk', 'laporan', 'kasus', 'pelapor', 'sistem', 'simpan', 'kirim', 'wajib',
  'pengguna', 'keluar', 'masuk', 'sebelumnya', 'berikutnya', 'ditolak', 'baru', 'nonaktif', 'aktif', 'menunggu',
  'satuan', 'sandi', 'tiket', 'lihat', 'dari', 'sampai', 'tanggal', 'semua', 'diperbarui', 'terverifikasi', 'palsu',
  'halaman', 'cari', 'jenis', 'peran', 'batal', 'unduh', 'ini', 'nomor', 'tanpa', 'dengan', 'sedang', 'riwayat', 'des', 'agu',
  'okt', 'mei', 'pukul'];
// what no page may name in either language: CLI flags, endpoints, the README, raw codes
const NEVER = [/(^|\s|\()--[a-z]/, /\/api\/v1/, /README/, /\b(POST|GET) \//, /\b[a-z]+_[a-z_]+\b/];

/** Everything a person reads on the page: the tab's title, visible text, placeholders, labels
 * for assistive technology, the options of selects. */
function pageTexts() {
  const out = [document.title, document.body.innerText];
  for (const e of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    for (const a of ['placeholder', 'aria-label', 'title']) if (e.getAttribute(a)) out.push(e.getAttribute(a));
  }
  for (const o of document.querySelectorAll('select option')) out.push(o.textContent);
  return out.join('\n');
}

/** The data on screen (typed by people, or names from the units directory), longest first. */
async function dataStrings(request) {
  const strings = new Set();
  const add = (v) => { if (typeof v === 'string' && v.trim().length > 1) strings.add(v.trim()); };
  const units = await (await request.get(`${BASE}/api/v1/units`)).json();
  for (const u of units) for (const v of Object.values(u)) add(v);
  const list = await (await request.get(`${BASE}/api/v1/cases?lane=all&status=all&per_page=100`)).json();
  for (const c of list.items) {
    for (const k of ['excerpt', 'reporter_name', 'regency', 'unit']) add(c[k]);
    const d = await (await request.get(`${BASE}/api/v1/cases/${c.ticket}`)).json();
    for (const k of ['description', 'address', 'resolution']) add(d[k]);
    for (const e of d.history) for (const k of ['note', 'text', 'summary', 'reason']) if (k !== 'reason' || (e.type || e.kind) === 'reopened') add(e.details[k]);
    for (const r of d.prank.reasons) add(r.detail);
  }
  return [...strings].sort((a, b) => b.length - a.length);
}

function check(text, data, lang, where) {
  let rest = text;
  data = [...data].sort((a, b) => b.length - a.length);
  for (const d of data) rest = rest.split(d).join(' ');
  // excerpts end with an ellipsis where they were cut: cut their beginnings too
  for (const d of data) if (d.endsWith('…')) rest = rest.split(d.slice(0, -1)).join(' ');
  const foreign = lang === 'id' ? ENGLISH : INDONESIAN;
  const hits = foreign.filter((w) => new RegExp(`(^|[^\\p{L}])${w}([^\\p{L}]|$)`, 'iu').test(rest));
  const never = NEVER.filter((re) => re.test(rest)).map((re) => `${re} (${(re.exec(rest) || [''])[0]})`);
  assert(!hits.length && !never.length, `${where} in ${lang}: words of the other language ${JSON.stringify(hits)}, ` +
    `names ${JSON.stringify(never)}\n--- text ---\n${rest.slice(0, 4000)}`);
}

async function langPage(browser, lang, opts) {
  const page = await newPage(browser, opts);
  await page.context().addInitScript((l) => { try { localStorage.setItem('banpol.lang', l); } catch { /* */ } }, lang);
  return page;
}

export default [
  ['lang: every page in Indonesian and in English shows no word of the other language', async (browser) => {
    // the data to leave out, read as the auditor (who reads every case)
    const reader = await newPage(browser);
    await login(reader, 'auditor', '/audit');
    const data = await dataStrings(reader.context().request);
    const list = await (await reader.context().request.get(`${BASE}/api/v1/cases?lane=all&status=all&per_page=100`)).json();
    // a case with prank reasons and a history: the blocked number's hoax
    const withReasons = [...list.items].sort((a, b) => b.prank.score - a.prank.score)[0];
    const handled = list.items.find((c) => c.status === 'in_progress') || list.items[0];
    await reader.context().close();
    assert(withReasons && handled, 'the demo post has cases');

    for (const lang of ['id', 'en']) {
      const seen = async (page, name, more = []) => {
        await page.waitForTimeout(300); // live redraws settle
        check(await page.evaluate(pageTexts), [...more, ...data], lang, name);
        await shot(page, `lang-${name}-${lang}`);
        clean(page);
        await page.context().close();
      };
      // the citizen's form, with every error shown at once
      let page = await langPage(browser, lang);
      await page.goto(`${BASE}/`);
      assert(await page.evaluate(() => document.documentElement.lang) === lang, `<html lang> is ${lang}`);
      await page.click('#report button[type=submit]');
      await page.waitForSelector('#report [aria-invalid=true]');
      await seen(page, 'form');

      // tracking: a lookup that finds nothing
      page = await langPage(browser, lang);
      await page.goto(`${BASE}/lacak#t=PLG-010101-0001&k=AAAAAAAA`);
      await page.waitForSelector('#notfound:not([hidden])');
      page.problems.length = 0; // the 404 is expected
      await seen(page, 'lacak');

      // the console with a case open: facts, prank reasons, record, history, actions
      page = await langPage(browser, lang);
      await login(page, 'pasiaga', `/konsol#${withReasons.ticket}`);
      await page.waitForSelector('#case-title');
      await page.waitForSelector('#rows tr[data-ticket]');
      await seen(page, 'konsol');

      page = await langPage(browser, lang, { viewport: { width: 1920, height: 1080 } });
      await login(page, 'operator', '/pantau');
      await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#k-today').textContent));
      await page.waitForSelector('#sync p, #sync table');
      await seen(page, 'pantau');

      page = await langPage(browser, lang);
      await login(page, 'admin', '/admin');
      await page.waitForSelector('#users tr[data-user=operator]');
      await page.click('#integrity');
      await page.waitForSelector('#integrity-out:not([hidden])');
      await seen(page, 'admin');

      page = await langPage(browser, lang);
      await login(page, 'auditor', `/audit#${handled.ticket}`);
      await page.waitForSelector('#case-title');
      await page.waitForSelector('#log tr');
      // the log's targets are what was read (a ticket, a queue's filters): data too
      const log = await (await page.context().request.get(`${BASE}/api/v1/access-log?limit=1000`)).json();
      await seen(page, 'audit', log.entries.map((e) => e.target).filter((x) => x.length > 1));
    }
  }],
];
