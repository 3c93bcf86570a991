//! The only module that imports sled. Named trees (`<key>_<value>`), big-endian integer keys,
//! a format-version byte on every value (see `codec`); the events' bytes in the event log file
//! beside them (`eventlog`).
//!
//! Writes go through the single writer: `Store::write` runs a use case's closure against the
//! current state (committed, plus what is staged and not yet committed), and stages the events
//! and the index changes they produced, all together. The commit thread (`flush`) journals
//! everything staged so far as one record (`journal`, fdatasync), applies it, and only then
//! releases the waiting requests: one record and one fsync serve many concurrent requests.

mod accounts;
pub mod backup;
mod codec;
mod eventlog;
mod flush;
pub mod index;
mod journal;
mod pack;
mod recap;
mod sync;

pub use crate::model::sync::{Head, Segment};
pub use accounts::{AccessEntry, SessionRecord, UserRecord};
pub use flush::Durable;
pub use sync::{prepare, Applied, FeedEntry, Incoming, Routing, SyncRefusal, Take};

use crate::model::event::{hash_bytes, verify_log, Hash};
use crate::model::prank::{trigrams16, BlockHistory, PastCase};
use crate::model::recap::Fact;
use crate::model::summary::{joined_words, CaseSummary};
use crate::model::{Actor, Case, Event, EventId, EventKind, HlcClock, Millis, NodeCode, Sop, State, Ticket};
use codec::{decode, encode, encode_into, event_raw, key, pack_event};
use flush::GroupCommit;
use index::CaseIndex;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

/// The store format this binary writes and reads. Checked before an update swaps the binary.
/// 2: events live in the event log file (`eventlog`); format 1 stores open and become 2 (their
/// events stay readable where they are), and a binary that reads only 1 refuses them.
pub const FORMAT: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {path} is in use by another banpol process (stop it, or use the admin socket)")]
    Locked { path: String },
    #[error("store I/O failed: {0}")]
    Io(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("the store has format {found}, this binary reads up to {supported}: install a newer release")]
    TooNew { found: u64, supported: u64 },
    #[error("the store belongs to node {found}, not {configured}")]
    WrongNode { found: String, configured: String },
    #[error("the write could not be made durable: {0}")]
    Flush(String),
}

impl StoreError {
    /// A retry (later, or after freeing disk space) may fix it.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Io(_) | Self::Flush(_))
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

/// Reads an event from its stored bytes (packed or not).
pub fn decode_event(bytes: &[u8]) -> Result<Event, StoreError> {
    decode("event", &event_raw(bytes)?)
}

/// The result of checking one origin's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub origin: String,
    pub events: u64,
    pub ok: bool,
    pub problem: Option<String>,
}

/// The trees a staged write may touch, each named once (`Tree::name`). Their order is the
/// order of the commit transaction's slice (`Tree::slot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tree {
    Events,
    CaseEvents,
    /// no longer written (the summaries carry the escalation times, index format 4); kept so
    /// journals of earlier releases replay, and emptied when `ensure_indexes` moves a store on
    Deadline,
    Heads,
    Counters,
    Blocks,
    Summary,
    /// per case, keyed by creation time: the row recaps are computed from (`model::recap::Fact`)
    Recap,
    Kv(Kv),
}

impl Tree {
    /// The trees that are not channel trees, in slot order, with their sled names.
    const FIXED: [(Tree, &'static str); 8] = [
        (Tree::Events, "eventid_event"),
        (Tree::CaseEvents, "ticketevent_none"),
        (Tree::Deadline, "dueticket_none"),
        (Tree::Heads, "origin_head"),
        (Tree::Counters, "name_counter"),
        (Tree::Blocks, "phone_blocks"),
        (Tree::Summary, "ticket_summary"),
        (Tree::Recap, "createdticket_recap"),
    ];
    const COUNT: usize = Self::FIXED.len() + KV_TREES;

    /// Every transactional tree, in slot order.
    fn all() -> impl Iterator<Item = Tree> {
        Self::FIXED.iter().map(|(t, _)| *t).chain(Kv::ALL.into_iter().map(Tree::Kv))
    }

    /// The tree named `name` (the journal stores names: they never change meaning).
    fn by_name(name: &[u8]) -> Option<Tree> {
        Tree::all().find(|t| t.name().as_bytes() == name)
    }

    /// Whether `name` is a tree an older format wrote through the journal and this one no longer
    /// keeps (a journal written by it replays without those ops).
    fn retired(name: &[u8]) -> bool {
        RETIRED_JOURNALED.iter().any(|r| r.as_bytes() == name)
    }

    fn slot(self) -> usize {
        match self {
            Tree::Kv(kv) => Self::FIXED.len() + kv.index(),
            t => Self::FIXED.iter().position(|(f, _)| *f == t).expect("every fixed tree is in FIXED"),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Tree::Kv(kv) => KV_NAMES[kv.index()],
            t => Self::FIXED[t.slot()].1,
        }
    }
}

/// The store's sled trees: the transactional ones by `Tree`, and those written directly.
#[derive(Clone)]
pub(crate) struct Trees {
    tx: Vec<sled::Tree>,
    /// the events: their bytes in the event log, found through two trees of their own
    pub(crate) events: eventlog::Events,
    meta: sled::Tree,
    sops: sled::Tree,
    users: sled::Tree,
    sessions: sled::Tree,
    access: sled::Tree,
}

impl Trees {
    /// Makes the event log durable and records how far, so the next open keeps it (call
    /// before a sled flush that lets journal segments go).
    pub(crate) fn sync_event_log(&self) -> Result<(), StoreError> {
        let len = self.events.log.sync()?;
        self.meta.insert(EVENT_LOG_LEN, &len.to_be_bytes())?;
        Ok(())
    }
}

/// `name_meta` key: the event log's length as of the last checkpoint (see `eventlog`).
const EVENT_LOG_LEN: &str = "eventlog_len";

impl std::ops::Index<Tree> for Trees {
    type Output = sled::Tree;
    fn index(&self, t: Tree) -> &sled::Tree {
        &self.tx[t.slot()]
    }
}

/// Trees earlier formats kept and this one derives: case projections (a case is the fold of its
/// events) and the status, unit and phone indexes (the case summaries in memory answer them).
/// `Store::ensure_indexes` removes them from an older store.
const RETIRED_TREES: [&str; 4] = ["ticket_case", "statusticket_none", "unitticket_none", "phoneticket_none"];

/// Journaled trees earlier formats kept: the open cases of each regency with their description's
/// trigram hashes (now `index::Mirror::recent_open` and `Trigrams`). Dropped at open.
const RETIRED_JOURNALED: [&str; 1] = ["regencycreatedticket_trigrams"];

/// The trigram hashes of recent cases' descriptions (a bounded map, oldest out first): intake
/// puts a new case's (`remember_trigrams`), and the near-duplicate check computes those it finds
/// missing (cases that came by sync) once, so the check decodes no case in the common path.
#[derive(Default)]
struct Trigrams {
    of: FastMap<Ticket, Arc<[u16]>>,
    order: std::collections::VecDeque<Ticket>,
}

impl Trigrams {
    const CAP: usize = 4096;

