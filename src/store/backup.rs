//! Backup and restore of a store, consistent while the node serves.
//!
//! **The cut.** `Store::backup_cut` holds the writer lock for a moment (writers wait, the commit
//! thread keeps committing) and records: every origin's head as the writer sees it (staged writes
//! included), the access log's head, and a copy of the small mutable trees (counters, blocks,
//! channel inbox/outbox/conversations/dedupe marks) as the writer sees them (committed values
//! overlaid with staged ones), plus the keys of the kept media. It then takes a durability
//! ticket covering everything staged. After `Store::durable` on that ticket, everything up to
//! the heads is in sled; events, the access log, SOP texts and media are immutable or
//! append-only, so they are streamed *after* the lock is released: events up to each head, access
//! entries up to the recorded seq. Case projections and indexes are not copied: restore re-folds
//! them from the events (`Case::fold`), which also proves they are derivable. Sessions are not
//! copied (staff log in again after a restore).
//!
//! **The file** (`BACKUP_FORMAT = 1`):
//! ```text
//! "BANPOLBK"  u32 BE backup format            -- plain
//! gzip stream of records:
//!   0x01 u32 BE len, JSON BackupHeader         -- first record: node, store format, heads, access seq
//!   0x02 u8 len, tree name, u32 BE len, key, u32 BE len, value   -- one stored entry, bytes as stored
//!   0xFF u64 BE record count, 32 bytes SHA-256 -- last record: count and hash of every record before it
//! ```
//! Values are the stored bytes (each with its own version byte), so restored events hash the
//! same and the chains verify. The data dir's secret files that belong with the store
//! (`DATA_FILES`: the export's pseudonym key) are entries of the pseudo-tree `datadir_file`
//! (key: the file name, value: its bytes); a restore writes them back (0600), and only those. A file without its trailer, or whose hash differs, is refused.
//!
//! **Restore** writes a fresh store next to the data directory's `store` (`store.restoring`),
//! re-folds cases and indexes, gives this node's own origin a **new epoch** (DESIGN §5: sync
//! must resend in full, never skip), moves an existing store aside only with `force`
//! (`store.replaced-<ms>`), and verifies every chain before it reports success.

use super::codec::{decode, encode};
use super::{
    index_keys, seq_key, ChainReport, Durable, Head, Kv, Store, StoreError, Tree, FORMAT, INDEXES, RECAP_ROWS,
};
use crate::model::{Event, NodeCode, Sop};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const MAGIC: &[u8; 8] = b"BANPOLBK";
pub const BACKUP_FORMAT: u32 = 1;
const TAG_HEADER: u8 = 0x01;
const TAG_ENTRY: u8 = 0x02;
const TAG_END: u8 = 0xFF;
/// Progress is reported every this many records.
pub const PROGRESS_EVERY: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHeader {
    pub backup_format: u32,
    pub store_format: u64,
    pub node: String,
    pub created_ms: u64,
    /// the cut: every origin's head
    pub heads: BTreeMap<String, Head>,
    /// the cut of the access log (last seq)
    pub access_seq: u64,
    /// the banpol version that wrote it
    pub written_by: String,
}

/// What a backup holds, as counted while writing or reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupSummary {
    pub records: u64,
    pub events: u64,
    pub bytes: u64,
}

/// A tree's entries as (key, value).
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Files of the data dir a backup carries beside the store: they must come back with it.
pub const DATA_FILES: [&str; 1] = [crate::model::export::KEY_FILE];
/// The pseudo-tree that carries them.
const FILES_TREE: &str = "datadir_file";

/// A consistent cut, taken under the writer lock; see the module doc.
pub struct Cut {
    header: BackupHeader,
    /// (name, bytes) of the `DATA_FILES` present
    files: Entries,
    /// (tree name, entries) of the small mutable trees, as of the cut
    small: Vec<(&'static str, Entries)>,
    media_keys: Vec<Vec<u8>>,
    /// durable once everything up to the cut is in sled
    pub durable: Durable,
}

impl Cut {
    pub fn header(&self) -> &BackupHeader {
        &self.header
    }
}

impl Store {
    /// The store format marker as stored (`name_meta` `format`).
    pub fn stored_format(&self) -> Result<u64, StoreError> {
        match self.t.meta.get("format")? {
            Some(v) => Ok(u64::from_be_bytes(v.as_ref().try_into().map_err(|_| StoreError::Corrupt("format".into()))?)),
            None => Ok(FORMAT),
        }
    }

