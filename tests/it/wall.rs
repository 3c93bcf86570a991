//! The wall board's alarms and its cases without coordinates, on a node whose SOP gives an
//! information report 2 s for verification: the case goes overdue, then up the ladder, and stands
//! out on the board until someone handles it.
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A node with the reference SOP, but 2 s to verify an information report; `demo` for logins.
pub fn fast_verify_node(demo: bool) -> (TestNode, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let reference = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sop-reference.toml")).unwrap();
    let fast = reference.replace("version = \"draft-2026-12\"", "version = \"test-wall\"").replacen(
        "verify       = { normal = \"1h\" }",
        "verify       = { normal = \"2s\" }",
        1,
    );
    assert_ne!(fast, reference);
    let sop = dir.path().join("sop.toml");
    std::fs::write(&sop, fast).unwrap();
    let cfg = dir.path().join("banpol.toml");
    std::fs::write(&cfg, format!("sop_file = {:?}\nscheduler_tick_ms = 100\n", sop.display().to_string())).unwrap();
    let node = TestNode::spawn_with(Options {
        demo,
        args: vec!["--config".into(), cfg.display().to_string()],
        ..Default::default()
    });
    (node, dir)
}

fn find<'a>(list: &'a Value, ticket: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|c| c["ticket"] == ticket)
}

#[tokio::test]
async fn overdue_and_escalated_cases_stand_out_until_handled_and_cases_without_gps_sit_at_their_seat() {
    let (mut node, _dir) = fast_verify_node(false);
    node.add_user("op", "operator", None);
    let client = node.client();
    let mut info = report_body("information", "Bagaimana cara mengurus surat kehilangan KTP di Lahat?");
    info["location"] = json!({"regency": "Kabupaten Lahat", "address": "Jl. Mayor Ruslan"});
    let r = client.post(node.url("/api/v1/reports")).json(&info).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let ticket = r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned();
    let (located, _) = node.report(&client, "crime", "Pencurian helm di parkiran kantor, pelaku terekam kamera").await;
    let op = node.login("op").await;

    let board = eventually(15, || async {
        let (_, b) = op.get("/api/v1/board").await;
        let escalated = find(&b["escalated"], &ticket).is_some_and(|c| c["alarm"] == true);
        (escalated && find(&b["overdue"], &ticket).is_some()).then_some(b)
    })
    .await;
    assert_eq!(find(&board["overdue"], &ticket).unwrap()["alarm"], true, "{board}");
    let lahat = find_regency(&board, "Kabupaten Lahat");
    assert_eq!(
        (lahat["open"].as_u64(), lahat["alarm"].as_u64(), lahat["seat"].as_str()),
        (Some(1), Some(1), Some("Lahat")),
        "{lahat}"
    );
    assert!(lahat["lat"].as_f64().is_some_and(|l| (-4.5..-3.0).contains(&l)), "the seat's coordinates: {lahat}");
    assert!(find(&board["points"], &ticket).is_none(), "no dot without coordinates");
    let dot = find(&board["points"], &located).expect("the case with coordinates is a dot");
    assert_eq!(dot["alarm"], false, "a case on time does not stand out: {dot}");

    // handled: verified, it is neither overdue nor escalated any more
    let (s, v) = op.act(&ticket, json!({"action": "verify", "method": "callback_confirmed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, after) = op.get("/api/v1/board").await;
    assert!(find(&after["overdue"], &ticket).is_none() && find(&after["escalated"], &ticket).is_none(), "{after}");
    let lahat = find_regency(&after, "Kabupaten Lahat");
    assert_eq!((lahat["open"].as_u64(), lahat["alarm"].as_u64()), (Some(1), Some(0)), "{lahat}");

    // dispatched to a unit: the unit is named, not coded
    let (s, v) = op.act(&ticket, json!({"action": "dispatch", "unit": "LHT"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, b) = op.get("/api/v1/board").await;
    let unit = b["units"].as_array().unwrap().iter().find(|u| u["unit"] == "LHT").unwrap();
    assert_eq!(unit["name"], "Polres Lahat", "{unit}");
}

fn find_regency<'a>(board: &'a Value, regency: &str) -> &'a Value {
    board["unlocated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["regency"] == regency)
        .unwrap_or_else(|| panic!("{regency} in {}", board["unlocated"]))
}