    fn put(&mut self, t: Ticket, hashes: Arc<[u16]>) {
        if self.of.insert(t.clone(), hashes).is_none() {
            self.order.push_back(t);
            while self.order.len() > Self::CAP {
                if let Some(old) = self.order.pop_front() {
                    self.of.remove(&old);
                }
            }
        }
    }
}

/// Channel data kept with the cases (same transactions, same flush): named trees for the
/// WhatsApp inbox, dedupe marks, conversations, outbox and media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kv {
    /// seq (BE) -> raw webhook payload, until processed
    WaInbox,
    /// message id / notice key -> what it became
    WaSeen,
    /// wa_id -> conversation
    WaConv,
    /// seq (BE) -> outbound message or media job
    WaOutbox,
    /// sha256 -> file bytes (content-addressed)
    WaMedia,
    /// node code -> an enrolled child (its certificate's fingerprint)
    SyncPeer,
    /// sha256 of a join token -> the invitation (single use)
    SyncInvite,
    /// child code, feed seq (BE) -> id of an event the child must receive
    SyncFeed,
    /// origin node code -> the child whose subtree writes it
    SyncRoute,
    /// name -> sync state of this node (upstream checkpoint, feed cursor)
    SyncState,
    /// Open311 partners and their requests: `key:NAME` -> partner key (its SHA-256 only),
    /// `hash:SHA256` -> NAME, `req:NAME\0TICKET` -> request, `tok:TOKEN` -> ticket
    Open311,
    /// SOP version -> its life (draft, review, ratification) and, once ratified, the hub's seal
    SopDoc,
    /// node code, NUL, shift start (BE) -> a shift handover snapshot (`model::recap::ShiftRecap`),
    /// this node's and, at a parent, those its children sent up
    ShiftRecap,
    /// Polres code, version (BE) -> that saved Polsek list of the Polres (`service::polsek`)
    Polsek,
    /// Latihan: `scn:ID` -> an uploaded scenario, `drill:ID` -> a drill's record
    Drill,
}

const KV_TREES: usize = 15;
const KV_NAMES: [&str; KV_TREES] = [
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
    "name_open311",
    "version_sopdoc",
    "nodestart_shiftrecap",
    "polresversion_polsek",
    "name_drill",
];

impl Kv {
    pub(crate) const ALL: [Kv; KV_TREES] = [
        Kv::WaInbox,
        Kv::WaSeen,
        Kv::WaConv,
        Kv::WaOutbox,
        Kv::WaMedia,
        Kv::SyncPeer,
        Kv::SyncInvite,
        Kv::SyncFeed,
        Kv::SyncRoute,
        Kv::SyncState,
        Kv::Open311,
        Kv::SopDoc,
        Kv::ShiftRecap,
        Kv::Polsek,
        Kv::Drill,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// The version of the derived index (`ticket_summary`, with each case's words) a store holds, in
/// `name_meta`. A store written before them (or by an older version) gets them built from its
/// case projections at open (`Store::ensure_indexes`). 4: the summaries carry the next
/// escalation's time, and `dueticket_none` (one key per owned case's deadline) is emptied.
const INDEXES: u64 = 4;

/// The form of the recap rows a store holds (`name_meta` key, version): 2 is the binary row
/// with the kecamatan (`recap`); `Store::ensure_indexes` rewrites older (JSON) rows once.
pub(crate) const RECAP_ROWS: (&str, u64) = ("recap_rows", 2);

/// Where `register_sops` files the SOP in force (not a version string: those never start with a
/// NUL).
const CURRENT_SOP: &str = "\0current";

/// A channel value's address: its tree and key.
pub(crate) type KvKey = (Kv, Vec<u8>);

/// One staged write: the new value of a key, or its removal.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub(crate) tree: Tree,
    pub(crate) key: Vec<u8>,
    pub(crate) value: Option<Vec<u8>>,
}

impl Op {
    fn put(tree: Tree, key: Vec<u8>, value: Vec<u8>) -> Op {
        Op { tree, key, value: Some(value) }
    }

    fn remove(tree: Tree, key: Vec<u8>) -> Op {
        Op { tree, key, value: None }
    }
}

pub(crate) struct Writer {
    clock: HlcClock,
    /// the newest head of each origin, staged ones included
    heads: HashMap<NodeCode, Head>,
    /// ops staged and not yet taken by the commit thread, in order
    pub(crate) pending: Vec<Op>,
    /// staged projections and counters not yet committed, with the ticket that staged them last
    pub(crate) staged_cases: FastMap<Ticket, (u64, Case)>,
    pub(crate) staged_counters: FastMap<Vec<u8>, (u64, u64)>,
    pub(crate) staged_blocks: FastMap<String, (u64, BlockHistory)>,
    pub(crate) staged_kv: FastMap<KvKey, (u64, Option<Vec<u8>>)>,
    /// events staged and not yet committed, by case (a remote event may need a refold)
    pub(crate) staged_events: FastMap<Ticket, Vec<(u64, Event)>>,
    /// which children follow which nodes' cases (set by sync; empty on a leaf)
    pub(crate) routing: Routing,
    /// the last cases committed (their fold, as staged), so the next write to them does not
    /// fold them from disk again: sync sends a case's events in nearby batches
    pub(crate) recent: RecentCases,
}

/// A bounded map of recently committed cases, oldest out first. A case is in it only as its
/// last staged projection; a write that adds events to a case without staging its projection
/// takes it out (`Store::write`).
#[derive(Default)]
pub(crate) struct RecentCases {
    cases: FastMap<Ticket, Case>,
    order: std::collections::VecDeque<Ticket>,
}

impl RecentCases {
    const CAPACITY: usize = 1024;

    fn get(&self, t: &Ticket) -> Option<&Case> {
        self.cases.get(t)
    }

    /// Keeps `c`; returns the case it pushed out, if any (for the caller to drop when it holds
    /// no lock).
    fn insert(&mut self, t: Ticket, c: Case) -> Option<Case> {
        if self.cases.insert(t.clone(), c).is_none() {
            self.order.push_back(t);
            if self.order.len() > Self::CAPACITY {
                return self.order.pop_front().and_then(|old| self.cases.remove(&old));
            }
        }
        None
    }

