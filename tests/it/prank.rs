//! Prank control end to end: scoring with reasons, the blocklist life cycle under Propam,
//! duplicate linking, the emergency exception, figures, and a flood from one address.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PRANKSTER: &str = "0899-1111-2222";
const PRANKSTER_E164: &str = "+6289911112222";

/// A node whose SOP blocks for 3 s (to see expiry) with generous phone limits.
fn node_with_short_blocks() -> (TestNode, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let reference = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sop-reference.toml")).unwrap();
    let sop = reference
        .replace("version = \"draft-2026-12\"", "version = \"test-short-blocks\"")
        .replace("block_after = 3", "block_after = 3\nblock_for = \"3s\"");
    let sop_path = dir.path().join("sop.toml");
    std::fs::write(&sop_path, sop).unwrap();
    let cfg = dir.path().join("banpol.toml");
    std::fs::write(
        &cfg,
        format!("sop_file = {:?}\nintake_limit_per_phone = \"50/1m\"\n", sop_path.display().to_string()),
    )
    .unwrap();
    let node = TestNode::spawn_with(Options {
        args: vec!["--config".into(), cfg.display().to_string()],
        ..Default::default()
    });
    (node, dir)
}

fn factors(case: &Value) -> Vec<String> {
    case["prank"]["reasons"].as_array().unwrap().iter().map(|r| r["factor"].as_str().unwrap().to_owned()).collect()
}

