//! Admin and audit (issue 13, item 8) over the API: no one disables their own account and the
//! last active tik_admin stays; re-enabling is audited; the access log filters by user, action,
//! ticket and WIB dates and exports as formula-safe CSV; opening a case is one log entry.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn wib_today() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7)).date()
}

async fn log(aud: &Session, query: &str) -> Vec<Value> {
    let (s, v) = aud.get(&format!("/api/v1/access-log?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn no_one_disables_their_own_account_and_re_enabling_is_audited() {
    let mut node = TestNode::spawn();
    node.add_user("tik", "tik_admin", None);
    node.add_user("op", "operator", None);
    node.add_user("aud", "auditor", None);
    let tik = node.login("tik").await;
    let (s, v) = tik.post("/api/v1/users/tik/disable", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("self_disable")), "{v}");
    assert_eq!(node.try_login("tik", &node.passwords["tik"]).await.status(), StatusCode::OK, "still active");

    let (s, _) = tik.post("/api/v1/users/op/disable", &json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(node.try_login("op", &node.passwords["op"]).await.status(), StatusCode::UNAUTHORIZED);
    let (s, v) = tik.post("/api/v1/users/op/enable", &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["disabled"], false);
    assert_eq!(node.try_login("op", &node.passwords["op"]).await.status(), StatusCode::OK, "the same password");
    let (s, v) = tik.post("/api/v1/users/op/enable", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("already_enabled")));

    let aud = node.login("aud").await;
    let mine = log(&aud, "actor=tik").await;
    let steps: Vec<(&str, &str)> =
        mine.iter().map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap())).collect();
    assert!(steps.contains(&("user_disable", "op")) && steps.contains(&("user_enable", "op")), "{steps:?}");
    assert!(!steps.iter().any(|(a, t)| *a == "user_disable" && *t == "tik"), "a refusal changes nothing: {steps:?}");
}

#[tokio::test]
async fn the_access_log_filters_by_user_action_ticket_and_wib_dates() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("aud", "auditor", None);
    let (ticket, _) = node.report(&node.client(), "crime", "Pencurian sepeda motor di depan pasar pagi ini").await;
    let (other, _) = node.report(&node.client(), "information", "Bagaimana cara membuat SKCK di Polrestabes?").await;
    let op = node.login("op").await;
    op.case(&ticket).await;
    op.case(&other).await;
    let aud = node.login("aud").await;

    let reads = log(&aud, "actor=op&action=read_case").await;
    let targets: Vec<&str> = reads.iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(targets, [other.as_str(), ticket.as_str()], "newest first");
    let one = log(&aud, &format!("ticket={}", ticket.to_lowercase())).await;
    assert!(!one.is_empty() && one.iter().all(|e| e["target"].as_str().unwrap().contains(&ticket)), "{one:?}");
    assert!(log(&aud, "actor=nobody").await.is_empty());

    let today = wib_today();
    let (prev, next) = (today.previous_day().unwrap(), today.next_day().unwrap());
    assert_eq!(
        log(&aud, &format!("actor=op&date_from={today}&date_to={today}")).await.len(),
        log(&aud, "actor=op").await.len()
    );
    assert!(log(&aud, &format!("date_from={next}")).await.is_empty(), "nothing from tomorrow");
    assert!(log(&aud, &format!("date_to={prev}")).await.is_empty(), "nothing up to yesterday");
    let (s, v) = aud.get("/api/v1/access-log?date_from=02-12-2026").await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_date"), Some("date_from"))
    );
    let (s, v) = op.get("/api/v1/access-log").await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")));
}

#[tokio::test]
async fn the_access_log_exports_as_quoted_formula_safe_csv_with_the_same_filters() {
    let mut node = TestNode::spawn();
    node.add_user("aud", "auditor", None);
    node.add_user("op", "operator", None);
    // a failed login is logged under the name typed: anything at all
    let typed = "=HYPERLINK(\"http://x.example\",\"a, b\")";
    assert_eq!(node.try_login(typed, "wrong-password-123").await.status(), StatusCode::UNAUTHORIZED);
    let aud = node.login("aud").await;
    let r = aud.client.get(aud.base.clone() + "/api/v1/access-log.csv?action=login_failed").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"access-log-"), "{disposition}");
    let body = r.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines[0], r#""at","actor","action","target","from""#);
    assert_eq!(lines.len(), 3, "the header, one entry, the end: {body}");
    assert!(
        lines[1].contains(r#","'=HYPERLINK(""http://x.example"",""a, b"")","login_failed","","#),
        "quoted, quotes doubled, formula defused: {}",
        lines[1]
    );
    assert!(lines[1].starts_with(&format!("\"{}T", wib_today())), "WIB time to the second: {}", lines[1]);

    // the export is itself logged, with what it selected
    let exports = log(&aud, "action=export_access_log").await;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0]["target"], "action=login_failed");
    let op = node.login("op").await;
    let r = op.client.get(op.base.clone() + "/api/v1/access-log.csv").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn opening_a_case_writes_one_access_log_entry_however_often_the_console_redraws_it() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("aud", "auditor", None);
    let (ticket, _) = node.report(&node.client(), "crime", "Pencurian sepeda motor di depan pasar pagi ini").await;
    let op = node.login("op").await;
    // the console reads the case when it is opened, and again after an action and on live changes
    op.case(&ticket).await;
    let (s, v) = op.act(&ticket, json!({"action": "verify", "method": "callback_confirmed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    op.case(&ticket).await;
    op.case(&ticket).await;
    let aud = node.login("aud").await;
    let reads = log(&aud, &format!("actor=op&action=read_case&ticket={ticket}")).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    // another person opening it is their own entry
    aud.case(&ticket).await;
    assert_eq!(log(&aud, &format!("action=read_case&ticket={ticket}")).await.len(), 2);
}
