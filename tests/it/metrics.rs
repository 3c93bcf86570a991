//! `GET /metrics`: Prometheus text by route pattern, case figures, sync defaults; refused with
//! a JSON error outside `metrics_allow`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn metrics_by_route_pattern_from_loopback_only() {
    let node = TestNode::spawn();
    let c = node.client();
    let (ticket, token) = node.report(&c, "crime", "Pencurian sepeda motor di parkiran pasar").await;
    let r = c.get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(node.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    for want in [
        "banpol_http_requests_total{route=\"/api/v1/reports\",method=\"POST\",status=\"2xx\"} 1",
        "banpol_http_requests_total{route=\"/api/v1/reports/{ticket}\",method=\"GET\",status=\"2xx\"} 1",
        "banpol_http_request_duration_seconds_count{route=\"/api/v1/reports/{ticket}\"} 1",
        "banpol_cases_open{state=\"new\"} 1",
        "banpol_cases_overdue 0",
        "banpol_outbox_pending 0",
        "banpol_sync_backlog_events 0",
        "banpol_update_on_probation 0",
        "# TYPE banpol_http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains(&ticket), "raw paths never become labels");
    every_metric_is_declared_once(&text);

    let closed = TestNode::spawn_with(Options {
        env: vec![("BANPOL_METRICS_ALLOW".into(), "10.0.0.0/8".into())],
        ..Default::default()
    });
    let r = closed.client().get(closed.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "forbidden", "{body}");
}

/// What `/metrics` exposes is the table in `banpol::metrics::ALL`: each declared metric once,
/// with its declared help and type, and nothing undeclared.
fn every_metric_is_declared_once(text: &str) {
    use banpol::metrics::ALL;
    let types: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
    for t in &types {
        let (name, kind) = t.split_once(' ').unwrap();
        let m = ALL.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("{name} is not declared in metrics::ALL"));
        assert_eq!(kind, m.kind.as_str(), "{name}");
        assert!(text.contains(&format!("# HELP {name} {}\n", m.help)), "{name}: not its declared help");
    }
    for m in ALL {
        let n = types.iter().filter(|t| t.split(' ').next() == Some(m.name)).count();
        assert_eq!(n, 1, "{} is exposed {n} times, not once", m.name);
    }
}
