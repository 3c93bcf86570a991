//! Group commit: writers stage their ops, take a ticket and wait; one thread takes everything
//! staged, appends it to the journal as one record (fdatasync), applies it to sled, and releases
//! every ticket covered. While one round is written, the next gathers, so one fsync serves many
//! requests. A second thread checkpoints: it flushes sled and removes the journal segments whose
//! records sled now holds (see `journal`).

use super::journal::Journal;
use super::{apply_ops, last_ops, CaseIndex, Head, Tree, Trees, Writer};
use crate::model::NodeCode;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// A write that is applied but maybe not yet on disk; `Store::durable` waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[must_use = "wait for the write to be durable before acknowledging it"]
pub struct Durable(pub(crate) u64);

#[derive(Debug, Clone, Default)]
pub(crate) struct Flushed {
    pub upto: u64,
    pub error: Option<String>,
}

pub(crate) struct GroupCommit {
    written: AtomicU64,
    wake: Mutex<()>,
    cond: Condvar,
    /// the commit thread waits on `cond` (set under `wake`): only then do writers notify it (a
    /// notify is a system call, and a busy commit thread picks new writes up on its own)
    idle: AtomicBool,
    stop: AtomicBool,
    flushed: watch::Sender<Flushed>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// each origin's head as of the last flush: sync sends only what is on disk
    flushed_heads: Mutex<HashMap<NodeCode, Head>>,
    /// a write went to sled directly (accounts, meta): the next round flushes sled
    direct: AtomicBool,
    /// the journal segment being written; older ones are applied and wait for a checkpoint
    segment: AtomicU64,
    checkpointer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// wakes the checkpointer early (at stop); its own, so `written` never wakes it instead
    ckpt_wake: Mutex<()>,
    ckpt_cond: Condvar,
}

impl GroupCommit {
    pub fn start(
        db: sled::Db,
        trees: Trees,
        writer: Arc<Mutex<Writer>>,
        index: CaseIndex,
        journal: Journal,
    ) -> Arc<GroupCommit> {
        let heads = writer.lock().unwrap_or_else(|e| e.into_inner()).heads.clone();
        let (tx, _) = watch::channel(Flushed::default());
        let gc = Arc::new(GroupCommit {
            written: AtomicU64::new(0),
            wake: Mutex::new(()),
            cond: Condvar::new(),
            idle: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            flushed: tx,
            thread: Mutex::new(None),
            flushed_heads: Mutex::new(heads),
            direct: AtomicBool::new(false),
            segment: AtomicU64::new(journal.segment()),
            checkpointer: Mutex::new(None),
            ckpt_wake: Mutex::new(()),
            ckpt_cond: Condvar::new(),
        });
        let (me, dir, db2, trees2) = (gc.clone(), journal.dir().to_path_buf(), db.clone(), trees.clone());
        let handle = std::thread::Builder::new()
            .name("banpol-flush".into())
            .spawn(move || me.run(db, trees, writer, index, journal))
            .expect("spawn the flush thread");
        *gc.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        let me = gc.clone();
        let handle = std::thread::Builder::new()
            .name("banpol-checkpoint".into())
            .spawn(move || me.checkpoints(db2, trees2, dir))
            .expect("spawn the checkpoint thread");
        *gc.checkpointer.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        gc
    }

    /// Like `written`, for a write made to sled directly (outside the journal): the round that
    /// covers it flushes sled.
    pub fn written_direct(&self) -> Durable {
        self.direct.store(true, Ordering::SeqCst);
        self.written()
    }

    /// Every `CHECKPOINT_EVERY` (and at stop): once the commit thread has moved to a new
    /// segment, every record of the older ones is applied; syncing the event log and then
    /// flushing sled makes them redundant.
    fn checkpoints(&self, db: sled::Db, trees: Trees, dir: std::path::PathBuf) {
        let mut removed_below = 0;
        loop {
            let stopping = self.stop.load(Ordering::SeqCst);
            let current = self.segment.load(Ordering::SeqCst);
            if current > removed_below {
                let done = trees
                    .sync_event_log()
                    .and_then(|_| db.flush().map_err(super::StoreError::from))
                    .and_then(|_| Journal::remove_before(&dir, current));
                match done {
                    Ok(_) => removed_below = current,
                    Err(e) => tracing::error!(error = %e, "journal checkpoint failed; retrying"),
                }
            }
            if stopping {
                return;
            }
            let g = self.ckpt_wake.lock().unwrap_or_else(|e| e.into_inner());
            if !self.stop.load(Ordering::SeqCst) {
                let _ = self.ckpt_cond.wait_timeout(g, Self::CHECKPOINT_EVERY);
            }
        }
    }

    const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

    /// Records a write (staged, or applied directly to sled); the ticket is durable once the next
    /// round has committed and flushed.
    pub fn written(&self) -> Durable {
        let t = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        // `idle` is set before the commit thread's last look at `written` (both SeqCst): either
        // it sees this write, or this sees it idle and wakes it
        if self.idle.load(Ordering::SeqCst) {
            let _g = self.wake.lock().unwrap_or_else(|e| e.into_inner());
            self.cond.notify_one();
        }
        Durable(t)
    }