    /// Takes the cut of a backup: holds the writer lock only while it copies the small mutable
    /// trees. Wait for `cut.durable` before `write_backup`.
    pub fn backup_cut(&self, now_ms: u64) -> Result<Cut, StoreError> {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let access_seq = self.access_head.lock().unwrap_or_else(|e| e.into_inner()).0;
        let heads = w.heads.iter().map(|(o, h)| (o.to_string(), h.clone())).collect();
        let mut small = Vec::new();

        let mut counters: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for kv in self.t[Tree::Counters].iter() {
            let (k, v) = kv?;
            counters.insert(k.to_vec(), v.to_vec());
        }
        for (k, (_, v)) in &w.staged_counters {
            counters.insert(k.clone(), encode(v));
        }
        small.push((Tree::Counters.name(), counters.into_iter().collect()));

        let mut blocks: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for kv in self.t[Tree::Blocks].iter() {
            let (k, v) = kv?;
            blocks.insert(k.to_vec(), v.to_vec());
        }
        for (k, (_, b)) in &w.staged_blocks {
            blocks.insert(k.as_bytes().to_vec(), encode(b));
        }
        small.push((Tree::Blocks.name(), blocks.into_iter().collect()));

        let mut media_keys = Vec::new();
        for kv in Kv::ALL {
            let name = Tree::Kv(kv).name();
            if kv == Kv::WaMedia {
                for k in self.t[Tree::Kv(kv)].iter().keys() {
                    media_keys.push(k?.to_vec());
                }
                for ((tk, k), (_, v)) in &w.staged_kv {
                    if *tk == kv && v.is_some() {
                        media_keys.push(k.clone());
                    }
                }
                continue;
            }
            let mut entries: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for r in self.t[Tree::Kv(kv)].iter() {
                let (k, v) = r?;
                entries.insert(k.to_vec(), v.to_vec());
            }
            for ((tk, k), (_, v)) in &w.staged_kv {
                if *tk == kv {
                    match v {
                        Some(v) => entries.insert(k.clone(), v.clone()),
                        None => entries.remove(k),
                    };
                }
            }
            small.push((name, entries.into_iter().collect()));
        }
        media_keys.sort();
        media_keys.dedup();
        let mut files = Vec::new();
        for name in DATA_FILES {
            match std::fs::read(self.dir.join(name)) {
                Ok(b) => files.push((name.as_bytes().to_vec(), b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::Io(format!("{name}: {e}"))),
            }
        }
        // covers every write staged so far: once durable, everything up to the heads is in sled
        let durable = self.commit.written();
        drop(w);
        Ok(Cut {
            header: BackupHeader {
                backup_format: BACKUP_FORMAT,
                store_format: self.stored_format()?,
                node: self.node.to_string(),
                created_ms: now_ms,
                heads,
                access_seq,
                written_by: env!("CARGO_PKG_VERSION").to_owned(),
            },
            files,
            small,
            media_keys,
            durable,
        })
    }

    /// Streams the backup of `cut` (after it is durable) into `out`. `progress` gets the record
    /// count every `PROGRESS_EVERY` records.
    pub fn write_backup(
        &self,
        cut: &Cut,
        out: impl Write,
        progress: &mut dyn FnMut(u64),
    ) -> Result<BackupSummary, StoreError> {
        let mut out = out;
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&BACKUP_FORMAT.to_be_bytes()).map_err(io)?;
        let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        let mut w = RecordWriter { gz, hash: Sha256::new(), records: 0, events: 0, progress };
        let header = serde_json::to_vec(&cut.header).map_err(|e| StoreError::Io(e.to_string()))?;
        let mut rec = vec![TAG_HEADER];
        rec.extend_from_slice(&(header.len() as u32).to_be_bytes());
        rec.extend_from_slice(&header);
        w.record(&rec)?;

        for (origin, head) in &cut.header.heads {
            let o = NodeCode::parse(origin).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if head.seq == 0 {
                continue;
            }
            let mut expect = 1u64;
            loop {
                let chunk = self.t.events.range(o.as_str().as_bytes(), expect, head.seq, 4096)?;
                if chunk.is_empty() {
                    break;
                }
                for (seq, v) in chunk {
                    if seq != expect {
                        return Err(StoreError::Corrupt(format!("origin {origin}: seq {expect} is missing")));
                    }
                    expect += 1;
                    // as written (`V1`), whatever the stored form: a backup is read by other releases
                    w.entry(Tree::Events.name(), &seq_key(&o, seq), &super::codec::event_raw(&v)?)?;
                    w.events += 1;
                }
            }
            if expect != head.seq + 1 {
                return Err(StoreError::Corrupt(format!("origin {origin}: the log ends before its head {}", head.seq)));
            }
        }
        for kv in self.t.sops.iter() {
            let (k, v) = kv?;
            w.entry("version_sop", &k, &v)?;
        }
        for kv in self.t.users.iter() {
            let (k, v) = kv?;
            w.entry("username_user", &k, &v)?;
        }
        if cut.header.access_seq > 0 {
            for kv in self.t.access.range(..=cut.header.access_seq.to_be_bytes()) {
                let (k, v) = kv?;
                w.entry("seq_access", &k, &v)?;
            }
        }
        for (tree, entries) in &cut.small {
            for (k, v) in entries {
                w.entry(tree, k, v)?;
            }
        }
        for k in &cut.media_keys {
            if let Some(v) = self.t[Tree::Kv(Kv::WaMedia)].get(k)? {
                w.entry(Tree::Kv(Kv::WaMedia).name(), k, &v)?;
            }
        }
        for (name, bytes) in &cut.files {
            w.entry(FILES_TREE, name, bytes)?;
        }
        let count = w.records;
        let digest = w.hash.clone().finalize();
        let mut end = vec![TAG_END];
        end.extend_from_slice(&count.to_be_bytes());
        end.extend_from_slice(&digest);
        w.gz.write_all(&end).map_err(io)?;
        let mut inner = w.gz.finish().map_err(io)?;
        inner.flush().map_err(io)?;
        Ok(BackupSummary { records: count, events: w.events, bytes: 0 })
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

struct RecordWriter<'p, W: Write> {
    gz: flate2::write::GzEncoder<W>,
    hash: Sha256,
    records: u64,
    events: u64,
    progress: &'p mut dyn FnMut(u64),
}

impl<W: Write> RecordWriter<'_, W> {
    fn record(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.hash.update(bytes);
        self.gz.write_all(bytes).map_err(io)?;
        self.records += 1;
        if self.records % PROGRESS_EVERY == 0 {
            (self.progress)(self.records);
        }
        Ok(())
    }

