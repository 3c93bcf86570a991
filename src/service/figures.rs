//! Operational figures for `GET /metrics`, computed at scrape time from the case summaries in
//! memory and the deadline index (no case is read), plus what `App::metrics` recorded.

use super::{App, ServiceError};
use crate::metrics::{self, render_gauge, Metric, Metrics};
use crate::model::State;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// open cases by state
    pub open: Vec<(&'static str, usize)>,
    /// owned cases whose next escalation deadline has passed
    pub overdue: usize,
    pub cases_total: usize,
    /// today's step compliance per unit (`none`: not dispatched yet): unit, step, share within
    pub steps: Vec<(String, &'static str, f64)>,
}

pub fn figures(app: &App) -> Result<Figures, ServiceError> {
    let (by_state, cases_total) = app.store.summaries(|all| {
        let mut n = [0usize; State::ALL.len()];
        // Latihan: drill cases are never in the figures
        let real = all.all().iter().filter(|s| !s.ticket.is_drill());
        let mut total = 0;
        for s in real {
            n[usize::from(s.state.index())] += 1;
            total += 1;
        }
        (n, total)
    });
    let open = State::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| (s.as_str(), by_state[usize::from(s.index())]))
        .collect();
    let now = super::now();
    let from = super::recap::midnight_of(now);
    let q = crate::model::recap::Query {
        from,
        to: from.plus(86_400_000),
        now,
        group_by: vec![crate::model::recap::Dim::Unit],
        ..Default::default()
    };
    let recap = crate::model::recap::compute(&app.store.recap_facts(q.from, q.to)?, &q);
    let mut steps = Vec::new();
    for (key, f) in &recap.groups {
        let unit = key.first().filter(|u| !u.is_empty()).cloned().unwrap_or_else(|| "none".into());
        for s in &f.steps {
            if let (Some(step), Some(share)) = (s.step, s.share_within()) {
                steps.push((unit.clone(), step.as_str(), share));
            }
        }
    }
    let overdue = app.store.tickets_due(now)?.iter().filter(|t| !t.is_drill()).count();
    Ok(Figures { open, overdue, cases_total, steps })
}

/// Gauges the sync worker sets; shown as 0 until it does (no peer yet).
pub const SYNC_GAUGES: [&Metric; 2] = [&metrics::SYNC_BACKLOG, &metrics::SYNC_LAG];

/// Gauges the export to PostgreSQL sets.
pub const EXPORT_GAUGES: [&Metric; 6] = [
    &metrics::EXPORT_UP,
    &metrics::EXPORT_LAG_EVENTS,
    &metrics::EXPORT_LAG_SECONDS,
    &metrics::EXPORT_RATE,
    &metrics::EXPORT_EXPORTED,
    &metrics::EXPORT_LAST_ERROR,
];

/// The whole `/metrics` text: recorded metrics, case figures, the outbox, sync defaults.
pub fn render(metrics: &Metrics, f: &Figures, outbox_pending: usize, outbox_oldest_s: f64) -> String {
    let mut out = String::with_capacity(8192);
    metrics.render(&mut out);
    let series: Vec<[&str; 1]> = f.open.iter().map(|(s, _)| [*s]).collect();
    let values: Vec<(&[&str], f64)> =
        series.iter().zip(&f.open).map(|(labels, (_, n))| (&labels[..], *n as f64)).collect();
    render_gauge(&mut out, &metrics::CASES_OPEN, &values);
    render_gauge(&mut out, &metrics::CASES_OVERDUE, &[(&[], f.overdue as f64)]);
    render_gauge(&mut out, &metrics::CASES_TOTAL, &[(&[], f.cases_total as f64)]);
    let labels: Vec<[&str; 2]> = f.steps.iter().map(|(u, s, _)| [u.as_str(), *s]).collect();
    let values: Vec<(&[&str], f64)> = labels.iter().zip(&f.steps).map(|(l, (_, _, v))| (&l[..], *v)).collect();
    render_gauge(&mut out, &metrics::STEP_WITHIN_SHARE, &values);
    render_gauge(&mut out, &metrics::OUTBOX_PENDING, &[(&[], outbox_pending as f64)]);
    render_gauge(&mut out, &metrics::OUTBOX_OLDEST_AGE, &[(&[], outbox_oldest_s)]);
    for m in SYNC_GAUGES {
        if !out.contains(&format!("# TYPE {} gauge", m.name)) {
            render_gauge(&mut out, m, &[(&[], 0.0)]);
        }
    }
    // the export's gauges (`src/export/`): declared without a sample while it is off or has not
    // reported yet
    for m in EXPORT_GAUGES {
        if !out.contains(&format!("# TYPE {} gauge", m.name)) {
            render_gauge(&mut out, m, &[]);
        }
    }
    out
}