    fn remove(&mut self, t: &Ticket) {
        if self.cases.remove(t).is_some() {
            self.order.retain(|o| o != t);
        }
    }
}

impl Writer {
    /// Forgets staged values that a committed transaction now holds (staged at or before `upto`).
    /// Returns the cases the recent cache let go, to be dropped outside the writer's lock.
    #[must_use = "drop the evicted cases after unlocking"]
    pub(crate) fn committed(&mut self, upto: u64) -> Vec<Case> {
        let mut evicted = Vec::new();
        let done: Vec<Ticket> =
            self.staged_cases.iter().filter(|(_, (t, _))| *t <= upto).map(|(k, _)| k.clone()).collect();
        for ticket in done {
            if let Some((_, c)) = self.staged_cases.remove(&ticket) {
                evicted.extend(self.recent.insert(ticket, c));
            }
        }
        self.staged_counters.retain(|_, (t, _)| *t > upto);
        self.staged_blocks.retain(|_, (t, _)| *t > upto);
        self.staged_kv.retain(|_, (t, _)| *t > upto);
        self.staged_events.retain(|_, evs| {
            evs.retain(|(t, _)| *t > upto);
            !evs.is_empty()
        });
        evicted
    }
}

/// Maps and sets on the write path, keyed by what the store itself derived (tickets, keys, ids):
/// a fast hasher, randomly seeded per process.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// The ops that matter of a round: the last one on each key, in staging order.
pub(crate) fn last_ops(ops: &[Op]) -> Vec<&Op> {
    let mut seen = FastSet::with_capacity_and_hasher(ops.len(), Default::default());
    let mut last: Vec<&Op> = ops.iter().rev().filter(|op| seen.insert((op.tree, op.key.as_slice()))).collect();
    last.reverse();
    last
}

/// Applies ops: events (`Tree::Events`, `Tree::CaseEvents`) go to the event log and the trees
/// that find them (`eventlog::Events::place`), every other op to sled, key by key. Not atomic
/// across keys: the journal record that holds them is (see `journal`), the commit thread applies
/// only what it has journaled, and a replay sets every key of the record again. (No
/// `sled::Batch` here: sled writes its log buffer out, with a `sync_file_range`, twice for every
/// batch applied, several times a round; single inserts reach disk at sled's own flush.)
pub(crate) fn apply_ops(t: &Trees, ops: &[&Op]) -> Result<(), StoreError> {
    let mut events: Vec<(&[u8], &[u8])> = Vec::new();
    let mut case_ids: Vec<(&[u8], &[u8])> = Vec::new();
    for op in ops {
        if let (Tree::CaseEvents, Some(_)) = (op.tree, &op.value) {
            let at = op.key.iter().position(|b| *b == 0).ok_or_else(|| StoreError::Corrupt("case event key".into()))?;
            case_ids.push((&op.key[..at], &op.key[at + 1..]));
        } else if let (Tree::Events, Some(v)) = (op.tree, &op.value) {
            events.push((&op.key, v));
        }
    }
    t.events.place(&events, &case_ids)?;
    for op in ops {
        match (op.tree, &op.value) {
            // events are never removed
            (Tree::Events | Tree::CaseEvents, _) => {}
            (tree, Some(v)) => drop(t.tx[tree.slot()].insert(op.key.as_slice(), v.as_slice())?),
            (tree, None) => drop(t.tx[tree.slot()].remove(op.key.as_slice())?),
        }
    }
    Ok(())
}

/// Moves the events of a format 1 store (one sled key each in `eventid_event`, listed per case
/// in `ticketevent_none`) into the event log; returns how many. Safe to run again after a
/// crash: the old trees are cleared only once the log is synced and sled flushed.
fn migrate_events(db: &sled::Db, t: &Trees) -> Result<u64, StoreError> {
    let (old_events, old_cases) = (&t[Tree::Events], &t[Tree::CaseEvents]);
    if old_events.is_empty() && old_cases.is_empty() {
        return Ok(0);
    }
    let mut n = 0u64;
    let mut chunk: Vec<(sled::IVec, sled::IVec)> = Vec::with_capacity(10_000);
    let mut place = |chunk: &mut Vec<(sled::IVec, sled::IVec)>, events: bool| -> Result<(), StoreError> {
        let pairs: Vec<(&[u8], &[u8])> = chunk.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        if events {
            n += pairs.len() as u64;
            t.events.place(&pairs, &[])?;
        } else {
            t.events.place(&[], &pairs)?;
        }
        chunk.clear();
        Ok(())
    };
    for kv in old_events.iter() {
        chunk.push(kv?);
        if chunk.len() == chunk.capacity() {
            place(&mut chunk, true)?;
        }
    }
    place(&mut chunk, true)?;
    for kv in old_cases.iter() {
        let (k, _) = kv?;
        let at = k.iter().position(|b| *b == 0).ok_or_else(|| StoreError::Corrupt("case event key".into()))?;
        chunk.push((k.subslice(0, at), k.subslice(at + 1, k.len() - at - 1)));
        if chunk.len() == chunk.capacity() {
            place(&mut chunk, false)?;
        }
    }
    place(&mut chunk, false)?;
    t.sync_event_log()?;
    db.flush()?;
    old_events.clear()?;
    old_cases.clear()?;
    db.flush()?;
    Ok(n)
}

pub struct Store {
    db: sled::Db,
    t: Trees,
    node: NodeCode,
    writer: Arc<Mutex<Writer>>,
    access_head: Mutex<(u64, Hash)>,
    commit: Arc<GroupCommit>,
    sops: Mutex<HashMap<String, Arc<Sop>>>,
    /// bumped whenever a session may have ended (see `accounts.rs`); live streams wait on it
    sessions_changed: tokio::sync::watch::Sender<u64>,
    index: CaseIndex,
    trigrams: Mutex<Trigrams>,
    /// every number with a block history, stored or staged: most reports come from numbers never
    /// blocked, and their check then reads nothing
    blocked_ever: RwLock<FastSet<String>>,
    /// the data dir the store lives in (a backup takes its `backup::DATA_FILES` too)
    dir: std::path::PathBuf,
}

/// Staged writes of one `Store::write` call, applied in one sled transaction.
pub struct Txn<'a> {
    store: &'a Store,
    w: &'a mut Writer,
    now: Millis,
    ops: Vec<Op>,
    cases: FastMap<Ticket, (Option<Case>, Case)>,
    counters: FastMap<Vec<u8>, u64>,
    heads: FastMap<NodeCode, Head>,
    blocks: FastMap<String, BlockHistory>,
    kv: FastMap<KvKey, Option<Vec<u8>>>,
    /// events this write appended or received, in order
    events: Vec<Event>,
    /// committed cases this write has read (decoded once)
    read: FastMap<Ticket, Option<Case>>,
}

