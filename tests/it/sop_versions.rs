//! The SOP's life across the Polda on real processes (issue 14): a draft at the hub goes through
//! legal review (returned once, then approved) and ratification; two posts receive it, one of
//! them offline while it was ratified; it takes effect at `effective_from` for new cases while a
//! case opened before keeps its version and deadlines; forged SOPs pushed to a post are refused
//! with their own code and change nothing; roles that may not draft, review or ratify are refused.

use crate::support::*;
use ed25519_dalek::Signer;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const REFERENCE: &str = include_str!("../../data/sop-reference.toml");

fn node(code: &str, hub: bool) -> TestNode {
    let listen = if hub { format!("127.0.0.1:{}", free_port()) } else { "off".into() };
    TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), code.into(), "--sync-listen".into(), listen],
        env: Options::unlimited().env,
        ..Default::default()
    })
}

fn ratifier(hub: &mut TestNode, name: &str) {
    let pw = format!("pw-{name}-0123456789");
    let out = hub.cli(&["user", "add", name, "--role", "leader", "--ratifier", "--password-stdin"], Some(&pw));
    assert!(out.status.success(), "ratifier: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ratifier"));
    hub.passwords.insert(name.to_owned(), pw);
}

/// The reference with a new version string and a shorter crime verification deadline.
fn version_text(version: &str, crime_verify_normal: &str) -> String {
    let t = REFERENCE.replacen("version = \"draft-2026-12\"", &format!("version = \"{version}\""), 1).replacen(
        "verify       = { emergency = \"2m\",  high = \"5m\",  normal = \"15m\" }",
        &format!("verify       = {{ emergency = \"2m\",  high = \"5m\",  normal = \"{crime_verify_normal}\" }}"),
        1,
    );
    assert_ne!(t, REFERENCE);
    t
}

fn wib_in(secs: u64) -> (String, u64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + secs;
    let t = time::OffsetDateTime::from_unix_timestamp(now as i64)
        .unwrap()
        .to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap());
    (t.format(&time::format_description::well_known::Rfc3339).unwrap(), now)
}

async fn act(s: &Session, version: &str, body: Value) -> (StatusCode, Value) {
    s.post(&format!("/api/v1/sop/versions/{version}/actions"), &body).await
}

async fn in_force(s: &Session) -> String {
    let (st, v) = s.get("/api/v1/sop").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["version"].as_str().unwrap().to_owned()
}

async fn crime_case(node: &TestNode, s: &Session, what: &str) -> Value {
    let (ticket, _) = node.report(&node.client(), "crime", what).await;
    s.case(&ticket).await
}