async fn file(node: &TestNode, phone: &str, category: &str, text: &str) -> String {
    let r =
        node.client().post(node.url("/api/v1/reports")).json(&report_from(phone, category, text)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned()
}

fn in_queue(q: &Value, ticket: &str) -> bool {
    q["items"].as_array().unwrap().iter().any(|c| c["ticket"] == ticket)
}

/// Three confirmed pranks block the number automatically; its new reports are scored, explain
/// themselves and go to their own lane (a crime report still reaches the main queue, marked);
/// only Propam lifts the block, with a reason; a new prank blocks again; a block expires.
#[tokio::test]
async fn the_blocklist_life_cycle() {
    let (mut node, _dir) = node_with_short_blocks();
    node.add_user("op", "operator", None);
    node.add_user("pa", "pa_siaga", None);
    node.add_user("provos", "propam", None);
    let op = node.login("op").await;
    let hoaxes = [
        "Ada bom di sekolah dasar, cepat datang!!!",
        "Perampokan bersenjata di bank pusat kota",
        "Pembunuhan di pasar, mayat di jalan raya",
    ];
    for (i, text) in hoaxes.iter().enumerate() {
        let t = file(&node, PRANKSTER, "crime", text).await;
        let (s, v) = op.act(&t, json!({"action": "reject", "reason": "prank", "note": "tidak dapat dihubungi"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let blocked = v["reporter_record"]["blocked_until"].is_string();
        assert_eq!(blocked, i == 2, "blocked exactly at the third prank (after {})", i + 1);
    }
    let (_, r) = op.get(&format!("/api/v1/reporters/{PRANKSTER_E164}")).await;
    assert_eq!(r["record"]["reports"], 3);
    assert_eq!(r["record"]["rejected"]["prank"], 3);
    assert_eq!(r["record"]["pranks_in_window"], 3);
    assert_eq!(r["blocks"][0]["by"], "sistem");
    let (_, list) = op.get("/api/v1/blocklist").await;
    assert_eq!(list[0]["phone"], PRANKSTER_E164);

    // a non-crime report from the blocked number: stored, scored, in its own lane
    let info = file(&node, PRANKSTER, "information", "Bagaimana cara membuat SKCK untuk melamar kerja?").await;
    let c = op.case(&info).await;
    assert_eq!(c["prank"]["blocked"], true);
    assert!(c["prank"]["marked"].as_bool().unwrap());
    let f = factors(&c);
    assert!(f.contains(&"blocked".to_owned()) && f.contains(&"confirmed_pranks".to_owned()), "{f:?}");
    assert!(c["prank"]["score"].as_u64().unwrap() >= 100, "3 pranks x 25 + blocked 30: {}", c["prank"]);
    assert!(c["prank"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["weight"].as_u64().unwrap() > 0 && !r["detail"].as_str().unwrap().is_empty()));
    let (_, main) = op.get("/api/v1/cases?per_page=200").await;
    let (_, lane) = op.get("/api/v1/cases?lane=blocked&per_page=200").await;
    assert!(
        !in_queue(&main, &info) && in_queue(&lane, &info),
        "non-crime reports of a blocked number have their own lane"
    );
    // a crime report from the blocked number still reaches the main queue, marked
    let crime = file(&node, PRANKSTER, "crime", "Tolong, rumah saya dimasuki maling sekarang juga").await;
    let (_, main) = op.get("/api/v1/cases?per_page=200").await;
    let item = main["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ticket"] == crime.as_str())
        .expect("crime in the main queue");
    assert_eq!((item["prank"]["blocked"].as_bool(), item["prank"]["marked"].as_bool()), (Some(true), Some(true)));

    // only Propam lifts, and only with a reason
    let pa = node.login("pa").await;
    let (s, _) = pa.post(&format!("/api/v1/reporters/{PRANKSTER_E164}/lift"), &json!({"reason": "salah blokir"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let provos = node.login("provos").await;
    let (s, v) = provos.post(&format!("/api/v1/reporters/{PRANKSTER_E164}/lift"), &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("reason_required")), "a lift needs a reason");
    let (s, v) = provos
        .post(
            &format!("/api/v1/reporters/{PRANKSTER_E164}/lift"),
            &json!({"reason": "nomor dipakai anak; orang tua sudah dibina"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["record"]["blocked_until"].is_null());
    assert_eq!(v["blocks"][0]["lifted_by"], "provos");
    let (_, list) = op.get("/api/v1/blocklist").await;
    assert_eq!(list, json!([]));

    // the next prank blocks again; the block expires by itself (block_for = 3 s here)
    let again = file(&node, PRANKSTER, "crime", "Ada kebakaran besar di gedung DPRD, cepat!!!").await;
    let (_, v) = op.act(&again, json!({"action": "reject", "reason": "prank"})).await;
    assert!(v["reporter_record"]["blocked_until"].is_string(), "blocked again: {}", v["reporter_record"]);
    eventually(10, || async {
        let (_, r) = op.get(&format!("/api/v1/reporters/{PRANKSTER_E164}")).await;
        r["record"]["blocked_until"].is_null().then_some(())
    })
    .await;
    let (_, r) = op.get(&format!("/api/v1/reporters/{PRANKSTER_E164}")).await;
    assert_eq!(r["blocks"].as_array().unwrap().len(), 2, "the history keeps both blocks");

    // every change is audited
    let aud_pw = node.add_user("itwasda", "auditor", None);
    let _ = aud_pw;
    let aud = node.login("itwasda").await;
    let (_, log) = aud.get("/api/v1/access-log?limit=200").await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"lift_block"), "{actions:?}");

    // figures: the prank rate per day and channel
    let (_, fig) = op.get("/api/v1/stats/prank?days=1").await;
    let web = fig["days"].as_array().unwrap().iter().find(|d| d["channel"] == "web").unwrap();
    assert_eq!(web["pranks"], 4);
    assert_eq!(web["reports"], 6);
    assert!((web["rate"].as_f64().unwrap() - 4.0 / 6.0).abs() < 1e-9);
}

/// A repeat of an open case is suggested; linking it keeps both reporters, and the duplicate's
/// reporter sees the original's status.
#[tokio::test]
async fn duplicates_are_suggested_and_linked() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let op = node.login("op").await;
    let first =
        file(&node, "0812-1000-0001", "crime", "Motor Honda Beat hitam dicuri di parkiran Pasar 16 Ilir tadi pagi")
            .await;
    let r = node
        .client()
        .post(node.url("/api/v1/reports"))
        .json(&report_from(
            "0813-2000-0002",
            "crime",
            "Sepeda motor Honda Beat warna hitam dicuri di parkiran Pasar 16 Ilir pagi ini",
        ))
        .send()
        .await
        .unwrap();
    let receipt: Value = r.json().await.unwrap();
    let (second, token) =
        (receipt["ticket"].as_str().unwrap().to_owned(), receipt["token"].as_str().unwrap().to_owned());
    let c = op.case(&second).await;
    assert!(factors(&c).contains(&"duplicate_similar_text".to_owned()), "{}", c["prank"]);
    assert_eq!(c["prank"]["duplicate_candidates"], json!([first.clone()]));

    let (s, v) = op.act(&second, json!({"action": "link_duplicate", "original": "PLG-991231-0001"})).await;
    assert_eq!((s.as_u16(), v["code"].as_str()), (422, Some("unknown_original")));
    let (s, v) =
        op.act(&second, json!({"action": "link_duplicate", "original": first, "note": "kejadian yang sama"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["duplicate_of"].as_str()), (Some("rejected"), Some(first.as_str())));
    let orig = op.case(&first).await;
    assert_eq!(orig["duplicates"], json!([second.clone()]));
    assert_eq!(orig["reporter_phone"], "+6281210000001", "the original keeps its reporter");
    assert_eq!(op.case(&second).await["reporter_phone"], "+6281320000002", "and the duplicate keeps its own");
    assert!(orig["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "duplicate_linked" && e["details"]["duplicate"] == second.as_str()));

    // the duplicate's reporter follows the original
    op.act(&first, json!({"action": "verify", "method": "callback_confirmed"})).await;
    let t: Value = node
        .client()
        .get(node.url(&format!("/api/v1/reports/{second}?token={token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "rejected");
    assert_eq!(t["duplicate_of"]["ticket"], first.as_str());
    assert_eq!(t["duplicate_of"]["status"], "verified");
    let (_, rec) = op.get("/api/v1/reporters/+6281320000002").await;
    assert_eq!(rec["record"]["duplicates_linked"], 1);

    // a third report linked to the duplicate is pointed at the original
    let third = file(&node, "0813-3000-0003", "crime", "Motor Beat hitam hilang di parkiran Pasar 16 Ilir").await;
    let (s, v) = op.act(&third, json!({"action": "link_duplicate", "original": second})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(v["message"].as_str().unwrap().contains(&first), "{v}");
}

/// An emergency crime may be dispatched before verification (flagged and counted); any other
/// report may not; verification methods are a closed list.
#[tokio::test]
async fn emergencies_may_be_dispatched_before_verification() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let op = node.login("op").await;
    let mut body =
        report_from("0812-5555-0001", "crime", "Penelepon 110: perampokan bersenjata sedang terjadi di minimarket");
    body["channel"] = json!("phone");
    body["priority"] = json!("emergency");
    let (_, v) = op.post("/api/v1/reports", &body).await;
    let emergency = v["ticket"].as_str().unwrap().to_owned();
    assert_eq!(
        op.case(&emergency).await["allowed_actions"],
        json!(["verify", "reject", "link_duplicate", "dispatch", "note"])
    );
    let (s, v) = op.act(&emergency, json!({"action": "dispatch", "unit": "PLG"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["dispatched_unverified"].as_bool(), v["verification"].as_str()),
        (Some("dispatched"), Some(true), None)
    );
    let (s, v) = op.act(&emergency, json!({"action": "verify", "method": "gut_feeling"})).await;
    assert_eq!((s.as_u16(), v["code"].as_str()), (422, Some("unknown_verify_method")));
    let (s, v) = op.act(&emergency, json!({"action": "verify", "method": "scene_confirmed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["verification"].as_str()), (Some("dispatched"), Some("scene_confirmed")));
    let (s, v) = op.act(&emergency, json!({"action": "verify", "method": "scene_confirmed"})).await;
    assert_eq!((s.as_u16(), v["code"].as_str()), (409, Some("already_verified")));

    let normal = file(&node, "0812-5555-0002", "crime", "Dompet saya hilang di angkot kemarin sore").await;
    let (s, v) = op.act(&normal, json!({"action": "dispatch", "unit": "PLG"})).await;
    assert_eq!((s.as_u16(), v["code"].as_str()), (409, Some("invalid_transition")), "{v}");
    let (_, fig) = op.get("/api/v1/stats/prank").await;
    assert_eq!(fig["emergency_dispatched_unverified"], 1);
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * 0.99).round() as usize]
}

/// 10,000 intake requests from one address while a second client files its reports: the flood
/// is turned away with 429 and Retry-After; the second client is not slowed. Prints both p99s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_does_not_slow_anyone_else() {
    let node = TestNode::spawn();
    let flood_client = node.client();
    let url = node.url("/api/v1/reports");
    let pem = std::fs::read(node.data_dir().join("tls-cert.pem")).unwrap();
    let calm = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let calm_report =
        |i: u32| report_from(&format!("0813{i:08}"), "information", "Jam berapa layanan SKCK buka hari Sabtu?");
    // the second client's latency with no flood, for comparison
    let mut quiet_lat = Vec::new();
    for i in 0..20 {
        let t = Instant::now();
        assert_eq!(calm.post(&url).json(&calm_report(1000 + i)).send().await.unwrap().status(), StatusCode::CREATED);
        quiet_lat.push(t.elapsed());
    }
    let start = Instant::now();
    let mut flooders = Vec::new();
    for w in 0..32u32 {
        let (c, url) = (flood_client.clone(), url.clone());
        flooders.push(tokio::spawn(async move {
            let (mut created, mut limited, mut other, mut lat) = (0u32, 0u32, 0u32, Vec::new());
            for i in 0..(10_000 / 32 + u32::from(w < 10_000 % 32)) {
                let t = Instant::now();
                let r = c
                    .post(&url)
                    .json(&report_from(
                        &format!("0812{w:02}{i:06}"),
                        "crime",
                        "Laporan banjir kiriman dari satu alamat",
                    ))
                    .send()
                    .await
                    .unwrap();
                lat.push(t.elapsed());
                match r.status() {
                    StatusCode::CREATED => created += 1,
                    StatusCode::TOO_MANY_REQUESTS => {
                        assert!(r.headers().get("retry-after").is_some());
                        limited += 1
                    }
                    _ => other += 1,
                }
            }
            (created, limited, other, lat)
        }));
    }
    // the second client, from another loopback address, files at a person's pace
    let pem = std::fs::read(node.data_dir().join("tls-cert.pem")).unwrap();
    let calm = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let mut calm_lat = Vec::new();
    for i in 0..40 {
        let t = Instant::now();
        let r = calm
            .post(&url)
            .json(&report_from(&format!("0813{i:08}"), "information", "Jam berapa layanan SKCK buka hari Sabtu?"))
            .send()
            .await
            .unwrap();
        calm_lat.push(t.elapsed());
        assert_eq!(r.status(), StatusCode::CREATED, "the second client is never turned away");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (mut created, mut limited, mut other, mut flood_lat) = (0, 0, 0, Vec::new());
    for f in flooders {
        let (c, l, o, lat) = f.await.unwrap();
        created += c;
        limited += l;
        other += o;
        flood_lat.extend(lat);
    }
    let took = start.elapsed();
    assert_eq!(created + limited + other, 10_000);
    assert_eq!(other, 0, "every flood request got 201 or 429");
    assert!(limited >= 9_900, "the flood is turned away: {created} created, {limited} limited");
    println!(
        "flood: 10,000 requests from 127.0.0.1 in {:.1} s: {created} accepted, {limited} refused with 429; flood p99 {:.1} ms; \
         second client (127.0.0.2, 40 reports during the flood): all accepted, p99 {:.1} ms (without a flood: p99 {:.1} ms)",
        took.as_secs_f64(),
        p99(flood_lat).as_secs_f64() * 1000.0,
        p99(calm_lat).as_secs_f64() * 1000.0,
        p99(quiet_lat).as_secs_f64() * 1000.0
    );
}