    fn entry(&mut self, tree: &str, k: &[u8], v: &[u8]) -> Result<(), StoreError> {
        let mut rec = Vec::with_capacity(10 + tree.len() + k.len() + v.len());
        rec.push(TAG_ENTRY);
        rec.push(tree.len() as u8);
        rec.extend_from_slice(tree.as_bytes());
        rec.extend_from_slice(&(k.len() as u32).to_be_bytes());
        rec.extend_from_slice(k);
        rec.extend_from_slice(&(v.len() as u32).to_be_bytes());
        rec.extend_from_slice(v);
        self.record(&rec)
    }
}

/// Reads a backup file record by record, checking the hash at the end.
pub struct BackupReader<R: Read> {
    gz: flate2::read::GzDecoder<R>,
    hash: Sha256,
    records: u64,
    pub header: BackupHeader,
    done: bool,
}

/// One stored entry of a backup.
pub struct Entry {
    pub tree: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("backup file: {what}"))
}

impl<R: Read> BackupReader<R> {
    pub fn new(mut r: R) -> Result<Self, StoreError> {
        let mut magic = [0u8; 12];
        r.read_exact(&mut magic).map_err(|_| bad("too short"))?;
        if &magic[..8] != MAGIC {
            return Err(bad("not a banpol backup (bad magic)"));
        }
        let v = u32::from_be_bytes(magic[8..].try_into().expect("4 bytes"));
        if v != BACKUP_FORMAT {
            return Err(bad(&format!("backup format {v}, this binary reads {BACKUP_FORMAT}")));
        }
        let mut gz = flate2::read::GzDecoder::new(r);
        let mut hash = Sha256::new();
        let mut tag = [0u8; 5];
        gz.read_exact(&mut tag).map_err(|_| bad("no header"))?;
        if tag[0] != TAG_HEADER {
            return Err(bad("the header is missing"));
        }
        let len = u32::from_be_bytes(tag[1..].try_into().expect("4 bytes")) as usize;
        let mut body = vec![0u8; len];
        gz.read_exact(&mut body).map_err(|_| bad("truncated header"))?;
        hash.update(tag);
        hash.update(&body);
        let header: BackupHeader = serde_json::from_slice(&body).map_err(|e| bad(&e.to_string()))?;
        Ok(BackupReader { gz, hash, records: 1, header, done: false })
    }

