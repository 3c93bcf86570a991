// Runs every browser test in order against the node at BANPOL_BASE; exits non-zero when one fails.
// Usage (normally from `cargo test --release`, tests/it/browser.rs):
//   BANPOL_BASE=https://127.0.0.1:8443 BANPOL_LOGINS='{"operator":"..."}' node run.js [name-filter]
// BANPOL_SUITE=session runs the session tests instead, against a node with session_ttl = 20s;
// BANPOL_SUITE=wall the wall board's alarms (board2.js), against a node that verifies information in 2 s.
// BANPOL_SUITE=latihan-hub a drill the hub starts for a post (drill.js), against a hub with PLG enrolled.
import { launch } from './lib.js';
import citizen from './citizen.js';
import console_ from './console.js';
import board from './board.js';
import xss from './xss.js';
import staff from './staff.js';
import session from './session.js';
import console2 from './console2.js';
import citizen2 from './citizen2.js';
import lang from './lang.js';
import admin from './admin.js';
import board2, { wall } from './board2.js';
import open311 from './open311.js';
import sop from './sop.js';
import rekap from './rekap.js';
import wilayah from './wilayah.js';
import drill, { hub } from './drill.js';

const suites = { session, wall, 'latihan-hub': hub };
const tests = suites[process.env.BANPOL_SUITE] || [...citizen, ...console_, ...board, ...xss, ...staff, ...console2, ...citizen2, ...lang, ...admin, ...board2, ...open311, ...sop, ...rekap, ...wilayah, ...drill];
const filter = process.argv[2] || '';
const browser = await launch();
const ctx = {};
let failed = 0;
for (const [name, f] of tests) {
  if (!name.includes(filter)) continue;
  const t0 = Date.now();
  try {
    await f(browser, ctx);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}
await browser.close();
console.log(failed ? `${failed} browser test(s) failed` : 'all browser tests passed');
process.exit(failed ? 1 : 0);
