//! The export's use cases (the PostgreSQL side is `src/export/`): what has not been exported
//! yet, as rows, read from the store without ever taking the writer's lock (only flushed
//! events, like sync), the pseudonym key, and the export's live status for `banpol export
//! status`, `/metrics` and the board's sync panel.
//!
//! **The pseudonym key** is 32 random bytes made at the first export and kept in the store
//! (`Kv::SyncState`, `export_pseudonym_key`, in the data dir, 0700): it is in every backup and
//! comes back with a restore, so pseudonyms stay the same across a restore or `export rebuild`.

use super::{now, App, ServiceError};
use crate::model::export::{case_rows, event_row, CaseRow, EventRow, Privacy, StepRow};
use crate::model::sync::Head;
use crate::model::{EventId, NodeCode, Ticket};
use crate::store::{decode_event, Kv};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

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

/// The pseudonym key, made (and made durable) at the first call.
pub async fn pseudonym_key(app: &App) -> Result<Vec<u8>, ServiceError> {
    if let Some(k) = app.store.kv_get::<String>(Kv::SyncState, KEY_NAME)? {
        if let Ok(k) = hex::decode(k) {
            return Ok(k);
        }
    }
    let (key, durable) = app.store.write(now(), |tx| {
        if let Some(k) = tx.kv_get::<String>(Kv::SyncState, KEY_NAME)? {
            return Ok::<_, ServiceError>(k);
        }
        let k = super::random_hex(32);
        tx.kv_put(Kv::SyncState, KEY_NAME, Some(&k));
        Ok(k)
    })?;
    app.store.durable(durable).await?;
    hex::decode(key).map_err(|e| ServiceError::Crashed(format!("the export key is not hex: {e}")))
}

/// How far the database holds each origin: the last seq exported (any epoch).
pub type Cursors = HashMap<String, u64>;

/// A batch to write: events in seq order per origin, the cases they touched, and where each
/// origin's cursor (per epoch) stands after it.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<EventRow>,
    pub cases: Vec<CaseRow>,
    pub steps: Vec<StepRow>,
    /// (origin, epoch) -> last seq of this batch
    pub cursors: Vec<(String, u64, u64)>,
    /// flushed events not yet exported, this batch included, and the time of the oldest
    pub lag_events: u64,
    pub oldest_ms: Option<u64>,
}

fn epoch_of(head: &Head, seq: u64) -> u64 {
    head.segments.iter().filter(|s| s.first <= seq).max_by_key(|s| s.first).map_or(0, |s| s.epoch)
}

/// Up to `limit` flushed events after `cursors`, as rows, with the rows of the cases they
/// touched. Blocking (file and sled reads): call it off the async threads.
pub fn next_batch(app: &App, cursors: &Cursors, limit: usize, privacy: &Privacy) -> Result<Batch, ServiceError> {
    let heads = app.store.flushed_heads();
    let mut origins: Vec<(&NodeCode, &Head)> = heads.iter().collect();
    origins.sort_by(|a, b| a.0.cmp(b.0));
    let mut b = Batch::default();
    let mut touched = BTreeSet::new();
    for (origin, head) in origins {
        let after = cursors.get(origin.as_str()).copied().unwrap_or(0);
        if head.seq <= after {
            continue;
        }
        // an estimate where the origin's seqs have gaps (a post holds only some of the hub's)
        b.lag_events += head.waiting_after(after);
        let room = limit.saturating_sub(b.events.len());
        if room == 0 {
            continue;
        }
        let evs = app.store.events_after(origin, after, room)?;
        for (i, (seq, bytes)) in evs.iter().enumerate() {
            let ev = decode_event(bytes)?;
            if ev.id != (EventId { origin: origin.clone(), seq: *seq }) {
                return Err(ServiceError::Crashed(format!("event {origin}:{seq} is stored as {}", ev.id)));
            }
            if i == 0 {
                let at = ev.hlc.millis().0;
                b.oldest_ms = Some(b.oldest_ms.map_or(at, |o| o.min(at)));
            }
            let epoch = epoch_of(head, *seq);
            match b.cursors.last_mut() {
                Some(c) if c.0 == origin.as_str() && c.1 == epoch => c.2 = *seq,
                _ => b.cursors.push((origin.to_string(), epoch, *seq)),
            }
            touched.insert(ev.case.clone());
            b.events.push(event_row(&ev, epoch, privacy));
        }
    }
    for t in touched {
        let (row, steps) = case_of(app, &t, privacy)?;
        if let Some(row) = row {
            b.cases.push(row);
            b.steps.extend(steps);
        }
    }
    Ok(b)
}

fn case_of(app: &App, t: &Ticket, privacy: &Privacy) -> Result<(Option<CaseRow>, Vec<StepRow>), ServiceError> {
    let Some(c) = app.store.case(t)? else {
        // events of a case whose report this node does not hold (sent down without it)
        return Ok((None, Vec::new()));
    };
    let sop = app.sops.get(&c.sop_version);
    let (row, steps) = case_rows(&c, sop.as_deref(), privacy);
    Ok((Some(row), steps))
}

/// Flushed events not yet after `cursors` (while the database cannot be written).
pub fn lag(app: &App, cursors: &Cursors) -> u64 {
    let heads = app.store.flushed_heads();
    heads.iter().map(|(o, h)| h.waiting_after(cursors.get(o.as_str()).copied().unwrap_or(0))).sum()
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