    /// The next entry; `None` after a verified trailer. A missing trailer or a wrong hash is an error.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let mut tag = [0u8; 1];
        self.gz.read_exact(&mut tag).map_err(|_| bad("truncated: the end record is missing"))?;
        match tag[0] {
            TAG_ENTRY => {
                let mut n = [0u8; 1];
                self.gz.read_exact(&mut n).map_err(|_| bad("truncated entry"))?;
                let mut tree = vec![0u8; usize::from(n[0])];
                self.gz.read_exact(&mut tree).map_err(|_| bad("truncated entry"))?;
                let key = self.read_chunk()?;
                let value = self.read_chunk()?;
                self.hash.update(tag);
                self.hash.update(n);
                self.hash.update(&tree);
                self.hash.update((key.len() as u32).to_be_bytes());
                self.hash.update(&key);
                self.hash.update((value.len() as u32).to_be_bytes());
                self.hash.update(&value);
                self.records += 1;
                let tree = String::from_utf8(tree).map_err(|_| bad("tree name"))?;
                Ok(Some(Entry { tree, key, value }))
            }
            TAG_END => {
                let mut end = [0u8; 40];
                self.gz.read_exact(&mut end).map_err(|_| bad("truncated end record"))?;
                let count = u64::from_be_bytes(end[..8].try_into().expect("8 bytes"));
                let digest = self.hash.clone().finalize();
                if count != self.records || digest.as_slice() != &end[8..] {
                    return Err(bad("the checksum does not match: the file is damaged"));
                }
                // read to the end of the gzip stream, so its CRC and length are checked too
                let mut rest = Vec::new();
                self.gz.read_to_end(&mut rest).map_err(|e| bad(&format!("damaged compression trailer: {e}")))?;
                if !rest.is_empty() {
                    return Err(bad("data after the end record"));
                }
                self.done = true;
                Ok(None)
            }
            t => Err(bad(&format!("unknown record tag {t}"))),
        }
    }

    fn read_chunk(&mut self) -> Result<Vec<u8>, StoreError> {
        let mut n = [0u8; 4];
        self.gz.read_exact(&mut n).map_err(|_| bad("truncated entry"))?;
        let len = u32::from_be_bytes(n) as usize;
        if len > 256 << 20 {
            return Err(bad("entry too large"));
        }
        let mut v = vec![0u8; len];
        self.gz.read_exact(&mut v).map_err(|_| bad("truncated entry"))?;
        Ok(v)
    }

    pub fn records(&self) -> u64 {
        self.records
    }
}

/// Reads a whole backup file and checks it; returns its header and counts.
pub fn inspect(path: &Path) -> Result<(BackupHeader, BackupSummary), StoreError> {
    let f = std::fs::File::open(path).map_err(io)?;
    let bytes = f.metadata().map_err(io)?.len();
    let mut r = BackupReader::new(std::io::BufReader::new(f))?;
    let mut events = 0;
    while let Some(e) = r.next_entry()? {
        if e.tree == Tree::Events.name() {
            events += 1;
        }
    }
    Ok((r.header.clone(), BackupSummary { records: r.records(), events, bytes }))
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub header: BackupHeader,
    pub records: u64,
    pub cases: u64,
    pub chains: Vec<ChainReport>,
    pub old_epoch: u64,
    pub new_epoch: u64,
    pub moved_aside: Option<PathBuf>,
}

