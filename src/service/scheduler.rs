//! The deadline scheduler: at the owner node, appends `escalated` events when SOP deadlines pass.
//! Escalations are events, so they sync, show in history and count in measurement like any other.
//! At each shift's end it takes the shift's handover snapshot (`recap::take_shift_snapshot`).

use super::{cases, App};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(app: Arc<App>, tick: Duration, mut shutdown: watch::Receiver<bool>) {
    const PURGE_EVERY_MS: u64 = 60_000;
    let mut last_purge = super::Millis(0);
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = super::now();
        let due = match app.store.tickets_due(now) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "reading the deadline index failed");
                continue;
            }
        };
        for t in due {
            match cases::escalate(&app, &t, now).await {
                Ok(0) => {}
                Ok(n) => {
                    app.metrics.add_escalations(n as u64);
                    tracing::info!(case = %t, rungs = n, "deadline passed: escalated")
                }
                Err(e) => {
                    tracing::error!(case = %t, error = %e, "escalation failed; retrying next tick")
                }
            }
        }
        // at a shift's end: its handover snapshot (once; a read when there is nothing to do)
        if let Err(e) = super::recap::take_shift_snapshot(&app, now).await {
            tracing::error!(error = %e, "taking the shift handover snapshot failed; retrying next tick");
        }
        // Latihan: the running drills' injects that came due
        super::drill::tick(&app, now).await;
        if now.0 >= last_purge.0 + PURGE_EVERY_MS {
            last_purge = now;
            if let Err(e) = app.store.purge_sessions(now) {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    }
}
