//! Prometheus metrics, hand-written in the text exposition format (version 0.0.4).
//!
//! `Metrics` lives in `App` (no global registry). The HTTP layer records every request
//! (`observe_request`: count by route pattern, method and status class, plus a latency histogram
//! by route); the scheduler counts escalations; other layers set gauges by name and labels
//! (`gauge_set`), e.g. the sync worker:
//! `app.metrics.gauge_set("banpol_sync_backlog_events", "events not yet acknowledged upstream", &[("peer", "SUMSEL")], 12.0)`.
//! Gauges that are cheap to compute from the store are computed at scrape time by
//! `service::figures` and written with `render_gauge`. This module imports nothing but std.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Latency histogram bucket bounds, in seconds.
pub const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

type Labels = Vec<(String, String)>;
/// help text and the series of one gauge
type Gauge = (String, BTreeMap<Labels, f64>);

#[derive(Default)]
pub struct Metrics {
    /// (route, method, status class) -> count
    requests: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    /// route -> latency
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// name -> (help, labels -> value)
    gauges: Mutex<BTreeMap<String, Gauge>>,
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

    /// Sets a gauge (created on first use). Labels are (name, value) pairs.
    pub fn gauge_set(&self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        let mut g = self.gauges.lock().unwrap_or_else(|e| e.into_inner());
        let entry = g.entry(name.to_owned()).or_insert_with(|| (help.to_owned(), BTreeMap::new()));
        let key = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        entry.1.insert(key, value);
    }

    /// Removes every series of a gauge (e.g. a peer that is gone).
    pub fn gauge_clear(&self, name: &str) {
        self.gauges.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
    }

    /// The value of one gauge series, if set.
    pub fn gauge_get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let g = self.gauges.lock().unwrap_or_else(|e| e.into_inner());
        let key: Labels = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        g.get(name).and_then(|(_, m)| m.get(&key).copied())
    }

    /// Everything recorded here, in the text format.
    pub fn render(&self, out: &mut String) {
        out.push_str("# HELP banpol_http_requests_total HTTP requests by route pattern, method and status class\n");
        out.push_str("# TYPE banpol_http_requests_total counter\n");
        for ((route, method, class), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "banpol_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{class}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str("# HELP banpol_http_request_duration_seconds HTTP request latency by route pattern\n");
        out.push_str("# TYPE banpol_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let r = escape(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "banpol_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ =
                writeln!(out, "banpol_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "banpol_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", h.sum);
            let _ = writeln!(out, "banpol_http_request_duration_seconds_count{{route=\"{r}\"}} {}", h.count);
        }
        render_counter(
            out,
            "banpol_escalations_total",
            "escalation rungs written by this node's scheduler since start",
            self.escalations.load(Ordering::Relaxed) as f64,
        );
        for (name, (help, series)) in self.gauges.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for (labels, v) in series {
                let _ = writeln!(out, "{name}{} {v}", label_text(labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            }
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_text<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let parts: Vec<String> = labels.map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// One gauge with its HELP and TYPE lines and one series per label set.
pub fn render_gauge(out: &mut String, name: &str, help: &str, series: &[(&[(&str, &str)], f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, v) in series {
        let _ = writeln!(out, "{name}{} {v}", label_text(labels.iter().copied()));
    }
}

pub fn render_counter(out: &mut String, name: &str, help: &str, v: f64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {v}");
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
        m.gauge_set("banpol_sync_backlog_events", "backlog", &[("peer", "SUMSEL")], 7.0);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out
            .contains("banpol_http_requests_total{route=\"/api/v1/cases/{ticket}\",method=\"GET\",status=\"2xx\"} 1"));
        assert!(out
            .contains("banpol_http_request_duration_seconds_bucket{route=\"/api/v1/cases/{ticket}\",le=\"0.005\"} 1"));
        assert!(
            out.contains("banpol_http_request_duration_seconds_bucket{route=\"/api/v1/cases/{ticket}\",le=\"+Inf\"} 2")
        );
        assert!(out.contains("banpol_sync_backlog_events{peer=\"SUMSEL\"} 7"));
        assert_eq!(m.gauge_get("banpol_sync_backlog_events", &[("peer", "SUMSEL")]), Some(7.0));
    }
}
