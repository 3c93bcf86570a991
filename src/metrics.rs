//! Prometheus metrics, hand-written in the text exposition format (version 0.0.4).
//!
//! Every metric is declared once below, as a `Metric` (name, help, type, label names), and
//! listed in `ALL`; call sites pass the declaration and the label values in its order, never a
//! name or a help text. `Metrics` lives in `App` (no global registry). The HTTP layer records
//! every request (`observe_request`: count by route pattern, method and status class, plus a
//! latency histogram by route); the scheduler counts escalations; `update` sets its gauges
//! (`set`), e.g. `app.metrics.set(&UPDATE_ON_PROBATION, &[], 0.0)`. Gauges that are cheap to
//! compute from the store are computed at scrape time by `service::figures` and written with
//! `render_gauge`. This module imports nothing but std.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A metric's type, as its `# TYPE` line says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric, declared once: its name, help text, type and label names.
#[derive(Debug, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    /// label names, in the order call sites give the values
    pub labels: &'static [&'static str],
}

const fn metric(name: &'static str, kind: Kind, labels: &'static [&'static str], help: &'static str) -> Metric {
    Metric { name, help, kind, labels }
}

use Kind::{Counter, Gauge, Histogram};

pub const HTTP_REQUESTS: Metric = metric(
    "banpol_http_requests_total",
    Counter,
    &["route", "method", "status"],
    "HTTP requests by route pattern, method and status class",
);
pub const HTTP_DURATION: Metric =
    metric("banpol_http_request_duration_seconds", Histogram, &["route"], "HTTP request latency by route pattern");
pub const ESCALATIONS: Metric =
    metric("banpol_escalations_total", Counter, &[], "escalation rungs written by this node's scheduler since start");
pub const CASES_OPEN: Metric = metric("banpol_cases_open", Gauge, &["state"], "open cases by state");
pub const CASES_OVERDUE: Metric =
    metric("banpol_cases_overdue", Gauge, &[], "owned cases past their next escalation deadline");
pub const CASES_TOTAL: Metric = metric("banpol_cases_total", Gauge, &[], "cases in the store");
pub const OUTBOX_PENDING: Metric =
    metric("banpol_outbox_pending", Gauge, &[], "WhatsApp messages waiting in the outbox");
pub const OUTBOX_OLDEST_AGE: Metric =
    metric("banpol_outbox_oldest_age_seconds", Gauge, &[], "age of the oldest message waiting in the outbox (0: none)");
pub const SYNC_BACKLOG: Metric =
    metric("banpol_sync_backlog_events", Gauge, &[], "events not yet acknowledged by the peer");
pub const SYNC_LAG: Metric =
    metric("banpol_sync_lag_seconds", Gauge, &[], "age of the oldest event not yet acknowledged by the peer");
pub const UPDATE_INFO: Metric = metric(
    "banpol_update_info",
    Gauge,
    &["running", "packaged", "current", "previous"],
    "the running, packaged, installed and previous releases (value 1)",
);
pub const UPDATE_ON_PROBATION: Metric =
    metric("banpol_update_on_probation", Gauge, &[], "1 while the installed release has not passed probation");
pub const UPDATE_REJECTED: Metric =
    metric("banpol_update_rejected_releases", Gauge, &[], "releases rejected on this node");
pub const UPDATE_LAST_ROLLBACK: Metric =
    metric("banpol_update_last_rollback_timestamp_seconds", Gauge, &[], "when the last rollback happened (0: never)");

pub const STEP_WITHIN_SHARE: Metric = metric(
    "banpol_step_within_deadline_ratio",
    Gauge,
    &["unit", "step"],
    "today's (WIB) reports: share of each SOP step done within its deadline, per unit (recap definitions)",
);

pub const EXPORT_UP: Metric =
    metric("banpol_export_up", Gauge, &[], "1 while the export to PostgreSQL works, 0 while it fails (absent: off)");
pub const EXPORT_LAG_EVENTS: Metric =
    metric("banpol_export_lag_events", Gauge, &[], "flushed events not yet exported to PostgreSQL");
pub const EXPORT_LAG_SECONDS: Metric =
    metric("banpol_export_lag_seconds", Gauge, &[], "age of the oldest event not yet exported to PostgreSQL");
pub const EXPORT_RATE: Metric =
    metric("banpol_export_rate_events_per_second", Gauge, &[], "events exported per second, lately");
pub const EXPORT_EXPORTED: Metric =
    metric("banpol_export_events", Gauge, &[], "events exported to PostgreSQL since the node started");
pub const EXPORT_LAST_ERROR: Metric = metric(
    "banpol_export_last_error_timestamp_seconds",
    Gauge,
    &[],
    "when the export last failed (see `banpol export status` for why)",
);

/// Every metric this node exposes.
pub const ALL: [&Metric; 21] = [
    &HTTP_REQUESTS,
    &HTTP_DURATION,
    &ESCALATIONS,
    &CASES_OPEN,
    &CASES_OVERDUE,
    &CASES_TOTAL,
    &OUTBOX_PENDING,
    &OUTBOX_OLDEST_AGE,
    &SYNC_BACKLOG,
    &SYNC_LAG,
    &UPDATE_INFO,
    &UPDATE_ON_PROBATION,
    &UPDATE_REJECTED,
    &UPDATE_LAST_ROLLBACK,
    &STEP_WITHIN_SHARE,
    &EXPORT_UP,
    &EXPORT_LAG_EVENTS,
    &EXPORT_LAG_SECONDS,
    &EXPORT_RATE,
    &EXPORT_EXPORTED,
    &EXPORT_LAST_ERROR,
];

/// Latency histogram bucket bounds, in seconds.
pub const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default, Clone)]
struct Latency {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// the series of one gauge: label values (in the declaration's order) -> value
type Series = BTreeMap<Vec<String>, f64>;

#[derive(Default)]
pub struct Metrics {
    /// (route, method, status class) -> count
    requests: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    /// route -> latency
    latency: Mutex<BTreeMap<String, Latency>>,
    /// gauges set so far, by name
    gauges: Mutex<BTreeMap<&'static str, (&'static Metric, Series)>>,
    escalations: AtomicU64,
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn header(out: &mut String, m: &Metric) {
    let _ = writeln!(out, "# HELP {} {}", m.name, m.help);
    let _ = writeln!(out, "# TYPE {} {}", m.name, m.kind.as_str());
}

impl Metrics {
    /// One finished request. `route` is the route pattern (`/api/v1/cases/{ticket}`), never the
    /// raw path, so the number of series stays bounded.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        {
            let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            *r.entry((route.to_owned(), method.to_owned(), status_class(status))).or_default() += 1;
        }
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = l.entry(route.to_owned()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Escalation rungs written by this node's scheduler since it started.
    pub fn add_escalations(&self, n: u64) {
        self.escalations.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets one series of a declared gauge; `labels` are its values, in the declaration's order.
    pub fn set(&self, m: &'static Metric, labels: &[&str], value: f64) {
        debug_assert!(m.kind == Kind::Gauge && labels.len() == m.labels.len(), "{}: bad use", m.name);
        let mut g = self.gauges.lock().unwrap_or_else(|e| e.into_inner());
        let key = labels.iter().map(|v| (*v).to_owned()).collect();
        g.entry(m.name).or_insert_with(|| (m, BTreeMap::new())).1.insert(key, value);
    }

    /// Removes every series of a gauge (e.g. a release that is gone).
    pub fn clear(&self, m: &Metric) {
        self.gauges.lock().unwrap_or_else(|e| e.into_inner()).remove(m.name);
    }

    /// The value of one gauge series, if set.
    pub fn get(&self, m: &Metric, labels: &[&str]) -> Option<f64> {
        let g = self.gauges.lock().unwrap_or_else(|e| e.into_inner());
        let key: Vec<String> = labels.iter().map(|v| (*v).to_owned()).collect();
        g.get(m.name).and_then(|(_, series)| series.get(&key).copied())
    }

    /// Everything recorded here, in the text format.
    pub fn render(&self, out: &mut String) {
        header(out, &HTTP_REQUESTS);
        for ((route, method, class), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "{}{} {n}", HTTP_REQUESTS.name, label_text(&HTTP_REQUESTS, &[route, method, class]));
        }
        header(out, &HTTP_DURATION);
        let name = HTTP_DURATION.name;
        for (route, h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let r = escape(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "{name}_bucket{{route=\"{r}\",le=\"{b}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(out, "{name}_bucket{{route=\"{r}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{name}_sum{{route=\"{r}\"}} {}", h.sum);
            let _ = writeln!(out, "{name}_count{{route=\"{r}\"}} {}", h.count);
        }
        header(out, &ESCALATIONS);
        let _ = writeln!(out, "{} {}", ESCALATIONS.name, self.escalations.load(Ordering::Relaxed) as f64);
        for (m, series) in self.gauges.lock().unwrap_or_else(|e| e.into_inner()).values() {
            header(out, m);
            for (labels, v) in series {
                let values: Vec<&str> = labels.iter().map(String::as_str).collect();
                let _ = writeln!(out, "{}{} {v}", m.name, label_text(m, &values));
            }
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_text(m: &Metric, values: &[&str]) -> String {
    let parts: Vec<String> = m.labels.iter().zip(values).map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// One gauge with its HELP and TYPE lines and one series per label-value set (in `m.labels`
/// order): for figures computed at scrape time.
pub fn render_gauge(out: &mut String, m: &Metric, series: &[(&[&str], f64)]) {
    debug_assert!(m.kind == Kind::Gauge, "{} is not a gauge", m.name);
    header(out, m);
    for (labels, v) in series {
        let _ = writeln!(out, "{}{} {v}", m.name, label_text(m, labels));
    }
}

/// Who may read `/metrics`: a list of networks, or anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Any,
    Nets(Vec<(IpAddr, u8)>),
}

impl Default for AllowList {
    /// Loopback only: 127.0.0.0/8 and ::1.
    fn default() -> Self {
        AllowList::Nets(vec![(IpAddr::from([127, 0, 0, 0]), 8), (IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), 128)])
    }
}

impl AllowList {
    /// `"any"`, or CIDRs / addresses (`10.0.0.0/8`, `::1`).
    pub fn parse(items: &[String]) -> Result<AllowList, String> {
        if items.iter().any(|s| s.trim() == "any") {
            return Ok(AllowList::Any);
        }
        let mut nets = Vec::new();
        for s in items {
            let s = s.trim();
            let (addr, len) = match s.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (s, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an address or CIDR like 10.0.0.0/8"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(|| format!("{s:?}: bad prefix"))?,
                None => max,
            };
            nets.push((ip, len));
        }
        Ok(AllowList::Nets(nets))
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match self {
            AllowList::Any => true,
            AllowList::Nets(nets) => nets.iter().any(|(net, len)| in_net(ip, *net, *len)),
        }
    }
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let d = AllowList::default();
        for (addr, ok) in [("127.0.0.1", true), ("127.9.9.9", true), ("::1", true), ("10.0.0.1", false), ("::2", false)]
        {
            assert_eq!(d.allows(ip(addr)), ok, "{addr}");
        }
        assert!(d.allows(ip("::ffff:127.0.0.1")), "v4-mapped loopback");
        let l = AllowList::parse(&["10.20.0.0/16".into(), "192.168.1.5".into()]).unwrap();
        assert!(l.allows(ip("10.20.3.4")) && !l.allows(ip("10.21.0.1")));
        assert!(l.allows(ip("192.168.1.5")) && !l.allows(ip("192.168.1.6")));
        assert_eq!(AllowList::parse(&["any".into()]).unwrap(), AllowList::Any);
        assert!(AllowList::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(AllowList::parse(&["nowhere".into()]).is_err());
    }

    #[test]
    fn text_format() {
        let m = Metrics::default();
        m.observe_request("/api/v1/cases/{ticket}", "GET", 200, 0.003);
        m.observe_request("/api/v1/cases/{ticket}", "GET", 404, 0.02);
        m.set(&UPDATE_INFO, &["1.2.0", "1.1.0", "1.2.0", ""], 1.0);
        m.set(&SYNC_BACKLOG, &[], 7.0);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out
            .contains("banpol_http_requests_total{route=\"/api/v1/cases/{ticket}\",method=\"GET\",status=\"2xx\"} 1"));
        assert!(out
            .contains("banpol_http_request_duration_seconds_bucket{route=\"/api/v1/cases/{ticket}\",le=\"0.005\"} 1"));
        assert!(
            out.contains("banpol_http_request_duration_seconds_bucket{route=\"/api/v1/cases/{ticket}\",le=\"+Inf\"} 2")
        );
        assert!(
            out.contains("banpol_update_info{running=\"1.2.0\",packaged=\"1.1.0\",current=\"1.2.0\",previous=\"\"} 1")
        );
        assert!(out.contains("# HELP banpol_sync_backlog_events events not yet acknowledged by the peer\n"));
        assert!(out.contains("banpol_sync_backlog_events 7\n"));
        assert_eq!(m.get(&SYNC_BACKLOG, &[]), Some(7.0));
        m.clear(&SYNC_BACKLOG);
        assert_eq!(m.get(&SYNC_BACKLOG, &[]), None);
    }

    /// The declarations are one table: unique names, our prefix, counters named `_total`, and
    /// every declared metric listed in `ALL`.
    #[test]
    fn declarations() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "a metric is listed twice");
        for m in ALL {
            assert!(m.name.starts_with("banpol_") && !m.help.is_empty(), "{}", m.name);
            // (`banpol_cases_total`, a gauge, predates the rule the other way round)
            assert!(m.kind != Kind::Counter || m.name.ends_with("_total"), "{}", m.name);
            assert!(m.labels.iter().all(|l| l.chars().all(|c| c.is_ascii_lowercase() || c == '_')), "{}", m.name);
        }
        let src = include_str!("metrics.rs");
        let declared = src.matches(&[": Metric", " ="].concat()).count();
        assert_eq!(declared, ALL.len(), "every `Metric` declared here is listed in `ALL`");
    }
}
