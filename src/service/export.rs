//! The export's use cases (the PostgreSQL side is `src/export/`): what has not been exported
//! yet, as rows, read from the store without ever taking the writer's lock (only flushed
//! events, like sync), the pseudonym key, and the export's live status for `banpol export
//! status`, `/metrics` and the board's sync panel.
//!
//! **The pseudonym key** is the Polda's: 32 random bytes in hex in the data dir
//! (`export-pseudonym.key`, 0600), made at the hub (the root of the tree) when first needed and
//! handed down to each post at enrollment and at every sync hello (mutual TLS), so a post and its
//! hub give a reporter the same pseudonym. A node keeps the key it holds: a post that had made its
//! own before it learnt the hub's keeps it (its database's pseudonyms stay stable) and logs that
//! they differ. The file is in every backup (`store::backup`) and comes back with a restore. A key
//! kept in the store by an earlier release (`Kv::SyncState`) is copied to the file at start.

use super::{now, App, ServiceError};
use crate::model::export::{case_rows, event_row, CaseRow, EventRow, Privacy, StepRow, KEY_FILE};
use crate::model::sync::Head;
use crate::model::{Case, Event, EventId, NodeCode, Ticket};
use crate::store::{decode_event, Kv};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Where an earlier release kept the key (`Kv::SyncState`): moved to `KEY_FILE` at start.
const KEY_NAME: &[u8] = b"export_pseudonym_key";

/// The export's state as the sink last reported it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Status {
    /// off (not configured), connecting, exporting, caught_up, retrying, stopped
    pub state: String,
    pub personal_data: bool,
    /// the database as `host:port/db` (no user, no password)
    pub target: String,
    /// events written since the node started
    pub exported: u64,
    /// events per second over the last batches
    pub rate: f64,
    /// flushed events not yet in the database, and the age of the oldest of them
    pub lag_events: u64,
    pub lag_seconds: f64,
    pub last_error: Option<String>,
    /// when the last error happened, and when the last batch was written (unix ms)
    pub last_error_at: Option<u64>,
    pub last_batch_at: Option<u64>,
    /// the schema version of the database
    pub schema_version: Option<u32>,
}

/// The export's shared state: its status and the rebuild request.
#[derive(Debug, Default)]
pub struct Export {
    status: Mutex<Status>,
    rebuild: AtomicBool,
}

