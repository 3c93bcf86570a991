#!/usr/bin/env node
// PouchDB replication baseline for banpol's sync benchmark.
//
// Replicates N documents from a local PouchDB (LevelDB in a temp dir) into a
// pouchdb-server (child process, LevelDB in a temp dir by default) through a
// TCP proxy that counts the bytes on the wire in both directions.
//
// Usage:
//   node replicate.mjs [--docs N] [--doc-file FILE] [--batch-size N]
//                      [--server-in-memory]
//
//   --docs N            number of documents (default 10000; with --doc-file
//                       the default is the number of lines in the file)
//   --doc-file FILE     JSON-lines file, one document per line; the first N
//                       lines are used. Without it, N synthetic help-desk
//                       cases are generated.
//   --batch-size N      PouchDB replication batch_size (default: PouchDB's
//                       own default, 100)
//   --server-in-memory  run pouchdb-server with --in-memory (memdown) instead
//                       of its default LevelDB storage
//
// stdout gets exactly one line of JSON with the result; progress and
// diagnostics go to stderr. Exit code 0 on success, 1 on any failure.

import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const log = (...args) => console.error('[pouchdb-bench]', ...args);

// Fail with a hint rather than a module-resolution stack if `npm ci` was not run.
let PouchDB;
try {
  PouchDB = (await import('pouchdb')).default;
  require.resolve('pouchdb-server/package.json');
} catch (e) {
  log(`cannot load pouchdb/pouchdb-server (${e.code ?? e.message}); ` +
    `run: npm ci --prefix ${path.relative(process.cwd(), path.dirname(fileURLToPath(import.meta.url))) || '.'}`);
  process.exit(1);
}