    pub fn flushed_heads(&self) -> HashMap<NodeCode, Head> {
        self.flushed_heads.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn wait_blocking(&self, d: Durable) -> Result<(), String> {
        loop {
            let f = self.flushed.borrow().clone();
            if f.upto >= d.0 {
                return Ok(());
            }
            if let Some(e) = f.error {
                return Err(e);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub async fn wait(&self, d: Durable) -> Result<(), String> {
        if d.0 == 0 {
            return Ok(());
        }
        let mut rx = self.flushed.subscribe();
        let state =
            rx.wait_for(|f| f.upto >= d.0 || f.error.is_some()).await.map_err(|_| "the store is closing".to_owned())?;
        if state.upto >= d.0 {
            Ok(())
        } else {
            Err(state.error.clone().unwrap_or_default())
        }
    }

    /// Commits and flushes what is staged, then ends the commit thread.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        {
            let _g = self.wake.lock().unwrap_or_else(|e| e.into_inner());
            self.cond.notify_one();
        }
        if let Some(h) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
        {
            let _g = self.ckpt_wake.lock().unwrap_or_else(|e| e.into_inner());
            self.ckpt_cond.notify_all();
        }
        if let Some(h) = self.checkpointer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
    }

    /// When the last flush covered several writes, writers are arriving concurrently: wait this
    /// long before the next flush so it covers more of them, unless half as many as the last
    /// flush covered are waiting already. A lone writer never waits.
    const WINDOW: Duration = Duration::from_micros(500);

    fn run(&self, db: sled::Db, trees: Trees, writer: Arc<Mutex<Writer>>, index: CaseIndex, mut journal: Journal) {
        let mut done = 0u64;
        let mut last_batch = 0u64;
        loop {
            {
                let mut g = self.wake.lock().unwrap_or_else(|e| e.into_inner());
                self.idle.store(true, Ordering::SeqCst);
                while self.written.load(Ordering::SeqCst) == done && !self.stop.load(Ordering::SeqCst) {
                    g = self.cond.wait_timeout(g, Duration::from_millis(200)).unwrap_or_else(|e| e.into_inner()).0;
                }
                self.idle.store(false, Ordering::SeqCst);
            }
            // gather more writes into the next round only when few are waiting yet: under load
            // the last round's time has gathered them, and a sleep would only slow every writer
            let waiting = self.written.load(Ordering::SeqCst) - done;
            if last_batch > 1 && waiting * 2 < last_batch && !self.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Self::WINDOW);
            }
            let (ops, target, heads) = {
                let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
                (std::mem::take(&mut w.pending), self.written.load(Ordering::SeqCst), w.heads.clone())
            };
            if target == done {
                // stopping, nothing pending: sled holds everything, the journal is redundant
                self.close_journal(&db, &trees, &journal);
                return;
            }
            if !ops.is_empty() {
                let last = last_ops(&ops);
                // durable first: sled is never ahead of the journal
                self.retry("appending to the journal", || journal.append(&last));
                self.retry("applying journaled writes", || apply_ops(&trees, &last));
                // the in-memory summaries follow sled, before the staged copies go
                index.committed(last.iter().filter_map(|op| match &op.value {
                    Some(v) if op.tree == Tree::Summary => Some((op.key.as_slice(), v.as_slice())),
                    _ => None,
                }));
                let evicted = writer.lock().unwrap_or_else(|e| e.into_inner()).committed(target);
                drop(evicted);
            }
            if self.direct.swap(false, Ordering::SeqCst) {
                self.retry("flushing the store", || db.flush().map(drop).map_err(Into::into));
            }
            *self.flushed_heads.lock().unwrap_or_else(|e| e.into_inner()) = heads;
            last_batch = target - done;
            done = target;
            self.flushed.send_replace(Flushed { upto: done, error: None });
            match journal.rotate_if_due() {
                Ok(true) => self.segment.store(journal.segment(), Ordering::SeqCst),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "starting a new journal segment failed; the current one goes on"),
            }
        }
    }

    /// Runs `f` until it succeeds; meanwhile the waiting writers see the error (and wait on).
    fn retry(&self, what: &str, mut f: impl FnMut() -> Result<(), super::StoreError>) {
        while let Err(e) = f() {
            tracing::error!(error = %e, "{what} failed; writes wait and it is retried");
            self.flushed.send_modify(|f| f.error = Some(e.to_string()));
            std::thread::sleep(Duration::from_millis(100));
            self.flushed.send_modify(|f| f.error = None);
        }
    }

    /// At stop: sled is flushed, and then no journal segment is needed any more.
    fn close_journal(&self, db: &sled::Db, trees: &Trees, journal: &Journal) {
        if trees.sync_event_log().is_ok() && db.flush().is_ok() {
            if let Err(e) = Journal::remove_before(journal.dir(), journal.segment() + 1) {
                tracing::warn!(error = %e, "removing the journal at stop failed; it is replayed at the next start");
            }
        }
    }
}