#[tokio::test]
async fn a_version_is_reviewed_ratified_distributed_and_applied_on_its_date() {
    let mut hub = node("SUMSEL", true);
    let mut plg = node("PLG", false);
    let mut bas = node("BAS", false);
    enroll(&hub, &plg, "PLG");
    enroll(&hub, &bas, "BAS");
    hub.add_user("drafter", "ka_siaga", None);
    hub.add_user("hukum", "legal", None);
    hub.add_user("wakapolda", "leader", None);
    hub.add_user("op", "operator", None);
    hub.add_user("itwasda", "auditor", None);
    ratifier(&mut hub, "kapolda");
    for p in [&mut plg, &mut bas] {
        p.add_user("op", "operator", None);
        p.add_user("kapolres", "leader", None);
    }
    let (drafter, hukum, kapolda) = (hub.login("drafter").await, hub.login("hukum").await, hub.login("kapolda").await);
    let (wakapolda, hub_op) = (hub.login("wakapolda").await, hub.login("op").await);
    let (plg_op, plg_lead) = (plg.login("op").await, plg.login("kapolres").await);
    let old = in_force(&plg_op).await;
    assert_eq!(old, "draft-2026-12");

    // wait until both posts have said hello to the hub (and learned its key at enrollment)
    eventually(20, || async {
        let (_, st) = hub_op.get("/api/v1/sync/status").await;
        let peers = st["peers"].as_array().cloned().unwrap_or_default();
        let runs = |n: &str| peers.iter().any(|p| p["node"] == n && p["sop_version"] == "draft-2026-12");
        (runs("PLG") && runs("BAS")).then_some(())
    })
    .await;

    // who may not: an operator drafts, a post drafts
    let v2 = version_text("2026-12-polda", "7m");
    let (st, e) = hub_op.post("/api/v1/sop/versions", &json!({"text": v2})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{e}");
    let (st, e) = plg_lead.post("/api/v1/sop/versions", &json!({"text": v2})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("sop_not_hub")), "{e}");

    // bad input: the line and the field are named
    let bad: [(&str, &str, &str); 4] = [
        ("[category.guide.dispatched]", "[category.guide.dispatchedx]", "crime.guide.dispatchedx"),
        ("dispatch     = { emergency = \"3m\",", "dispatch     = { emergency = \"0m\",", "crime.dispatch.emergency"),
        ("\"ka_siaga\", \"karo_ops\"]", "\"ka_siaga\", \"kapolri\"]", "escalation_ladder"),
        ("label = \"Informasi\"", "label = \"Informasi", ""),
    ];
    for (from, to, field) in bad {
        let text = v2.replacen(from, to, 1);
        let want_line = text.lines().position(|l| l.contains(to.lines().next().unwrap())).unwrap() + 1;
        let (st, e) = drafter.post("/api/v1/sop/versions", &json!({"text": text})).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sop_invalid")), "{e}");
        assert_eq!(e["line"], want_line, "{to}: {e}");
        if !field.is_empty() {
            assert_eq!(e["field"], field, "{e}");
        }
    }
    // the TOML itself as the body works as well as JSON
    let r = drafter
        .client
        .post(format!("{}/api/v1/sop/versions", drafter.base))
        .header("x-csrf-token", &drafter.csrf)
        .header("content-type", "application/toml")
        .body(v2.replacen("normal = \"7m\"", "normal = \"8m\"", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // the life: submit, a ratifier cannot skip review, legal returns once, edit, approve, ratify
    let (st, _) = act(&drafter, "2026-12-polda", json!({"action": "submit"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = act(&kapolda, "2026-12-polda", json!({"action": "ratify"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("sop_needs_legal_review")), "{e}");
    let (st, e) = act(&hukum, "2026-12-polda", json!({"action": "return"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sop_comment_required")), "{e}");
    let (st, v) = act(
        &hukum,
        "2026-12-polda",
        json!({"action": "return", "comment": "batas verifikasi 8 menit tidak sesuai Perkap", "section": "crime.verify"}),
    )
    .await;
    assert_eq!((st, v["stage"].as_str()), (StatusCode::OK, Some("draft")), "{v}");
    let (st, v) = drafter.post("/api/v1/sop/versions", &json!({"text": v2})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    act(&drafter, "2026-12-polda", json!({"action": "submit"})).await;
    let (st, v) = act(&hukum, "2026-12-polda", json!({"action": "approve", "comment": "sesuai"})).await;
    assert_eq!((st, v["stage"].as_str()), (StatusCode::OK, Some("approved")), "{v}");
    let (st, e) = act(&hukum, "2026-12-polda", json!({"action": "ratify"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("sop_role_may_not")), "legal cannot ratify: {e}");
    let (st, e) = act(&wakapolda, "2026-12-polda", json!({"action": "ratify"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("sop_role_may_not")), "not a ratifier: {e}");

    // a case opened at PLG before, and BAS offline while the version is ratified
    let before = crime_case(&plg, &plg_op, "motor dicuri sebelum SOP baru").await;
    assert_eq!(before["sop_version"], "draft-2026-12");
    assert_eq!(before["sop_step"]["deadline_ms"], 15 * 60_000);
    bas.stop();
    let (when, effective_s) = wib_in(8);
    let (st, v) = act(&kapolda, "2026-12-polda", json!({"action": "ratify", "effective_from": when})).await;
    assert_eq!((st, v["stage"].as_str()), (StatusCode::OK, Some("ratified")), "{v}");
    assert_eq!(v["serial"], 1);
    let history: Vec<&str> = v["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(history, ["draft", "submit", "return", "edit", "submit", "approve", "ratify"]);
    assert_eq!(v["history"][2]["comment"], "batas verifikasi 8 menit tidak sesuai Perkap");
    assert_eq!(v["history"][2]["section"], "crime.verify");

    // PLG receives it before its date and keeps the old version until then
    eventually(20, || async {
        let (_, list) = plg_op.get("/api/v1/sop/versions").await;
        list.as_array()?.iter().any(|x| x["version"] == "2026-12-polda" && x["stage"] == "ratified").then_some(())
    })
    .await;
    assert_eq!(in_force(&plg_op).await, "draft-2026-12", "not before effective_from");

    // at effective_from: new cases carry the new version and its deadlines; the old case keeps its
    let wait = effective_s.saturating_sub(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()) + 1;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(in_force(&plg_op).await, "2026-12-polda");
    let after = crime_case(&plg, &plg_op, "motor dicuri sesudah SOP baru").await;
    assert_eq!(after["sop_version"], "2026-12-polda");
    assert_eq!(after["sop_step"]["deadline_ms"], 7 * 60_000);
    let again = plg_op.case(before["ticket"].as_str().unwrap()).await;
    assert_eq!(
        (again["sop_version"].as_str(), again["sop_step"]["deadline_ms"].as_u64()),
        (Some("draft-2026-12"), Some(900_000))
    );

    // BAS comes back after the date: it takes the version on arrival and applies it at once
    bas.start();
    let bas_op = bas.login("op").await;
    let bas_lead = bas.login("kapolres").await;
    eventually(30, || async { (in_force(&bas_op).await == "2026-12-polda").then_some(()) }).await;
    let at_bas = crime_case(&bas, &bas_op, "pencurian di Banyuasin").await;
    assert_eq!(
        (at_bas["sop_version"].as_str(), at_bas["sop_step"]["deadline_ms"].as_u64()),
        (Some("2026-12-polda"), Some(420_000))
    );

    // the hub's sync status (and the board) show which version each post runs
    eventually(20, || async {
        let (_, st) = hub_op.get("/api/v1/sync/status").await;
        let peers = st["peers"].as_array()?.clone();
        let runs = |n: &str| peers.iter().any(|p| p["node"] == n && p["sop_version"] == "2026-12-polda");
        (runs("PLG") && runs("BAS")).then_some(())
    })
    .await;

    // every transition is in the hub's log for the auditor
    let auditor = hub.login("itwasda").await;
    let (_, log) = auditor.get("/api/v1/access-log").await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["sop_draft", "sop_submit", "sop_return", "sop_edit", "sop_approve", "sop_ratify"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }

    // forged SOPs pushed to a post: each refused with its own code, nothing changes
    let (_, detail) = hub_op.get("/api/v1/sop/versions/2026-12-polda").await;
    let genuine = detail["signed"].clone();
    assert_eq!(genuine["serial"], 1);
    let forged = |f: &dyn Fn(&mut Value)| {
        let mut v = genuine.clone();
        v["version"] = json!("2027-01-forged");
        v["serial"] = json!(9);
        f(&mut v);
        v
    };
    let other = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let signed_by_other = forged(&|v: &mut Value| {
        let s: banpol::service::sop::SignedSop = serde_json::from_value(v.clone()).unwrap();
        v["signature"] = json!(hex::encode(other.sign(&banpol::service::sop::seal_message(&s)).to_bytes()));
    });
    let pushes = [
        (forged(&|v: &mut Value| v["signature"] = json!("")), "sop_unsigned"),
        (forged(&|v: &mut Value| v["stage"] = json!("approved")), "sop_not_ratified"),
        (signed_by_other, "sop_wrong_key"),
        (genuine.clone(), "sop_outdated"),
    ];
    // "older": a second ratified version reaches BAS, then the first is pushed again
    let v3 = version_text("2027-01-polda", "6m");
    assert_eq!(drafter.post("/api/v1/sop/versions", &json!({"text": v3})).await.0, StatusCode::CREATED);
    act(&drafter, "2027-01-polda", json!({"action": "submit"})).await;
    act(&hukum, "2027-01-polda", json!({"action": "approve"})).await;
    let (st, v) = act(&kapolda, "2027-01-polda", json!({"action": "ratify"})).await;
    assert_eq!((st, v["serial"].as_u64()), (StatusCode::OK, Some(2)), "{v}");
    eventually(30, || async { (in_force(&bas_op).await == "2027-01-polda").then_some(()) }).await;
    for (body, code) in pushes {
        let (st, e) = bas_lead.post("/api/v1/sop/signed", &body).await;
        assert_eq!(e["code"], code, "{st} {e}");
        assert_eq!(in_force(&bas_op).await, "2027-01-polda", "{code} changed nothing");
    }
    let (_, list) = bas_op.get("/api/v1/sop/versions").await;
    assert!(!list.as_array().unwrap().iter().any(|x| x["version"] == "2027-01-forged"));
    // an operator may not install one; the genuine newest again is a no-op
    let (st, _) = bas_op.post("/api/v1/sop/signed", &genuine).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, newest) = hub_op.get("/api/v1/sop/versions/2027-01-polda").await;
    let (st, v) = bas_lead.post("/api/v1/sop/signed", &newest["signed"]).await;
    assert_eq!((st, v["installed"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    // the case opened under 2026-12-polda keeps it
    let kept = bas_op.case(at_bas["ticket"].as_str().unwrap()).await;
    assert_eq!(kept["sop_version"], "2026-12-polda");
}

/// Ticks on the SOP checklist go with the action that completes the step and are in the history;
/// an item that is not on the checklist is refused.
#[tokio::test]
async fn checklist_ticks_are_recorded_in_the_completing_event() {
    let mut n = TestNode::spawn();
    n.add_user("op", "operator", None);
    let op = n.login("op").await;
    let c = crime_case(&n, &op, "dompet dirampas di pasar").await;
    let step = &c["sop_step"];
    assert_eq!(step["state"], "new");
    assert_eq!(step["step"], "verify");
    let items: Vec<&str> = step["checklist"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(items, ["hubungi balik pelapor", "pastikan lokasi", "tanyakan korban luka"]);
    assert!(step["instruction"]["id"].as_str().unwrap().starts_with("Verifikasi laporan"));
    assert_eq!(step["next_rung"]["role"], "pa_siaga");
    let t = c["ticket"].as_str().unwrap();
    let (st, e) =
        op.act(t, json!({"action": "verify", "method": "callback_confirmed", "checked": ["periksa KTP"]})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_checklist_item")), "{e}");
    let (st, v) = op
        .act(
            t,
            json!({"action": "verify", "method": "callback_confirmed", "checked": ["hubungi balik pelapor", "pastikan lokasi"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let verified = v["history"].as_array().unwrap().iter().find(|e| e["type"] == "verified").unwrap();
    assert_eq!(verified["checked"], json!(["hubungi balik pelapor", "pastikan lokasi"]));
    assert_eq!(v["sop_step"]["state"], "verified");
    assert_eq!(v["sop_step"]["step"], "dispatch");
    // the hash chain holds with the new field
    let out = n.cli(&["verify"], None);
    assert!(out.status.success(), "verify: {}", String::from_utf8_lossy(&out.stdout));
}
