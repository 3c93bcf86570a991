//! The Command Center board's figures: today's counts (WIB) move with each report, overdue
//! cases, units, points on the map; a role that reads no cases gets none.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn n(v: &Value, path: &[&str]) -> u64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_u64().unwrap_or(0)
}

#[tokio::test]
async fn the_board_counts_today_and_lists_what_needs_attention() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("plg1", "unit_officer", Some("PLG"));
    node.add_user("oki1", "unit_officer", Some("OKI"));
    node.add_user("it", "tik_admin", None);
    let op = node.login("op").await;
    let (s, before) = op.get("/api/v1/board").await;
    assert_eq!(s, StatusCode::OK, "{before}");
    assert_eq!(n(&before, &["reported_today"]), 0);

    let c = node.client();
    let (crime, _) = node.report(&c, "crime", "Pencurian sepeda motor di parkiran Pasar 16 Ilir tadi pagi").await;
    node.report(&c, "information", "Bagaimana cara membuat SKCK untuk melamar pekerjaan?").await;
    let (s, b) = op.get("/api/v1/board").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(n(&b, &["reported_today"]), 2);
    assert_eq!(n(&b, &["open"]), 2);
    assert_eq!(n(&b, &["today_by_category", "crime"]), 1);
    assert_eq!(n(&b, &["today_by_category", "information"]), 1);
    assert_eq!(n(&b, &["today_by_status", "new"]), 2);
    assert!(b["day_start"].as_str().unwrap().ends_with("T00:00:00+07:00"), "today starts at midnight WIB: {b}");
    let points: Vec<&str> = b["points"].as_array().unwrap().iter().map(|p| p["ticket"].as_str().unwrap()).collect();
    assert!(points.contains(&crime.as_str()), "cases with coordinates are on the map: {points:?}");
    assert!(b["points"][0].get("reporter_phone").is_none(), "no personal data on the board");

    op.act(&crime, json!({"action": "verify", "method": "callback_confirmed"})).await;
    let (s, v) = op.act(&crime, json!({"action": "dispatch", "unit": "PLG"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, b) = op.get("/api/v1/board").await;
    assert_eq!(n(&b, &["today_by_status", "dispatched"]), 1);
    let plg = b["units"].as_array().unwrap().iter().find(|u| u["unit"] == "PLG").expect("PLG has a share");
    assert_eq!(plg["cases"], 1);
    assert_eq!(plg["met"], 1);

    // a unit officer sees its unit's cases only
    let (_, b) = node.login("plg1").await.get("/api/v1/board").await;
    assert_eq!(n(&b, &["reported_today"]), 1);
    let (_, b) = node.login("oki1").await.get("/api/v1/board").await;
    assert_eq!(n(&b, &["reported_today"]), 0);
    // Bid TIK reads no case contents
    let (s, _) = node.login("it").await.get("/api/v1/board").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = node.client().get(node.url("/api/v1/board")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The auditor's full history: `status=all` lists rejected and closed cases with the open ones.
#[tokio::test]
async fn status_all_lists_every_case_for_the_full_history() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("itwasda", "auditor", None);
    let op = node.login("op").await;
    let c = node.client();
    let (gone, _) = node.report(&c, "information", "Pertanyaan yang sudah dijawab lewat telepon kemarin sore").await;
    node.report(&c, "information", "Bagaimana cara membuat SKCK untuk melamar pekerjaan?").await;
    let (s, v) = op.act(&gone, json!({"action": "reject", "reason": "out_of_scope"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let au = node.login("itwasda").await;
    let (_, open) = au.get("/api/v1/cases?lane=all").await;
    assert_eq!(open["total"], 1);
    let (s, all) = au.get("/api/v1/cases?lane=all&status=all").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(all["total"], 2);
    assert!(all["items"].as_array().unwrap().iter().any(|i| i["ticket"] == gone.as_str() && i["status"] == "rejected"));
}