const POUCHDB_VERSION = require('pouchdb/package.json').version;
const SERVER_VERSION = require('pouchdb-server/package.json').version;
const SERVER_BIN = require.resolve('pouchdb-server/bin/pouchdb-server');

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = { docs: null, docFile: null, batchSize: null, serverInMemory: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    const positiveInt = (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${arg}: not a positive integer: ${s}`);
      return n;
    };
    switch (arg) {
      case '--docs': opts.docs = positiveInt(value()); break;
      case '--doc-file': opts.docFile = value(); break;
      case '--batch-size': opts.batchSize = positiveInt(value()); break;
      case '--server-in-memory': opts.serverInMemory = true; break;
      case '-h':
      case '--help':
        console.error('usage: node replicate.mjs [--docs N] [--doc-file FILE] [--batch-size N] [--server-in-memory]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument: ${arg}`);
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------
// Documents

// Small deterministic PRNG (mulberry32) so every run replicates the same data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['crime', 'fire', 'flood', 'traffic', 'medical', 'infrastructure', 'public_order'];
const PRIORITIES = ['low', 'medium', 'high', 'critical'];
const STATUSES = ['new', 'verified', 'dispatched', 'in_progress', 'resolved', 'closed'];
const NAMES = ['Budi Santoso', 'Siti Rahmawati', 'Agus Wijaya', 'Dewi Lestari', 'Rudi Hartono',
  'Sri Wahyuni', 'Joko Susilo', 'Rina Marlina', 'Hendra Gunawan', 'Yuni Kartika'];
const REGENCIES = ['Kota Palembang', 'Kabupaten Banyuasin', 'Kabupaten Ogan Ilir',
  'Kota Prabumulih', 'Kabupaten Muara Enim', 'Kota Lubuklinggau'];
const STREETS = ['Jl. Merdeka', 'Jl. Sudirman', 'Jl. Ahmad Yani', 'Jl. Veteran', 'Jl. Kapten Rivai',
  'Jl. Demang Lebar Daun', 'Jl. Angkatan 45', 'Jl. Basuki Rahmat'];
const WORDS = ('warga melaporkan adanya kejadian di sekitar rumah dekat pasar jalan utama ' +
  'pada malam hari sore tadi pagi ini beberapa orang terlihat mencurigakan kendaraan bermotor ' +
  'hilang air meluap setinggi lutut api membakar gudang kecelakaan antara truk dan sepeda motor ' +
  'korban luka ringan dibawa ke puskesmas petugas diminta segera datang lampu jalan padam ' +
  'pohon tumbang menutup akses jalan keributan antar pemuda kampung').split(' ');
const EVENT_KINDS = ['reported', 'verified', 'dispatched', 'acknowledged', 'progressed'];
const EVENT_ACTORS = [
  { kind: 'citizen', user: 'wa', role: 'reporter' },
  { kind: 'staff', user: 'op', role: 'operator' },
  { kind: 'staff', user: 'sup', role: 'supervisor' },
  { kind: 'staff', user: 'unit7', role: 'field_officer' },
  { kind: 'staff', user: 'unit7', role: 'field_officer' },
];
const EVENT_NOTES = ['Laporan diterima melalui WhatsApp', 'Laporan diverifikasi oleh operator',
  'Unit lapangan dikirim ke lokasi', 'Petugas menerima penugasan dan menuju lokasi',
  'Petugas tiba di lokasi dan menangani kejadian'];

function sentence(rand, minChars) {
  const words = [];
  let len = 0;
  while (len < minChars) {
    const w = WORDS[Math.floor(rand() * WORDS.length)];
    words.push(w);
    len += w.length + 1;
  }
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

// One synthetic help-desk case with a five-event history (~1.3 KB of JSON).
function makeDoc(i, rand) {
  const id = `PLG-261128-${String(i).padStart(5, '0')}`;
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const start = Date.UTC(2026, 10, 28, 3, 0, 0) + Math.floor(rand() * 8 * 3600) * 1000; // 10:00 WIB + up to 8h
  const history = EVENT_KINDS.map((kind, k) => ({
    id: `PLG:${i * EVENT_KINDS.length + k + 1}`,
    at: wib(start + k * (5 + Math.floor(rand() * 20)) * 60_000),
    actor: EVENT_ACTORS[k],
    kind,
    note: EVENT_NOTES[k],
  }));
  return {
    _id: id,
    category: pick(CATEGORIES),
    priority: pick(PRIORITIES),
    status: pick(STATUSES),
    description: sentence(rand, 115),
    reporter: {
      name: pick(NAMES),
      phone: '+628' + String(Math.floor(rand() * 1e10)).padStart(10, '0'),
    },
    location: {
      regency: pick(REGENCIES),
      address: `${pick(STREETS)} No. ${1 + Math.floor(rand() * 200)}`,
      lat: Number((-2.97 + (rand() - 0.5) * 0.2).toFixed(5)),
      lon: Number((104.76 + (rand() - 0.5) * 0.2).toFixed(5)),
    },
    history,
  };
}

// Format a UTC millisecond timestamp as ISO 8601 in Western Indonesia Time.
function wib(ms) {
  return new Date(ms + 7 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+07:00');
}

function generateDocs(n) {
  const rand = rng(261128);
  const docs = new Array(n);
  for (let i = 0; i < n; i++) docs[i] = makeDoc(i, rand);
  return docs;
}

// Read up to `limit` documents (or all, if limit is null) from a JSON-lines file.
// A line without `_id` gets one from its `id` field, or a generated one.
async function readDocFile(file, limit) {
  const docs = [];
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let doc;
    try {
      doc = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${lineNo}: invalid JSON: ${e.message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Error(`${file}:${lineNo}: not a JSON object`);
    }
    if (typeof doc._id !== 'string') {
      doc._id = typeof doc.id === 'string' ? doc.id : `doc-${String(docs.length).padStart(8, '0')}`;
    }
    docs.push(doc);
    if (limit !== null && docs.length >= limit) break;
  }
  lines.close();
  if (limit !== null && docs.length < limit) {
    throw new Error(`${file} has only ${docs.length} documents, --docs asked for ${limit}`);
  }
  return docs;
}

// ---------------------------------------------------------------------------
// Server and proxy

// Ask the kernel for a free loopback port (tiny race until the server binds it).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Start pouchdb-server as a child process; its own log goes to log.txt in its
// temp dir (that is its default behaviour), its stdout/stderr are kept and only
// shown if something fails.
async function startServer(dir, inMemory) {
  const port = await freePort();
  const args = [SERVER_BIN, '--host', '127.0.0.1', '--port', String(port),
    '--dir', dir, '--config', path.join(dir, 'config.json'), '--no-stdout-logs'];
  if (inMemory) args.push('--in-memory');
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => { output = (output + chunk).slice(-8192); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  // Wait until it answers GET / (CouchDB welcome) or give up after 30 s.
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`pouchdb-server exited early (${JSON.stringify(exited)}):\n${output}`);
    try {
      const res = await fetch(url);
      if (res.ok) { await res.json(); break; }
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pouchdb-server did not start within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const stop = () => new Promise((resolve) => {
    if (exited) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
  return { port, stop, output: () => output };
}

// TCP proxy on a free loopback port in front of `targetPort`, counting every
// byte that passes in each direction (HTTP headers and bodies alike).
function startProxy(targetPort) {
  const counts = { toServer: 0, toClient: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (b) => { counts.toServer += b.length; });
    upstream.on('data', (b) => { counts.toClient += b.length; });
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        counts,
        close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}

// ---------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'banpol-pouchdb-'));
  const cleanups = [() => rm(tmp, { recursive: true, force: true })];
  const cleanup = async () => {
    while (cleanups.length) {
      try { await cleanups.pop()(); } catch (e) { log('cleanup:', e.message); }
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => { cleanup().finally(() => process.exit(130)); });
  }

  try {
    // Load or generate the documents first, so a bad --doc-file fails fast.
    const docs = opts.docFile
      ? await readDocFile(opts.docFile, opts.docs)
      : generateDocs(opts.docs ?? 10000);
    const n = docs.length;
    if (n === 0) throw new Error('no documents to replicate');

    // 1. pouchdb-server
    const serverDir = path.join(tmp, 'server');
    await mkdir(serverDir);
    const server = await startServer(serverDir, opts.serverInMemory);
    cleanups.push(server.stop);
    log(`pouchdb-server ${SERVER_VERSION} on port ${server.port} (${opts.serverInMemory ? 'in-memory' : 'leveldb'})`);

    // 2. byte-counting proxy
    const proxy = await startProxy(server.port);
    cleanups.push(proxy.close);
    const remoteUrl = `http://127.0.0.1:${proxy.port}/bench`;

    // 3. local database with N documents (not timed)
    const avgJson = Math.round(docs.reduce((s, d) => s + JSON.stringify(d).length, 0) / n);
    const local = new PouchDB(path.join(tmp, 'local'));
    cleanups.push(() => local.close());
    for (let i = 0; i < n; i += 1000) {
      const res = await local.bulkDocs(docs.slice(i, i + 1000));
      const bad = res.find((r) => r.error);
      if (bad) throw new Error(`local bulkDocs failed: ${JSON.stringify(bad)}`);
    }
    const localInfo = await local.info();
    if (localInfo.doc_count !== n) throw new Error(`local doc_count ${localInfo.doc_count} != ${n} (duplicate _id?)`);
    log(`local ${localInfo.adapter} db has ${n} docs, ~${avgJson} bytes of JSON each`);

    // Create the remote database before timing, so only replication is measured.
    const remote = new PouchDB(remoteUrl);
    cleanups.push(() => remote.close());
    await remote.info();

    // 4. replicate local -> remote through the proxy (timed)
    const replOpts = opts.batchSize ? { batch_size: opts.batchSize } : {};
    const before = { ...proxy.counts };
    const t0 = performance.now();
    const result = await PouchDB.replicate(local, remoteUrl, replOpts);
    const seconds = (performance.now() - t0) / 1000;
    const wireBytes = (proxy.counts.toServer - before.toServer) + (proxy.counts.toClient - before.toClient);
    log(`replicated: ok=${result.ok} status=${result.status} docs_written=${result.docs_written} ` +
      `in ${seconds.toFixed(3)} s; wire up=${proxy.counts.toServer - before.toServer} ` +
      `down=${proxy.counts.toClient - before.toClient} bytes`);
    if (!result.ok || result.doc_write_failures) {
      throw new Error(`replication failed: ${JSON.stringify(result.errors ?? result)}`);
    }

    // 5. verify the remote count
    const remoteInfo = await remote.info();
    if (remoteInfo.doc_count !== n) throw new Error(`remote doc_count ${remoteInfo.doc_count} != ${n}`);

    // 6. the one line of JSON
    const out = {
      docs: n,
      seconds: Number(seconds.toFixed(3)),
      docs_per_s: Math.round(n / seconds),
      wire_bytes: wireBytes,
      bytes_per_doc: Math.round(wireBytes / n),
      pouchdb: POUCHDB_VERSION,
      pouchdb_server: SERVER_VERSION,
      batch_size: opts.batchSize ?? 'default',
      server_storage: opts.serverInMemory ? 'memory' : 'leveldb',
    };
    await cleanup();
    process.stdout.write(JSON.stringify(out) + '\n');
  } catch (e) {
    await cleanup();
    throw e;
  }
}

main().then(
  () => process.exit(0),
  (e) => { log('error:', e?.stack ?? e); process.exit(1); },
);