const RESTORED_TREES: [&str; 21] = [
    "eventid_event",
    "version_sop",
    "username_user",
    "seq_access",
    "name_counter",
    "phone_blocks",
    "seq_wainbox",
    "msgid_waseen",
    "waid_conversation",
    "seq_waoutbox",
    "sha256_wamedia",
    "node_syncpeer",
    "tokenhash_syncinvite",
    "childseq_eventid",
    "origin_child",
    "name_syncstate",
    "nodestart_shiftrecap",
    "name_open311",
    "version_sopdoc",
    "polresversion_polsek",
    "name_drill",
];

/// Restores the backup at `file` as the store of `node` in `data_dir`; see the module doc.
/// The node must not be running. `progress(phase, records)` is called every `PROGRESS_EVERY`.
pub fn restore(
    file: &Path,
    data_dir: &Path,
    node: &NodeCode,
    force: bool,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<RestoreReport, StoreError> {
    // first pass: the whole file is sound before anything is touched
    let (header, _) = inspect(file)?;
    if header.node != node.as_str() {
        return Err(StoreError::WrongNode { found: header.node.clone(), configured: node.to_string() });
    }
    if header.store_format > FORMAT {
        return Err(StoreError::TooNew { found: header.store_format, supported: FORMAT });
    }
    let live = data_dir.join("store");
    if live.exists() && !force {
        return Err(StoreError::Io(format!(
            "{} already holds a store: stop the node and add --force to replace it (it is moved aside, not deleted)",
            live.display()
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let tmp = data_dir.join("store.restoring");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io)?;
    }
    let db = sled::Config::new().path(&tmp).cache_capacity(64 << 20).open()?;
    let log = super::eventlog::Events::new(super::eventlog::EventLog::open(&tmp.join("events.log"), 0)?, &db)?;
    // events wait here to go to the log in one write (with their cases' lists)
    let mut events: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
    let flush_events = |events: &mut Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>| -> Result<(), StoreError> {
        let evs: Vec<(&[u8], &[u8])> = events.iter().map(|(k, v, _)| (k.as_slice(), v.as_slice())).collect();
        let ids: Vec<(&[u8], &[u8])> = events.iter().map(|(k, _, t)| (t.as_slice(), k.as_slice())).collect();
        log.place(&evs, &ids)?;
        events.clear();
        Ok(())
    };
    let f = std::fs::File::open(file).map_err(io)?;
    let mut r = BackupReader::new(std::io::BufReader::new(f))?;
    let mut trees: HashMap<String, (sled::Tree, sled::Batch, usize)> = HashMap::new();
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut n = 0u64;
    while let Some(e) = r.next_entry()? {
        if e.tree == FILES_TREE {
            let name = DATA_FILES.into_iter().find(|f| f.as_bytes() == e.key.as_slice());
            files.push((name.ok_or_else(|| bad("an unexpected file"))?, e.value));
            n += 1;
            continue;
        }
        if !RESTORED_TREES.contains(&e.tree.as_str()) {
            return Err(bad(&format!("unexpected tree {}", e.tree)));
        }
        if e.tree == Tree::Events.name() {
            let ev: Event = decode("event", &e.value)?;
            events.push((e.key, super::codec::pack_event(&e.value), ev.case.as_str().as_bytes().to_vec()));
            if events.len() >= 5_000 {
                flush_events(&mut events)?;
            }
            n += 1;
            if n % PROGRESS_EVERY == 0 {
                progress("restored", n);
            }
            continue;
        }
        let entry = match trees.get_mut(&e.tree) {
            Some(t) => t,
            None => {
                let t = db.open_tree(&e.tree)?;
                trees.entry(e.tree.clone()).or_insert((t, sled::Batch::default(), 0))
            }
        };
        entry.1.insert(e.key, e.value);
        entry.2 += 1;
        if entry.2 >= 5_000 {
            entry.0.apply_batch(std::mem::take(&mut entry.1))?;
            entry.2 = 0;
        }
        n += 1;
        if n % PROGRESS_EVERY == 0 {
            progress("restored", n);
        }
    }
    for (_, (t, b, _)) in trees.drain() {
        t.apply_batch(b)?;
    }
    flush_events(&mut events)?;
    // the format marker, the owner, the heads of the cut; this node's origin gets a new epoch
    let meta = db.open_tree("name_meta")?;
    meta.insert("format", &header.store_format.to_be_bytes())?;
    meta.insert("node", node.as_str().as_bytes())?;
    // the re-fold below writes the derived indexes too
    meta.insert("indexes", &INDEXES.to_be_bytes())?;
    meta.insert(RECAP_ROWS.0, &RECAP_ROWS.1.to_be_bytes())?;
    let heads = db.open_tree(Tree::Heads.name())?;
    // the log goes on in a new epoch, at a seq above any the lost copy used (DESIGN §5)
    let mut own = header.heads.get(node.as_str()).cloned().unwrap_or(Head::empty());
    let old_epoch = own.epoch;
    own.begin_epoch(crate::model::Millis(header_now() as u64), rand::random);
    let new_epoch = own.epoch;
    for (origin, h) in &header.heads {
        if origin != node.as_str() {
            heads.insert(origin.as_bytes(), encode(h))?;
        }
    }
    heads.insert(node.as_str().as_bytes(), encode(&own))?;
    // re-fold the projections (cases and their indexes) from the events
    let cases = rebuild(&db, &log, node, progress)?;
    meta.insert(super::EVENT_LOG_LEN, &log.log.sync()?.to_be_bytes())?;
    db.flush()?;
    drop((meta, heads, log, db));
    let moved_aside = if live.exists() {
        let aside = data_dir.join(format!("store.replaced-{}", header_now()));
        std::fs::rename(&live, &aside).map_err(io)?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&tmp, &live).map_err(io)?;
    for (name, bytes) in files {
        let path = data_dir.join(name);
        // a different file in its place is kept aside, like the store it belonged with
        if std::fs::read(&path).is_ok_and(|old| old != bytes) {
            std::fs::rename(&path, data_dir.join(format!("{name}.replaced-{}", header_now()))).map_err(io)?;
        }
        crate::fsx::write_secret(&path, &bytes).map_err(io)?;
    }
    let store = open_when_released(data_dir, node)?;
    let chains = store.verify_chains()?;
    let now_heads = store.heads()?;
    store.close();
    for (origin, h) in &header.heads {
        let got = NodeCode::parse(origin).ok().and_then(|o| now_heads.get(&o).cloned());
        if got.as_ref().map(|g| (g.seq, &g.hash)) != Some((h.seq, &h.hash)) {
            return Err(StoreError::Corrupt(format!("origin {origin}: the restored head differs from the backup's")));
        }
    }
    Ok(RestoreReport { header, records: n, cases, chains, old_epoch, new_epoch, moved_aside })
}

/// Opens a store this process just closed: sled lets go of its file lock when its background
/// thread ends, a moment after the last handle is dropped.
fn open_when_released(data_dir: &Path, node: &NodeCode) -> Result<Store, StoreError> {
    let mut tries = 0;
    loop {
        match Store::open(data_dir, node, 16 << 20) {
            Err(StoreError::Locked { .. }) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn header_now() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default()
}

/// Re-folds every case of the restored sled database from its events and writes the case
/// projections and their index entries.
fn rebuild(
    db: &sled::Db,
    events: &super::eventlog::Events,
    node: &NodeCode,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<u64, StoreError> {
    let sops_tree = db.open_tree("version_sop")?;
    let mut sops: HashMap<String, Arc<Sop>> = HashMap::new();
    for kv in sops_tree.iter() {
        let (k, v) = kv?;
        if let Ok(s) = Sop::parse(&decode::<String>("sop", &v)?) {
            sops.insert(String::from_utf8_lossy(&k).into_owned(), Arc::new(s));
        }
    }
    let mut idx: HashMap<Tree, sled::Tree> = HashMap::new();
    for t in [Tree::Summary, Tree::Recap] {
        idx.insert(t, db.open_tree(t.name())?);
    }
    let mut count = 0u64;
    super::fold_all(events, |_, case| {
        let sop = sops.get(&case.sop_version).map(|s| s.as_ref());
        for (i, k, v) in index_keys(&case, node, sop) {
            if let Some(t) = idx.get(&i) {
                t.insert(k, v)?;
            }
        }
        count += 1;
        if count % PROGRESS_EVERY == 0 {
            progress("cases re-folded", count);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Channel, Location, ReportedCase, Reporter};
    use crate::model::{Actor, Case, Category, EventKind, Phone, Priority, Ticket};

    fn report(store: &Store, n: u64) -> (Ticket, Durable) {
        let kind = EventKind::Reported(Box::new(ReportedCase {
            category: Category::Crime,
            priority: Priority::Normal,
            description: format!("Pencurian motor nomor {n}"),
            reporter: Reporter { name: "Budi".into(), phone: Phone::parse("081234567890").unwrap() },
            location: Location { regency: "Kota Palembang".into(), address: "Pasar 16".into(), ..Default::default() },
            channel: Channel::Web,
            token_hash: "00".into(),
            suggested_unit: None,
            assessment: Default::default(),
            attachments: Vec::new(),
        }));
        store
            .write(crate::model::Millis(1_000 + n), |tx| -> Result<Ticket, StoreError> {
                let c = tx.next_counter("ticket:261128")?;
                let t = Ticket::new(store.node(), "261128", c);
                let ev = tx.append(&t, Actor::Citizen, "v1", kind);
                let case = Case::open(ev).unwrap();
                tx.put_case(case)?;
                Ok(t)
            })
            .unwrap()
    }

    /// Writes staged but not yet committed at the cut are in the backup; the restore re-folds
    /// the cases, keeps the counters, verifies the chain and gives the origin a new epoch.
    #[tokio::test]
    async fn the_cut_includes_staged_writes_and_restore_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let node = NodeCode::parse("PLG").unwrap();
        let store = Store::open(dir.path(), &node, 4 << 20).unwrap();
        let mut tickets = Vec::new();
        for n in 0..200 {
            tickets.push(report(&store, n).0);
        }
        let cut = store.backup_cut(5_000).unwrap();
        assert_eq!(cut.header().heads["PLG"].seq, 200, "the cut sees staged heads");
        let (after, _) = report(&store, 999); // after the cut: not in the backup
        store.durable(cut.durable).await.unwrap();
        let mut file = Vec::new();
        let mut calls = 0;
        let s = store.write_backup(&cut, &mut file, &mut |_| calls += 1).unwrap();
        assert_eq!(s.events, 200);
        let old_epoch = store.heads().unwrap()[&node].epoch;
        store.close();

        let path = dir.path().join("b.banpolbak");
        std::fs::write(&path, &file).unwrap();
        let (h, sum) = inspect(&path).unwrap();
        assert_eq!((h.node.as_str(), sum.events), ("PLG", 200));
        let mut damaged = file.clone();
        let at = damaged.len() - 10;
        damaged[at] ^= 0xff;
        std::fs::write(dir.path().join("bad"), &damaged).unwrap();
        assert!(inspect(&dir.path().join("bad")).is_err(), "a damaged file is refused");

        let target = tempfile::tempdir().unwrap();
        let r = restore(&path, target.path(), &node, false, &mut |_, _| {}).unwrap();
        assert_eq!((r.cases, r.old_epoch), (200, old_epoch));
        assert_ne!(r.new_epoch, old_epoch);
        assert!(r.chains.iter().all(|c| c.ok), "{:?}", r.chains);
        assert!(restore(&path, target.path(), &node, false, &mut |_, _| {}).is_err(), "no overwrite without force");
        let other = NodeCode::parse("OKI").unwrap();
        assert!(matches!(
            restore(&path, tempfile::tempdir().unwrap().path(), &other, false, &mut |_, _| {}),
            Err(StoreError::WrongNode { .. })
        ));

        let restored = open_when_released(target.path(), &node).unwrap();
        for t in &tickets {
            assert!(restored.case(t).unwrap().is_some(), "{t} restored");
        }
        assert!(restored.case(&after).unwrap().is_none(), "a write after the cut is not in the backup");
        assert_eq!(restored.tickets_by_status(crate::model::State::New).len(), 200);
        assert_eq!(restored.heads().unwrap()[&node].epoch, r.new_epoch);
        let (next, d) = report(&restored, 1_000);
        restored.durable(d).await.unwrap();
        // the lost copy may have given out 0201.. and sent them up: the new epoch goes on above
        assert_eq!(next.as_str(), "PLG-261128-1001", "the counter continues above the cut");
        assert!(restored.verify_chains().unwrap()[0].ok);
        restored.close();
    }
}
