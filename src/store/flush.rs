//! Group commit: writers stage their ops, take a ticket and wait; one thread takes everything
//! staged, applies it in one sled transaction, flushes, and releases every ticket covered. While
//! one batch is applied and fsynced, the next gathers, so a transaction and an fsync serve many
//! requests.

use super::{apply_ops, CaseIndex, Head, Tree, Trees, Writer};
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
    stop: AtomicBool,
    flushed: watch::Sender<Flushed>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// each origin's head as of the last flush: sync sends only what is on disk
    flushed_heads: Mutex<HashMap<NodeCode, Head>>,
}

impl GroupCommit {
    pub fn start(db: sled::Db, trees: Trees, writer: Arc<Mutex<Writer>>, index: CaseIndex) -> Arc<GroupCommit> {
        let heads = writer.lock().unwrap_or_else(|e| e.into_inner()).heads.clone();
        let (tx, _) = watch::channel(Flushed::default());
        let gc = Arc::new(GroupCommit {
            written: AtomicU64::new(0),
            wake: Mutex::new(()),
            cond: Condvar::new(),
            stop: AtomicBool::new(false),
            flushed: tx,
            thread: Mutex::new(None),
            flushed_heads: Mutex::new(heads),
        });
        let me = gc.clone();
        let handle = std::thread::Builder::new()
            .name("banpol-flush".into())
            .spawn(move || me.run(db, trees, writer, index))
            .expect("spawn the flush thread");
        *gc.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        gc
    }

    /// Records a write (staged, or applied directly to sled); the ticket is durable once the next
    /// round has committed and flushed.
    pub fn written(&self) -> Durable {
        let t = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        let _g = self.wake.lock().unwrap_or_else(|e| e.into_inner());
        self.cond.notify_one();
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
    }

    /// When the last flush covered several writes, writers are arriving concurrently: wait this
    /// long before the next flush so it covers more of them. A lone writer never waits.
    const WINDOW: Duration = Duration::from_micros(500);

    fn run(&self, db: sled::Db, trees: Trees, writer: Arc<Mutex<Writer>>, index: CaseIndex) {
        let mut done = 0u64;
        let mut last_batch = 0u64;
        loop {
            {
                let mut g = self.wake.lock().unwrap_or_else(|e| e.into_inner());
                while self.written.load(Ordering::SeqCst) == done && !self.stop.load(Ordering::SeqCst) {
                    g = self.cond.wait_timeout(g, Duration::from_millis(200)).unwrap_or_else(|e| e.into_inner()).0;
                }
            }
            if last_batch > 1 && !self.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Self::WINDOW);
            }
            let (ops, target, heads) = {
                let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
                (std::mem::take(&mut w.pending), self.written.load(Ordering::SeqCst), w.heads.clone())
            };
            if target == done {
                // stopping, nothing pending
                let _ = db.flush();
                return;
            }
            if !ops.is_empty() {
                while let Err(e) = apply_ops(&trees, &ops) {
                    tracing::error!(error = %e, "committing staged writes failed; retrying");
                    self.flushed.send_modify(|f| f.error = Some(e.to_string()));
                    std::thread::sleep(Duration::from_millis(100));
                    self.flushed.send_modify(|f| f.error = None);
                }
                // the in-memory summaries follow the transaction, before the staged copies go
                index.committed(ops.iter().filter_map(|op| match &op.value {
                    Some(v) if op.tree == Tree::Summary => Some((op.key.as_slice(), v.as_slice())),
                    _ => None,
                }));
                writer.lock().unwrap_or_else(|e| e.into_inner()).committed(target);
            }
            match db.flush() {
                Ok(_) => {
                    *self.flushed_heads.lock().unwrap_or_else(|e| e.into_inner()) = heads;
                    last_batch = target - done;
                    done = target;
                    self.flushed.send_replace(Flushed { upto: done, error: None });
                }
                Err(e) => {
                    tracing::error!(error = %e, "flushing the store failed; writes wait and are retried");
                    self.flushed.send_modify(|f| f.error = Some(e.to_string()));
                    std::thread::sleep(Duration::from_millis(100));
                    self.flushed.send_modify(|f| f.error = None);
                }
            }
        }
    }
}