impl Export {
    pub fn status(&self) -> Status {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the status (the sink does).
    pub fn update(&self, f: impl FnOnce(&mut Status)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Asks the sink to empty this node's rows and export everything again.
    pub fn ask_rebuild(&self) {
        self.rebuild.store(true, Ordering::SeqCst);
    }

    /// Whether a rebuild is asked (not taken).
    pub fn rebuild_asked(&self) -> bool {
        self.rebuild.load(Ordering::SeqCst)
    }

    /// Takes the rebuild request, if any.
    pub fn take_rebuild(&self) -> bool {
        self.rebuild.swap(false, Ordering::SeqCst)
    }
}

/// `banpol export rebuild`: asks the running export to start again from an empty schema
/// (audited).
pub fn ask_rebuild(app: &App) -> Result<(), ServiceError> {
    if app.export.status().state.is_empty() {
        return Err(ServiceError::ExportOff);
    }
    app.store.log_access(now(), "cli", "export_rebuild", app.node.as_str(), "admin-socket")?;
    app.export.ask_rebuild();
    Ok(())
}

fn key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

fn io(path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::Store(crate::store::StoreError::Io(format!("{}: {e}", path.display())))
}

/// The key in the data dir, if any.
fn read_key(dir: &Path) -> Result<Option<String>, ServiceError> {
    let path = key_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(t) => match hex::decode(t.trim()) {
            Ok(k) if k.len() >= 16 => Ok(Some(t.trim().to_owned())),
            _ => Err(ServiceError::Crashed(format!(
                "{} does not hold a hex key: restore it from a backup, or remove it (pseudonyms then change)",
                path.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path, e)),
    }
}

/// Writes `hex` as the key unless the data dir holds one already; returns the key in force.
fn write_key_once(dir: &Path, hex: &str) -> Result<String, ServiceError> {
    let path = key_path(dir);
    if let Some(k) = read_key(dir)? {
        return Ok(k);
    }
    let mut f = crate::fsx::NewFile::secret(&path).map_err(|e| io(&path, e))?;
    std::io::Write::write_all(&mut f, format!("{hex}\n").as_bytes()).map_err(|e| io(&path, e))?;
    match f.commit_new() {
        Ok(()) => Ok(hex.to_owned()),
        // written meanwhile (by another task or process): that one is the key
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key(dir)?.ok_or_else(|| ServiceError::Crashed(format!("{} vanished", path.display())))
        }
        Err(e) => Err(io(&path, e)),
    }
}

/// At start: a key an earlier release kept in the store moves to the data dir (the pseudonyms
/// it made stay the same).
pub fn adopt_stored_key(app: &App) -> Result<(), ServiceError> {
    if read_key(&app.data_dir)?.is_some() {
        return Ok(());
    }
    if let Some(k) = app.store.kv_get::<String>(Kv::SyncState, KEY_NAME)? {
        if hex::decode(&k).is_ok() {
            write_key_once(&app.data_dir, &k)?;
            tracing::info!(file = KEY_FILE, "the export's pseudonym key moved from the store to the data dir");
        }
    }
    Ok(())
}

/// The Polda's pseudonym key: the one this node holds; at the hub (the root) made on first use.
/// `None` at a post that has not learnt it from its parent yet.
pub fn pseudonym_key(app: &App) -> Result<Option<Vec<u8>>, ServiceError> {
    let k = match read_key(&app.data_dir)? {
        Some(k) => Some(k),
        None if app.is_root() => Some(write_key_once(&app.data_dir, &super::random_hex(32))?),
        None => None,
    };
    Ok(k.and_then(|k| hex::decode(k).ok()))
}

/// What a parent hands a child at enrollment and at every hello: the key, hex.
pub fn key_for_child(app: &App) -> Option<String> {
    match pseudonym_key(app) {
        Ok(k) => k.map(hex::encode),
        Err(e) => {
            tracing::warn!(error = %e, "the export's pseudonym key cannot be read: not handed to the child");
            None
        }
    }
}

/// A key handed down by the parent: taken if this node has none; a node that has its own keeps
/// it (what it exported stays stable) and says so.
pub fn take_parent_key(dir: &Path, hex: &str) -> Result<(), ServiceError> {
    if hex::decode(hex).map_or(true, |k| k.len() < 16) {
        return Ok(());
    }
    let held = write_key_once(dir, hex)?;
    if held != hex {
        tracing::warn!(
            file = KEY_FILE,
            "this node keeps its own pseudonym key, which differs from its parent's: the pseudonyms it exports \
             differ from the hub's (replace the file with the hub's and run `banpol export rebuild` to align them)"
        );
    }
    Ok(())
}

/// How far the database holds each origin: the last seq exported (any epoch).
pub type Cursors = HashMap<String, u64>;

/// A batch to write: events in seq order per origin, the cases they touched, and where each
/// origin's cursor (per epoch) stands after it.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<EventRow>,
    /// cases every event of which is in this batch: no earlier batch wrote a row of them
    pub new_cases: Vec<CaseRow>,
    /// the other cases touched: their rows are replaced
    pub cases: Vec<CaseRow>,
    /// the step rows of both
    pub steps: Vec<StepRow>,
    /// (origin, epoch) -> last seq of this batch
    pub cursors: Vec<(String, u64, u64)>,
}

fn epoch_of(head: &Head, seq: u64) -> u64 {
    head.segments.iter().filter(|s| s.first <= seq).max_by_key(|s| s.first).map_or(0, |s| s.epoch)
}

/// Up to `limit` flushed events after `cursors`, as rows, with the rows of the cases they
/// touched. A case all of whose events are in the batch is folded from them (and is new to the
/// database); another is folded from the store. With `replace_all`, every case counts as one
/// the database may hold. Blocking (file and sled reads): call it off the async threads.
pub fn next_batch(
    app: &App,
    cursors: &Cursors,
    limit: usize,
    privacy: &Privacy,
    replace_all: bool,
) -> Result<Batch, ServiceError> {
    let heads = app.store.flushed_heads();
    let mut origins: Vec<(&NodeCode, &Head)> = heads.iter().collect();
    origins.sort_by(|a, b| a.0.cmp(b.0));
    let mut b = Batch::default();
    // the batch's events of each touched case, in ticket order
    let mut touched: BTreeMap<Ticket, Vec<Event>> = BTreeMap::new();
    for (origin, head) in origins {
        let after = cursors.get(origin.as_str()).copied().unwrap_or(0);
        let room = limit.saturating_sub(b.events.len());
        if head.seq <= after || room == 0 {
            continue;
        }
        for (seq, bytes) in app.store.events_after(origin, after, room)? {
            let ev = decode_event(&bytes)?;
            if ev.id != (EventId { origin: origin.clone(), seq }) {
                return Err(ServiceError::Crashed(format!("event {origin}:{seq} is stored as {}", ev.id)));
            }
            let epoch = epoch_of(head, seq);
            match b.cursors.last_mut() {
                Some(c) if c.0 == origin.as_str() && c.1 == epoch => c.2 = seq,
                _ => b.cursors.push((origin.to_string(), epoch, seq)),
            }
            b.events.push(event_row(&ev, epoch, privacy));
            touched.entry(ev.case.clone()).or_default().push(ev);
        }
    }
    for (t, evs) in touched {
        let fresh = !replace_all && app.store.case_event_count(&t)? == evs.len();
        let case = if fresh { Case::fold(&evs) } else { app.store.case(&t)? };
        // `None`: events of a case whose report this node does not hold (sent down without it)
        let Some(c) = case else { continue };
        let sop = app.sops.get(&c.sop_version);
        let (row, steps) = case_rows(&c, sop.as_deref(), privacy);
        if fresh {
            b.new_cases.push(row);
        } else {
            b.cases.push(row);
        }
        b.steps.extend(steps);
    }
    Ok(b)
}

/// Flushed events not yet after `cursors`, and the age in seconds of the oldest of them.
pub fn lag(app: &App, cursors: &Cursors) -> (u64, f64) {
    let heads = app.store.flushed_heads();
    let now = now().0;
    let (mut events, mut oldest) = (0, 0f64);
    for (o, h) in &heads {
        let after = cursors.get(o.as_str()).copied().unwrap_or(0);
        let waiting = h.waiting_after(after);
        if waiting == 0 {
            continue;
        }
        events += waiting;
        let first = app.store.events_after(o, after, 1).ok().and_then(|v| v.into_iter().next());
        if let Some(ev) = first.and_then(|(_, bytes)| decode_event(&bytes).ok()) {
            oldest = oldest.max(now.saturating_sub(ev.hlc.millis().0) as f64 / 1000.0);
        }
    }
    (events, oldest)
}

/// `banpol export status`: the status as lines.
pub fn status_text(s: &Status) -> String {
    let ms = |m: Option<u64>| {
        m.map(|m| crate::model::Millis(m).rfc3339(crate::model::time::WIB)).unwrap_or_else(|| "-".into())
    };
    let mut lines = vec![
        format!("state          {}", if s.state.is_empty() { "off" } else { &s.state }),
        format!("database       {}", if s.target.is_empty() { "-" } else { &s.target }),
        format!(
            "personal data  {}",
            if s.personal_data { "EXPORTED (export_personal_data = true)" } else { "pseudonymised, left out" }
        ),
        format!("schema         {}", s.schema_version.map(|v| v.to_string()).unwrap_or_else(|| "-".into())),
        format!("exported       {} events since start, {:.0} events/s", s.exported, s.rate),
        format!("lag            {} events, {:.1} s", s.lag_events, s.lag_seconds),
        format!("last batch     {}", ms(s.last_batch_at)),
    ];
    lines.push(match &s.last_error {
        Some(e) => format!("last error     {} ({e})", ms(s.last_error_at)),
        None => "last error     -".into(),
    });
    lines.join("\n")
}