thread_local! {
    /// an event's JSON between encoding and packing (see `Txn::append_in`)
    static EVENT_JSON: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn seq_key(origin: &NodeCode, seq: u64) -> Vec<u8> {
    key(&[origin.as_str().as_bytes(), &seq.to_be_bytes()])
}

/// Index entries a case projection has, as (tree, key, value); the writer diffs old against new.
fn index_keys(c: &Case, here: &NodeCode, sop: Option<&Sop>) -> Vec<(Tree, Vec<u8>, Vec<u8>)> {
    let t = c.ticket.as_str().as_bytes();
    let mut v = Vec::with_capacity(2);
    v.push((Tree::Summary, t.to_vec(), index::encode(&summary_of(c, here, sop), &case_words(c))));
    // Latihan: drill cases are never in the recaps
    if !c.ticket.is_drill() {
        v.push((Tree::Recap, recap::key(c.created.0, t), recap::encode(&Fact::of(c, sop))));
    }
    v
}

/// A case's summary as the store keeps it: with the next escalation's time when this node owns
/// the case (escalation happens at the owner).
fn summary_of(c: &Case, here: &NodeCode, sop: Option<&Sop>) -> CaseSummary {
    let mut s = CaseSummary::of(c, sop);
    s.escalates = sop.filter(|_| &c.owner == here).and_then(|s| c.next_deadline(s)).map(|d| d.due);
    s
}

/// The words a case is found by: its description's and its reporter's name.
fn case_words(c: &Case) -> String {
    joined_words(&[&c.description, &c.reporter.name])
}

/// Folds every case from its events (in ticket order) and hands each to `f` with its
/// ticket's key; returns how many.
pub(crate) fn fold_all(
    events: &eventlog::Events,
    mut f: impl FnMut(&[u8], Case) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut count = 0u64;
    events.each_case(|ticket, stored| {
        let evs = stored.iter().map(|v| decode_event(v)).collect::<Result<Vec<_>, _>>()?;
        if let Some(case) = Case::fold(evs.iter()) {
            f(ticket, case)?;
            count += 1;
        }
        Ok(())
    })?;
    Ok(count)
}

impl Store {
    /// Opens (or creates) the store of node `node` in `dir`, with a bounded page cache.
    /// Whether `dir` holds a store already (`open` would create one otherwise).
    pub fn exists(dir: &Path) -> bool {
        dir.join("store").exists()
    }

    pub fn open(dir: &Path, node: &NodeCode, cache_bytes: u64) -> Result<Store, StoreError> {
        let path = dir.join("store");
        let db =
            sled::Config::new().path(&path).cache_capacity(cache_bytes).flush_every_ms(Some(1000)).open().map_err(
                |e| match e {
                    sled::Error::Io(io)
                        if io.to_string().contains("could not acquire lock")
                            || io.kind() == std::io::ErrorKind::WouldBlock =>
                    {
                        StoreError::Locked { path: path.display().to_string() }
                    }
                    other => StoreError::from(other),
                },
            )?;
        let tree = |n: &str| db.open_tree(n);
        let meta = tree("name_meta")?;
        let synced = meta.get(EVENT_LOG_LEN)?.and_then(|v| v.as_ref().try_into().ok()).map_or(0, u64::from_be_bytes);
        let t = Trees {
            tx: Tree::all().map(|t| tree(t.name())).collect::<Result<_, _>>()?,
            events: eventlog::Events::new(eventlog::EventLog::open(&path.join("events.log"), synced)?, &db)?,
            meta,
            sops: tree("version_sop")?,
            users: tree("username_user")?,
            sessions: tree("tokenhash_session")?,
            access: tree("seq_access")?,
        };
        debug_assert_eq!(t.tx.len(), Tree::COUNT);
        match t.meta.get("format")? {
            None => {
                t.meta.insert("format", &FORMAT.to_be_bytes())?;
                t.meta.insert("node", node.as_str().as_bytes())?;
                t.meta.insert("indexes", &INDEXES.to_be_bytes())?;
                t.meta.insert(RECAP_ROWS.0, &RECAP_ROWS.1.to_be_bytes())?;
                let epoch: u64 = rand::random();
                let head = Head { epoch, ..Head::empty() };
                t[Tree::Heads].insert(node.as_str().as_bytes(), encode(&head))?;
                db.flush()?;
            }
            Some(v) => {
                let found =
                    u64::from_be_bytes(v.as_ref().try_into().map_err(|_| StoreError::Corrupt("format".into()))?);
                if found > FORMAT {
                    return Err(StoreError::TooNew { found, supported: FORMAT });
                }
                let owner = t.meta.get("node")?.map(|v| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default();
                if owner != node.as_str() {
                    return Err(StoreError::WrongNode { found: owner, configured: node.to_string() });
                }
                if found < FORMAT {
                    // from now on events are written to the log: an older binary must refuse it
                    t.meta.insert("format", &FORMAT.to_be_bytes())?;
                }
            }
        }
        // writes acknowledged after sled's last flush: apply them again (see `journal`)
        let journal_dir = path.join("journal");
        let (journal, records) = journal::Journal::open(&journal_dir)?;
        if !records.is_empty() {
            for r in &records {
                apply_ops(&t, &r.iter().collect::<Vec<_>>())?;
            }
            t.sync_event_log()?;
            db.flush()?;
            tracing::info!(records = records.len(), "journal replayed into the store");
        }
        journal::Journal::remove_before(&journal_dir, journal.segment())?;
        let moved = migrate_events(&db, &t)?;
        if moved > 0 {
            tracing::info!(events = moved, "events moved into the event log (store format 2)");
        }
        for name in RETIRED_JOURNALED {
            if db.drop_tree(name)? {
                tracing::info!(tree = name, "a tree this version derives in memory was removed");
            }
        }
        let mut heads = HashMap::new();
        let mut clock = HlcClock::default();
        for kv in t[Tree::Heads].iter() {
            let (k, v) = kv?;
            let origin =
                NodeCode::parse(&String::from_utf8_lossy(&k)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let head: Head = decode("head", &v)?;
            if head.seq > 0 {
                let stored = t.events.get(&seq_key(&origin, head.seq))?.unwrap_or_default();
                let last: Event = decode_event(&stored)?;
                clock.observe(last.hlc);
            }
            heads.insert(origin, head);
        }
        let access_head = match t.access.last()? {
            Some((k, v)) => {
                let seq =
                    u64::from_be_bytes(k.as_ref().try_into().map_err(|_| StoreError::Corrupt("access key".into()))?);
                (seq, hash_bytes(&v))
            }
            None => (0, [0u8; 32]),
        };
        let writer = Arc::new(Mutex::new(Writer {
            clock,
            heads,
            pending: Vec::new(),
            staged_cases: FastMap::default(),
            recent: RecentCases::default(),
            staged_counters: FastMap::default(),
            staged_blocks: FastMap::default(),
            staged_kv: FastMap::default(),
            staged_events: FastMap::default(),
            routing: Routing::default(),
        }));
        let index = CaseIndex::default();
        index.load_all(t[Tree::Summary].iter())?;
        let blocked_ever = t[Tree::Blocks]
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect::<Result<FastSet<String>, StoreError>>()?;
        let commit = GroupCommit::start(db.clone(), t.clone(), writer.clone(), index.clone(), journal);
        Ok(Store {
            dir: dir.to_path_buf(),
            db,
            t,
            node: node.clone(),
            writer,
            access_head: Mutex::new(access_head),
            commit,
            sops: Mutex::new(HashMap::new()),
            sessions_changed: tokio::sync::watch::channel(0).0,
            index,
            trigrams: Mutex::new(Trigrams::default()),
            blocked_ever: RwLock::new(blocked_ever),
        })
    }

    /// Builds the derived indexes of a store written before them (after `register_sops`, which
    /// their deadlines need): one pass over the case projections, in batches. Nothing to do on a
    /// store that has them.
    pub fn ensure_indexes(&self) -> Result<u64, StoreError> {
        let version = |name: &str| -> Result<u64, StoreError> {
            Ok(self.t.meta.get(name)?.and_then(|v| v.as_ref().try_into().ok()).map(u64::from_be_bytes).unwrap_or(0))
        };
        let summaries = version("indexes")? < INDEXES;
        let recaps = version(RECAP_ROWS.0)? < RECAP_ROWS.1;
        if !summaries && !recaps {
            return Ok(0);
        }
        // the writer lock keeps cases from changing meanwhile (this runs before serving)
        let _w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut batch = sled::Batch::default();
        let mut rows = sled::Batch::default();
        let mut pending = 0;
        let n = fold_all(&self.t.events, |ticket, c| {
            let sop = self.sop_cached(&c.sop_version);
            if summaries {
                let value = index::encode(&summary_of(&c, &self.node, sop.as_deref()), &case_words(&c));
                self.index.load(ticket, &value)?;
                batch.insert(ticket, value);
            }
            if !c.ticket.is_drill() {
                rows.insert(recap::key(c.created.0, ticket), recap::encode(&Fact::of(&c, sop.as_deref())));
            }
            pending += 1;
            if pending == 10_000 {
                self.t[Tree::Summary].apply_batch(std::mem::take(&mut batch))?;
                self.t[Tree::Recap].apply_batch(std::mem::take(&mut rows))?;
                pending = 0;
            }
            Ok(())
        })?;
        self.t[Tree::Summary].apply_batch(batch)?;
        self.t[Tree::Recap].apply_batch(rows)?;
        if summaries {
            for name in RETIRED_TREES {
                self.db.drop_tree(name)?;
            }
            // the summaries carry the escalation times now (index format 4)
            self.t[Tree::Deadline].clear()?;
            self.t.meta.insert("indexes", &INDEXES.to_be_bytes())?;
        }
        self.t.meta.insert(RECAP_ROWS.0, &RECAP_ROWS.1.to_be_bytes())?;
        self.db.flush()?;
        tracing::info!(cases = n, summaries, recaps, "case summaries and recap rows built");
        Ok(n)
    }

    /// Reads the summaries of every case and their word index (committed).
    pub fn summaries<R>(&self, f: impl FnOnce(&index::Mirror) -> R) -> R {
        self.index.read(f)
    }

    pub fn node(&self) -> &NodeCode {
        &self.node
    }

    /// Runs `f` as the single writer and stages what it wrote. Staged writes are seen by later
    /// writers at once, by readers once committed, and are durable after `durable(ticket)`.
    pub fn write<T, E: From<StoreError>>(
        &self,
        now: Millis,
        f: impl FnOnce(&mut Txn) -> Result<T, E>,
    ) -> Result<(T, Durable), E> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let saved_clock = w.clock;
        let mut txn = Txn::new(self, &mut w, now);
        let out = match f(&mut txn).and_then(|v| txn.feed_children().map(|_| v).map_err(E::from)) {
            Ok(v) => v,
            Err(e) => {
                w.clock = saved_clock;
                return Err(e);
            }
        };
        let Txn { mut ops, cases, counters, heads, blocks, kv, events, .. } = txn;
        if ops.is_empty()
            && cases.is_empty()
            && counters.is_empty()
            && blocks.is_empty()
            && kv.is_empty()
            && events.is_empty()
        {
            return Ok((out, Durable(0)));
        }
        for (before, after) in cases.values() {
            let sop_of = |c: &Case| self.sop_cached(&c.sop_version);
            let old = before.as_ref().map(|c| index_keys(c, &self.node, sop_of(c).as_deref())).unwrap_or_default();
            let new = index_keys(after, &self.node, sop_of(after).as_deref());
            for k in old.iter().filter(|o| !new.iter().any(|n| n.0 == o.0 && n.1 == o.1)) {
                ops.push(Op::remove(k.0, k.1.clone()));
            }
            for k in new.iter().filter(|n| !old.contains(n)) {
                ops.push(Op::put(k.0, k.1.clone(), k.2.clone()));
            }
        }
        for (k, v) in &counters {
            ops.push(Op::put(Tree::Counters, k.clone(), encode(v)));
        }
        for (origin, h) in &heads {
            ops.push(Op::put(Tree::Heads, origin.as_str().as_bytes().to_vec(), encode(h)));
        }
        if !blocks.is_empty() {
            let mut ever = self.blocked_ever.write().unwrap_or_else(|e| e.into_inner());
            for (phone, b) in &blocks {
                ever.insert(phone.clone());
                ops.push(Op::put(Tree::Blocks, phone.as_bytes().to_vec(), encode(b)));
            }
        }
        for ((kv, k), v) in &kv {
            ops.push(Op { tree: Tree::Kv(*kv), key: k.clone(), value: v.clone() });
        }
        // the ticket is taken under the writer lock: the commit thread, reading the counter
        // under the same lock, knows every op up to it is in `pending`
        let ticket = self.commit.written();
        w.pending.extend(ops);
        for (t, (_, c)) in cases {
            w.staged_cases.insert(t, (ticket.0, c));
        }
        for (k, v) in counters {
            w.staged_counters.insert(k, (ticket.0, v));
        }
        for (k, v) in blocks {
            w.staged_blocks.insert(k, (ticket.0, v));
        }
        for (k, v) in kv {
            w.staged_kv.insert(k, (ticket.0, v));
        }
        for ev in events {
            if !w.staged_cases.contains_key(&ev.case) {
                // events without a new projection: the cached fold is no longer the case
                w.recent.remove(&ev.case);
            }
            w.staged_events.entry(ev.case.clone()).or_default().push((ticket.0, ev));
        }
        w.heads.extend(heads);
        Ok((out, ticket))
    }

    /// Keeps a new case's description trigrams (`trigrams16`) for the near-duplicate check, as
    /// intake computed them; a case without them gets them from its description when first asked.
    pub fn remember_trigrams(&self, ticket: &Ticket, hashes: Arc<[u16]>) {
        self.trigrams.lock().unwrap_or_else(|e| e.into_inner()).put(ticket.clone(), hashes);
    }

    /// Reads through the writer's view: committed state plus everything staged and not yet
    /// committed (what the next write would see).
    pub fn read_staged<T, E: From<StoreError>>(&self, f: impl FnOnce(&mut Txn) -> Result<T, E>) -> Result<T, E> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut txn = Txn::new(self, &mut w, Millis(0));
        f(&mut txn)
    }

    /// Waits until the write behind `d` is on disk.
    pub async fn durable(&self, d: Durable) -> Result<(), StoreError> {
        self.commit.wait(d).await.map_err(StoreError::Flush)
    }

    /// Flushes everything now (admin commands, shutdown).
    pub fn flush_now(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    pub fn close(&self) {
        self.commit.stop();
        let _ = self.db.flush();
    }

    /// The SOP of a case's version; a version this node does not hold (a post's, synced up)
    /// falls back to the one in force, as `App::sop_for` does.
    fn sop_cached(&self, version: &str) -> Option<Arc<Sop>> {
        let sops = self.sops.lock().unwrap_or_else(|e| e.into_inner());
        sops.get(version).or_else(|| sops.get(CURRENT_SOP)).cloned()
    }

    // ----- SOP versions ---------------------------------------------------------------------

    /// Keeps `text` as SOP `version`. The same version with other content is refused: a changed
    /// SOP needs a new version string, so every case keeps pointing at the text that governed it.
    pub fn keep_sop(&self, sop: &Sop, text: &str) -> Result<bool, KeepSopError> {
        match self.t.sops.get(sop.version.as_bytes()).map_err(StoreError::from)? {
            Some(old) if decode::<String>("sop", &old)? != text => Err(KeepSopError::Changed(sop.version.clone())),
            Some(_) => Ok(false),
            None => {
                self.t.sops.insert(sop.version.as_bytes(), encode(&text)).map_err(StoreError::from)?;
                self.db.flush().map_err(StoreError::from)?;
                Ok(true)
            }
        }
    }

    /// Every SOP version this store has seen, as `(version, text)`.
    pub fn sop_texts(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.t
            .sops
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((String::from_utf8_lossy(&k).into_owned(), decode::<String>("sop", &v)?))
            })
            .collect()
    }

    /// Makes the parsed SOPs known to the index maintenance (deadlines), with the one in force.
    pub fn register_sops(&self, sops: &HashMap<String, Arc<Sop>>, current: &Arc<Sop>) {
        let mut c = self.sops.lock().unwrap_or_else(|e| e.into_inner());
        for (k, v) in sops {
            c.insert(k.clone(), v.clone());
        }
        c.insert(CURRENT_SOP.to_owned(), current.clone());
    }

    // ----- reads ----------------------------------------------------------------------------

    pub fn case(&self, t: &Ticket) -> Result<Option<Case>, StoreError> {
        Ok(Case::fold(&self.case_events(t)?))
    }

    /// How many events the case has (committed).
    pub fn case_event_count(&self, t: &Ticket) -> Result<usize, StoreError> {
        self.t.events.count_of_case(t.as_str().as_bytes())
    }

    /// All events of a case in fold order (HLC, origin, seq).
    pub fn case_events(&self, t: &Ticket) -> Result<Vec<Event>, StoreError> {
        let mut out = self
            .t
            .events
            .of_case(t.as_str().as_bytes())?
            .iter()
            .map(|v| decode_event(v))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        Ok(out)
    }

    /// Tickets of the cases in `state`, in ticket order (committed).
    pub fn tickets_by_status(&self, state: State) -> Vec<Ticket> {
        self.tickets_where(|s| s.state == state)
    }

    /// Tickets of the cases held by `unit`, in ticket order (committed).
    pub fn tickets_by_unit(&self, unit: &str) -> Vec<Ticket> {
        self.tickets_where(|s| s.unit.as_ref().is_some_and(|u| u.as_str() == unit))
    }

    /// Tickets of a reporter's cases, in ticket order (committed).
    pub fn tickets_by_phone(&self, phone: &str) -> Vec<Ticket> {
        self.index.read(|m| m.tickets_of_phone(phone))
    }

    fn tickets_where(&self, f: impl Fn(&CaseSummary) -> bool) -> Vec<Ticket> {
        let mut out: Vec<Ticket> =
            self.index.read(|m| m.all().iter().filter(|s| f(s)).map(|s| s.ticket.clone()).collect());
        out.sort();
        out
    }

    /// Cases this node owns whose next escalation is due at or before `now` (committed),
    /// soonest first.
    pub fn tickets_due(&self, now: Millis) -> Result<Vec<Ticket>, StoreError> {
        Ok(self.index.read(|m| m.due_by(now)))
    }

    /// The block history of a number (committed).
    pub fn blocks(&self, phone: &str) -> Result<BlockHistory, StoreError> {
        if !self.blocked_ever.read().unwrap_or_else(|e| e.into_inner()).contains(phone) {
            return Ok(BlockHistory::default());
        }
        Ok(self.t[Tree::Blocks].get(phone.as_bytes())?.map(|v| decode("blocks", &v)).transpose()?.unwrap_or_default())
    }

    /// Every number that was ever blocked, with its history.
    pub fn all_blocks(&self) -> Result<Vec<(String, BlockHistory)>, StoreError> {
        self.t[Tree::Blocks]
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((String::from_utf8_lossy(&k).into_owned(), decode("blocks", &v)?))
            })
            .collect()
    }

    /// Open cases of a regency filed at or after `since`, newest first, at most `limit`
    /// (committed), with their description's trigram hashes.
    pub fn recent_in_regency(&self, regency: &str, since: Millis, limit: usize) -> Result<Vec<PastCase>, StoreError> {
        let found = self.index.read(|m| m.recent_open(regency, since, limit));
        let cached: Vec<Option<Arc<[u16]>>> = {
            let cache = self.trigrams.lock().unwrap_or_else(|e| e.into_inner());
            found.iter().map(|(t, _, _)| cache.of.get(t).cloned()).collect()
        };
        let mut out = Vec::with_capacity(found.len());
        let shared: Arc<str> = regency.into();
        for ((ticket, created, state), cached) in found.into_iter().zip(cached) {
            let hashes = match cached {
                Some(h) => h,
                None => {
                    let Some(c) = self.case(&ticket)? else { continue };
                    let h = trigrams16(&c.description);
                    self.trigrams.lock().unwrap_or_else(|e| e.into_inner()).put(ticket.clone(), h.clone());
                    h
                }
            };
            out.push(PastCase {
                ticket,
                created,
                state,
                reject_reason: None,
                closed_at: created,
                regency: shared.clone(),
                trigrams: hashes,
            });
        }
        Ok(out)
    }

    /// The newest `limit` cases of a phone number (tickets sort by node, day and counter).
    pub fn recent_of_phone(&self, phone: &str, limit: usize) -> Result<Vec<Case>, StoreError> {
        let mut out = Vec::new();
        for t in self.tickets_by_phone(phone).iter().rev().take(limit) {
            if let Some(c) = self.case(t)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// A channel value (committed).
    pub fn kv_get<T: serde::de::DeserializeOwned>(&self, kv: Kv, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.t[Tree::Kv(kv)].get(key)?.map(|v| decode("channel value", &v)).transpose()
    }

    /// Up to `limit` channel entries in key order, starting at `from` (committed).
    pub fn kv_scan<T: serde::de::DeserializeOwned>(
        &self,
        kv: Kv,
        from: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        let mut out = Vec::new();
        for r in self.t[Tree::Kv(kv)].range(from..).take(limit) {
            let (k, v) = r?;
            out.push((k.to_vec(), decode("channel value", &v)?));
        }
        Ok(out)
    }

    /// The last `limit` values whose keys start with `prefix`, highest key first (committed).
    pub fn kv_last<T: serde::de::DeserializeOwned>(
        &self,
        kv: Kv,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        let mut out = Vec::new();
        for r in self.t[Tree::Kv(kv)].scan_prefix(prefix).rev().take(limit) {
            let (k, v) = r?;
            out.push((k.to_vec(), decode("channel value", &v)?));
        }
        Ok(out)
    }

    pub fn kv_len(&self, kv: Kv) -> usize {
        self.t[Tree::Kv(kv)].len()
    }

    /// The recap rows of the cases created in `[from, to)` (committed), in creation order.
    pub fn recap_facts(&self, from: Millis, to: Millis) -> Result<Vec<Fact>, StoreError> {
        let mut out = Vec::new();
        for kv in self.t[Tree::Recap].range(from.0.to_be_bytes()..to.0.to_be_bytes()) {
            let (k, v) = kv?;
            out.push(recap::decode(&k, &v)?);
        }
        Ok(out)
    }

    /// The recap tree's size on disk is not separable in sled; its entry count and value bytes.
    pub fn recap_bytes(&self) -> Result<(u64, u64), StoreError> {
        let mut n = (0, 0);
        for kv in self.t[Tree::Recap].iter() {
            let (k, v) = kv?;
            n.0 += 1;
            n.1 += (k.len() + v.len()) as u64;
        }
        Ok(n)
    }

    /// How many cases there are (committed; from the summaries, without a scan).
    pub fn case_count(&self) -> usize {
        self.index.read(|m| m.all().len())
    }

    /// The committed head of each origin.
    pub fn heads(&self) -> Result<HashMap<NodeCode, Head>, StoreError> {
        let mut out = HashMap::new();
        for kv in self.t[Tree::Heads].iter() {
            let (k, v) = kv?;
            let origin =
                NodeCode::parse(&String::from_utf8_lossy(&k)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.insert(origin, decode("head", &v)?);
        }
        Ok(out)
    }

    /// Checks every origin's hash chain from its first event.
    pub fn verify_chains(&self) -> Result<Vec<ChainReport>, StoreError> {
        let heads = self.heads()?;
        let mut out = Vec::new();
        let mut origins: Vec<_> = heads.keys().cloned().collect();
        origins.sort();
        for origin in origins {
            let head = &heads[&origin];
            let mut rows = Vec::new();
            // up to the head read above: what is written meanwhile is checked next time
            for (seq, v) in self.t.events.range(origin.as_str().as_bytes(), 1, head.seq, usize::MAX)? {
                let raw = event_raw(&v)?.into_owned();
                let ev: Event = decode("event", &raw)?;
                rows.push((seq, raw, ev.prev_hash));
            }
            let epochs: Vec<(u64, u64)> = head.segments.iter().map(|s| (s.first, s.prev)).collect();
            let result = verify_log(rows.iter().map(|(s, v, p)| (*s, &v[..], *p)), &epochs);
            let (ok, problem) = match result {
                Ok((last, hash)) if last == head.seq && hex::encode(hash) == head.hash => (true, None),
                Ok((last, _)) => (false, Some(format!("the head says seq {} but the log ends at {last}", head.seq))),
                Err(b) => (false, Some(format!("seq {}: {}", b.seq, b.reason))),
            };
            out.push(ChainReport { origin: origin.to_string(), events: rows.len() as u64, ok, problem });
        }
        Ok(out)
    }

    /// A small durable write: proves the store is open and writable (health check).
    pub async fn probe(&self, now: Millis) -> Result<(), StoreError> {
        self.t.meta.insert("probe", &now.0.to_be_bytes())?;
        let d = self.commit.written_direct();
        self.durable(d).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeepSopError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("SOP version {0:?} is already stored with different content: give the changed SOP a new version")]
    Changed(String),
}

impl<'a> Txn<'a> {
    fn new(store: &'a Store, w: &'a mut Writer, now: Millis) -> Txn<'a> {
        Txn {
            store,
            w,
            now,
            ops: Vec::new(),
            cases: FastMap::default(),
            counters: FastMap::default(),
            heads: FastMap::default(),
            blocks: FastMap::default(),
            kv: FastMap::default(),
            events: Vec::new(),
            read: FastMap::default(),
        }
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    /// The case as staged so far in this write, else as stored.
    pub fn case(&mut self, t: &Ticket) -> Result<Option<Case>, StoreError> {
        if let Some((_, c)) = self.cases.get(t) {
            return Ok(Some(c.clone()));
        }
        if let Some((_, c)) = self.w.staged_cases.get(t) {
            return Ok(Some(c.clone()));
        }
        if let Some(c) = self.w.recent.get(t) {
            return Ok(Some(c.clone()));
        }
        let c = self.store.case(t)?;
        // `put_case` needs it again as the "before" of the index diff: decode it once
        self.read.insert(t.clone(), c.clone());
        Ok(c)
    }

    /// The head this write stages for `origin`'s log (from the writer's at first), to update in
    /// place: no copy of it per event.
    fn head_mut(&mut self, origin: &NodeCode) -> &mut Head {
        if !self.heads.contains_key(origin) {
            let held = self.w.heads.get(origin).cloned().unwrap_or_else(Head::empty);
            self.heads.insert(origin.clone(), held);
        }
        self.heads.get_mut(origin).expect("inserted above")
    }

    /// Stages the new projection of a case; indexes are brought along at commit.
    pub fn put_case(&mut self, case: Case) -> Result<(), StoreError> {
        match self.cases.get_mut(&case.ticket) {
            Some(entry) => entry.1 = case,
            None => {
                let before =
                    match self.w.staged_cases.get(&case.ticket).map(|(_, c)| c).or(self.w.recent.get(&case.ticket)) {
                        Some(c) => Some(c.clone()),
                        None => match self.read.remove(&case.ticket) {
                            Some(c) => c,
                            // a new case (every report) is not in the index: no read of the log
                            None if !self.store.index.read(|m| m.holds(&case.ticket)) => None,
                            None => self.store.case(&case.ticket)?,
                        },
                    };
                self.cases.insert(case.ticket.clone(), (before, case));
            }
        }
        Ok(())
    }

    /// The block history of a number, as staged so far, else as stored.
    pub fn blocks(&mut self, phone: &str) -> Result<BlockHistory, StoreError> {
        if let Some(b) = self.blocks.get(phone) {
            return Ok(b.clone());
        }
        if let Some((_, b)) = self.w.staged_blocks.get(phone) {
            return Ok(b.clone());
        }
        self.store.blocks(phone)
    }

    pub fn put_blocks(&mut self, phone: &str, b: BlockHistory) {
        self.blocks.insert(phone.to_owned(), b);
    }

    /// A channel value as staged so far, else as stored.
    pub fn kv_get<T: serde::de::DeserializeOwned>(&mut self, kv: Kv, key: &[u8]) -> Result<Option<T>, StoreError> {
        let k = (kv, key.to_vec());
        let raw = match self.kv.get(&k) {
            Some(v) => v.clone(),
            None => match self.w.staged_kv.get(&k) {
                Some((_, v)) => v.clone(),
                None => return self.store.kv_get(kv, key),
            },
        };
        raw.map(|v| decode("channel value", &v)).transpose()
    }

    /// Stages a channel value (`None` removes it).
    pub fn kv_put<T: Serialize>(&mut self, kv: Kv, key: &[u8], value: Option<&T>) {
        self.kv.insert((kv, key.to_vec()), value.map(encode));
    }

    /// Increments and returns the named counter (e.g. the daily ticket counter).
    pub fn next_counter(&mut self, name: &str) -> Result<u64, StoreError> {
        let k = name.as_bytes().to_vec();
        let staged = self.w.staged_counters.get(&k).map(|(_, v)| *v);
        let cur = match self.counters.get(&k).copied().or(staged) {
            Some(v) => v,
            None => match self.store.t[Tree::Counters].get(&k)? {
                Some(v) => decode::<u64>("counter", &v)?,
                None => 0,
            },
        };
        // after a restore, tickets of the day continue well above what the lost copy may have
        // given out (it synced them upward): 1,000 higher per epoch
        let cur = if name.starts_with("ticket:") { cur.max(self.ticket_floor()) } else { cur };
        self.counters.insert(k, cur + 1);
        Ok(cur + 1)
    }

    fn ticket_floor(&self) -> u64 {
        let node = &self.store.node;
        let epochs = self.heads.get(node).or_else(|| self.w.heads.get(node)).map(|h| h.segments.len()).unwrap_or(0);
        epochs as u64 * 1000
    }

    /// Appends a local event to this node's log: assigns seq, HLC and the chain hash.
    pub fn append(&mut self, case: &Ticket, actor: Actor, sop_version: &str, kind: EventKind) -> &Event {
        self.append_checked(case, actor, sop_version, kind, Vec::new())
    }

    /// `append`, with the SOP checklist items the actor ticked (`Event::checked`).
    pub fn append_checked(
        &mut self,
        case: &Ticket,
        actor: Actor,
        sop_version: &str,
        kind: EventKind,
        checked: Vec<String>,
    ) -> &Event {
        // Latihan: every event of a drill case carries its drill id, from the case's first event
        let drill = if case.is_drill() { self.case(case).ok().flatten().and_then(|c| c.drill) } else { None };
        self.append_in(case, actor, sop_version, kind, checked, drill)
    }

    /// The `reported` event of a drill case (Latihan): it names the drill, which every later
    /// event of the case then carries.
    pub fn append_drill_report(
        &mut self,
        case: &Ticket,
        actor: Actor,
        sop_version: &str,
        kind: EventKind,
        drill: &str,
    ) -> &Event {
        self.append_in(case, actor, sop_version, kind, Vec::new(), Some(drill.to_owned()))
    }

    fn append_in(
        &mut self,
        case: &Ticket,
        actor: Actor,
        sop_version: &str,
        kind: EventKind,
        checked: Vec<String>,
        drill: Option<String>,
    ) -> &Event {
        let node = self.store.node.clone();
        let (seq, prev_hash) = {
            let head = self.head_mut(&node);
            let mut prev_hash = [0u8; 32];
            let _ = hex::decode_to_slice(&head.hash, &mut prev_hash);
            (head.next_seq(), prev_hash)
        };
        let ev = Event {
            id: EventId { origin: node.clone(), seq },
            hlc: self.w.clock.tick(self.now),
            case: case.clone(),
            actor,
            sop_version: sop_version.to_owned(),
            prev_hash,
            kind,
            checked,
            drill,
        };
        // the JSON is hashed and packed, then not needed: one buffer per thread holds it
        let (hash, stored) = EVENT_JSON.with_borrow_mut(|json| {
            encode_into(&ev, json);
            (hash_bytes(json), pack_event(json))
        });
        let head = self.head_mut(&node);
        head.seq = seq;
        head.hash.clear();
        head.hash.push_str(&sync::hex_of(&hash));
        let k = seq_key(&node, ev.id.seq);
        self.ops.push(Op::put(Tree::CaseEvents, key(&[case.as_str().as_bytes(), &k]), Vec::new()));
        self.ops.push(Op::put(Tree::Events, k, stored));
        self.events.push(ev);
        self.events.last().expect("pushed above")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Channel, Location, ReportedCase, Reporter};
    use crate::model::{Category, Phone, Priority};

    fn reported() -> EventKind {
        EventKind::Reported(Box::new(ReportedCase {
            category: Category::Crime,
            priority: Priority::Normal,
            description: "Pencurian motor di pasar".into(),
            reporter: Reporter { name: "Budi".into(), phone: Phone::parse("081234567890").unwrap() },
            location: Location { regency: "Kota Palembang".into(), address: "Pasar 16".into(), ..Default::default() },
            channel: Channel::Web,
            token_hash: "00".into(),
            suggested_unit: None,
            assessment: Default::default(),
            attachments: Vec::new(),
        }))
    }

    fn intake(store: &Store, now: Millis) -> (Ticket, Durable) {
        store
            .write(now, |tx| -> Result<Ticket, StoreError> {
                let n = tx.next_counter("ticket:261128")?;
                let t = Ticket::new(store.node(), "261128", n);
                let ev = tx.append(&t, Actor::Citizen, "v1", reported());
                let case = Case::open(ev).unwrap();
                tx.put_case(case)?;
                Ok(t)
            })
            .unwrap()
    }

    /// Staged writes are seen by the next writer before they are committed; after the commit
    /// readers see the final state, the indexes follow it and the chain verifies.
    #[tokio::test]
    async fn staged_writes_are_seen_by_later_writers_and_commit_together() {
        let dir = tempfile::tempdir().unwrap();
        let node = NodeCode::parse("PLG").unwrap();
        let store = Store::open(dir.path(), &node, 4 << 20).unwrap();
        let (a, _) = intake(&store, Millis(1_000));
        let (b, _) = intake(&store, Millis(1_001));
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("PLG-261128-0001", "PLG-261128-0002"),
            "the counter is read from the stage"
        );
        let (_, last) = store
            .write(Millis(1_002), |tx| -> Result<(), StoreError> {
                let mut c = tx.case(&a)?.expect("a staged case is visible to the next writer");
                let ev = tx.append(&a, Actor::Citizen, "v1", EventKind::Noted { text: "catatan".into(), public: true });
                c.apply(ev);
                tx.put_case(c)
            })
            .unwrap();
        store.durable(last).await.unwrap();
        let c = store.case(&a).unwrap().unwrap();
        assert_eq!((c.event_count, c.public_notes.len()), (2, 1));
        assert_eq!(store.case_events(&a).unwrap().len(), 2);
        assert_eq!(store.tickets_by_status(State::New), vec![a.clone(), b.clone()]);
        assert_eq!(store.tickets_by_phone("+6281234567890").len(), 2);
        let chains = store.verify_chains().unwrap();
        assert_eq!(chains.len(), 1);
        assert!(chains[0].ok && chains[0].events == 3, "{chains:?}");
        let (_, none) = store.write(Millis(1_003), |_| -> Result<(), StoreError> { Ok(()) }).unwrap();
        assert_eq!(none, Durable(0), "a write that stages nothing waits for nothing");
        store.close();
    }

    /// A received batch is made ready outside the lock: each event decoded, hashed over its
    /// bytes as written and packed as stored; another node that receives it holds the same
    /// bytes and case. One unreadable event refuses the whole batch, before anything is staged.
    #[tokio::test]
    async fn a_prepared_batch_is_received_as_sent_and_an_unreadable_one_is_refused_whole() {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let post = Store::open(da.path(), &NodeCode::parse("PLG").unwrap(), 4 << 20).unwrap();
        let hub = Store::open(db.path(), &NodeCode::parse("SUMSEL").unwrap(), 4 << 20).unwrap();
        let (t, d) = intake(&post, Millis(1_000));
        post.durable(d).await.unwrap();
        let origin = post.node().clone();
        let raw: Vec<Vec<u8>> = post.events_after(&origin, 0, 10).unwrap().into_iter().map(|(_, b)| b).collect();
        let ready = prepare(raw.clone()).unwrap();
        assert_eq!(ready.len(), raw.len());
        assert!(ready.iter().any(|e| e.event().case == t));
        let mut broken = raw.clone();
        broken.push(b"\x01{not an event".to_vec());
        assert!(matches!(prepare(broken), Err(SyncRefusal::Undecodable(..))));
        let take = |_: &Event, _: Option<&Case>| Take::Take;
        let (applied, d) =
            hub.write(Millis(2_000), |tx| -> Result<_, StoreError> { tx.receive(ready, true, &[], &take) }).unwrap();
        hub.durable(d).await.unwrap();
        assert_eq!(applied.unwrap().new, raw.len() as u64);
        let held: Vec<Vec<u8>> = hub.events_after(&origin, 0, 10).unwrap().into_iter().map(|(_, b)| b).collect();
        assert_eq!(held, raw, "held as written");
        assert_eq!(hub.case(&t).unwrap(), post.case(&t).unwrap());
        let chains = hub.verify_chains().unwrap();
        assert!(chains.iter().all(|c| c.ok) && chains.len() == 2, "the hub's log and PLG's: {chains:?}");
        post.close();
        hub.close();
    }

    /// A committed case is read back from the recent cases as its fold; an event added without
    /// a new projection takes it out, so the next writer folds the case from its events.
    #[tokio::test]
    async fn recent_cases_never_hide_an_event() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &NodeCode::parse("PLG").unwrap(), 4 << 20).unwrap();
        let (a, d) = intake(&store, Millis(1_000));
        store.durable(d).await.unwrap();
        let cached = store.writer.lock().unwrap().recent.get(&a).cloned();
        assert_eq!(cached, store.case(&a).unwrap(), "committed: cached as its fold");
        let (_, d) = store
            .write(Millis(1_001), |tx| -> Result<(), StoreError> {
                tx.append(&a, Actor::Citizen, "v1", EventKind::Noted { text: "catatan".into(), public: true });
                Ok(())
            })
            .unwrap();
        assert!(store.writer.lock().unwrap().recent.get(&a).is_none());
        store.durable(d).await.unwrap();
        let seen = store.read_staged(|tx| tx.case(&a)).unwrap().unwrap();
        assert_eq!((seen.event_count, seen.public_notes.len()), (2, 1), "the note is in the case");
        store.close();
    }
}
