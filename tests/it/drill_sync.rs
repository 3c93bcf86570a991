//! Latihan across the sync tree: the hub starts a drill for PLG and BAS; the start, a pause, a
//! resume and an abort travel down; each post runs its part with a scripted trainee; the posts'
//! drill cases reach the hub flagged; the hub shows both scorecards. A post running a drill of
//! its own refuses, and the hub shows why. Real hub, real posts, real mutual-TLS sync.

use crate::drill::{drill, inject, ok};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn node(code: &str, hub_port: Option<u16>) -> TestNode {
    let listen = hub_port.map(|p| format!("127.0.0.1:{p}")).unwrap_or_else(|| "off".into());
    let mut n = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), code.into(), "--sync-listen".into(), listen],
        env: Options::unlimited().env,
        ..Default::default()
    });
    for (u, r) in [("ka", "ka_siaga"), ("op", "operator"), ("lead", "leader"), ("tik", "tik_admin")] {
        n.add_user(u, r, None);
    }
    n
}

/// The post's own drill that is its part of hub drill `hub_id` (waits until the post took it).
async fn part(s: &Session, hub_id: &str) -> Value {
    eventually(30, || async move {
        let (st, v) = s.get("/api/v1/drills").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v.as_array().unwrap().iter().find(|d| d["hub_drill"] == hub_id).cloned()
    })
    .await
}

/// Waits until the post's part `id` is in `state`.
async fn part_in(s: &Session, id: &str, state: &str) -> Value {
    eventually(30, || async move { Some(drill(s, id).await).filter(|d| d["state"] == state) }).await
}

/// The hub's view of its drill once `f` holds.
async fn at_hub(s: &Session, id: &str, f: impl Fn(&Value) -> bool) -> Value {
    let f = &f;
    eventually(40, || async move {
        let (st, v) = s.get(&format!("/api/v1/drills/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        f(&v).then_some(v)
    })
    .await
}

fn post<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["posts"].as_array().unwrap().iter().find(|p| p["post"] == code).unwrap_or_else(|| panic!("{code} in {v}"))
}

fn misses(p: &Value) -> Vec<(u64, String)> {
    p["misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["inject"].as_u64().unwrap(), m["check"].as_str().unwrap().to_owned()))
        .collect()
}

/// The handling the SOP expects: dispatch the emergency first, verify it as one, link the
/// duplicate, verify and dispatch the theft to the post's own Polres.
async fn perfect(ka: &Session, op: &Session, id: &str, unit: &str) {
    let t1 = inject(ka, id, 1).await;
    ok(op, &t1, json!({"action": "dispatch", "unit": unit, "note": "Segera ke lokasi"})).await;
    ok(op, &t1, json!({"action": "verify", "method": "caller_on_line", "priority": "emergency"})).await;
    let t2 = inject(ka, id, 2).await;
    ok(op, &t2, json!({"action": "link_duplicate", "original": t1})).await;
    let t3 = inject(ka, id, 3).await;
    ok(op, &t3, json!({"action": "verify", "method": "callback_confirmed", "priority": "normal"})).await;
    ok(op, &t3, json!({"action": "dispatch", "unit": unit})).await;
}

/// Chosen mistakes: the emergency verified first as high and then dispatched; the duplicate
/// linked right; the theft rejected as unverifiable.
async fn mistaken(ka: &Session, op: &Session, id: &str, unit: &str) -> String {
    let t1 = inject(ka, id, 1).await;
    ok(op, &t1, json!({"action": "verify", "method": "callback_confirmed", "priority": "high"})).await;
    ok(op, &t1, json!({"action": "dispatch", "unit": unit})).await;
    let t2 = inject(ka, id, 2).await;
    ok(op, &t2, json!({"action": "link_duplicate", "original": t1})).await;
    let t3 = inject(ka, id, 3).await;
    ok(op, &t3, json!({"action": "reject", "reason": "unverifiable", "note": "tidak bisa dihubungi"})).await;
    t3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_starts_a_drill_for_two_posts_and_shows_both_scorecards() {
    let hub = node("SUMSEL", Some(free_port()));
    let plg = node("PLG", None);
    let mut bas = node("BAS", None);
    enroll(&hub, &plg, "PLG");
    enroll(&hub, &bas, "BAS");
    let (ka, lead, tik) = (hub.login("ka").await, hub.login("lead").await, hub.login("tik").await);

    // bad input: an operator may not; a post not enrolled below the hub is named
    let start = json!({"scenario": "lakalantas-korban", "posts": ["PLG", "BAS"], "speed": 60.0});
    let (st, v) = hub.login("op").await.post("/api/v1/drills", &start).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{v}");
    let (st, v) = ka.post("/api/v1/drills", &json!({"scenario": "lakalantas-korban", "posts": ["PLG", "OKI"]})).await;
    assert_eq!(
        (st, v["code"].as_str(), v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_post"), Some("posts"))
    );
    assert!(v["message"].as_str().unwrap().contains("OKI"), "{v}");
    let (st, v) =
        plg.login("ka").await.post("/api/v1/drills", &json!({"scenario": "malam-iseng", "posts": ["BAS"]})).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_post")),
        "a post has no posts below it: {v}"
    );
    let (_, list) = ka.get("/api/v1/drills/hub").await;
    assert_eq!(list["posts"], json!(["BAS", "PLG"]), "{list}");

    // the start, and a pause right after it: both travel down
    let (st, v) = ka.post("/api/v1/drills", &start).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("SUMSEL-") && id.contains("-H"), "{id}");
    let (st, v) = ka.post(&format!("/api/v1/drills/{id}/actions"), &json!({"action": "pause"})).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("paused")), "{v}");
    let (ka_plg, op_plg) = (plg.login("ka").await, plg.login("op").await);
    let plg_id = part(&ka_plg, &id).await["id"].as_str().unwrap().to_owned();
    let d = part_in(&ka_plg, &plg_id, "paused").await;
    assert_eq!(d["started_by"], "ka@SUMSEL", "{d}");
    assert_eq!((d["log"][1]["by"].as_str(), d["log"][1]["action"].as_str()), (Some("ka@SUMSEL"), Some("pause")));
    let bas_id = part(&bas.login("ka").await, &id).await["id"].as_str().unwrap().to_owned();
    // BAS restarts (kill -9) while paused: the hub's word comes again, nothing starts twice
    bas.kill9();
    bas.start();
    let (ka_bas, op_bas) = (bas.login("ka").await, bas.login("op").await);
    part_in(&ka_bas, &bas_id, "paused").await;
    let (st, v) = ka.post(&format!("/api/v1/drills/{id}/actions"), &json!({"action": "resume"})).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("running")), "{v}");
    part_in(&ka_plg, &plg_id, "running").await;
    part_in(&ka_bas, &bas_id, "running").await;

    // a scripted trainee at each post
    let ((), t3) = tokio::join!(perfect(&ka_plg, &op_plg, &plg_id, "PLG"), mistaken(&ka_bas, &op_bas, &bas_id, "BAS"));
    let v = at_hub(&ka, &id, |v| v["state"] == "finished").await;
    let (p, b) = (post(&v, "PLG"), post(&v, "BAS"));
    assert_eq!((p["drill_id"].as_str(), b["drill_id"].as_str()), (Some(plg_id.as_str()), Some(bas_id.as_str())));
    assert_eq!((p["state"].as_str(), b["state"].as_str()), (Some("finished"), Some("finished")));
    assert_eq!(
        (p["score_percent"].as_u64(), p["points"].as_u64(), p["max_points"].as_u64()),
        (Some(100), Some(13), Some(13)),
        "{p}"
    );
    assert_eq!(misses(p), []);
    // 7 of 13 points: the scenario's PLG reads as BAS's own Polres at BAS
    assert_eq!((b["score_percent"].as_u64(), b["points"].as_u64()), (Some(54), Some(7)), "{b}");
    let want: Vec<(u64, String)> =
        [(1, "priority"), (1, "dispatch_first"), (3, "decision"), (3, "priority"), (3, "unit"), (3, "dispatch_time")]
            .into_iter()
            .map(|(n, c)| (n, c.to_owned()))
            .collect();
    assert_eq!(misses(b), want);
    assert_eq!(b["misses"][4]["text"], format!("Inject 3 ({t3}): belum didisposisikan (seharusnya ke BAS)"));
    // op's own: the three checks of what nobody did (inject 3's priority, unit, dispatch) are no one's
    assert_eq!(b["participants"], json!([{"user": "op", "points": 7, "max_points": 10}]));
    // each post's own scorecard says the same
    assert_eq!(drill(&ka_bas, &bas_id).await["scorecard"]["score_percent"], 54);
    let (_, mine) = ka_bas.get("/api/v1/drills").await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "one drill at BAS, across retries and a restart: {mine}");

    // the posts' drill cases reached the hub flagged with their drill; they left its queue
    let lane = eventually(30, || async {
        let (_, l) = lead.get("/api/v1/cases?lane=drill&status=all").await;
        (l["items"].as_array().unwrap().len() == 6).then_some(l)
    })
    .await;
    for c in lane["items"].as_array().unwrap() {
        let t = c["ticket"].as_str().unwrap();
        let want = if t.starts_with("LAT-PLG-") { &plg_id } else { &bas_id };
        assert!(t.starts_with("LAT-PLG-") || t.starts_with("LAT-BAS-"), "{t}");
        assert_eq!(c["drill"], want.as_str(), "{c}");
    }
    let (_, q) = lead.get("/api/v1/cases?status=all").await;
    assert!(!q.to_string().contains("LAT-"), "ended drills' cases are out of the hub's queue: {q}");
    // tik_admin at the hub reads the drill cases, no real one
    let (st, l) = tik.get("/api/v1/cases?lane=drill&status=all").await;
    assert_eq!((st, l["total"].as_u64()), (StatusCode::OK, Some(6)), "{l}");
    let (st, _) = tik.get(&format!("/api/v1/cases/{t3}")).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = tik.get("/api/v1/cases").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the main queue is real work");

    // PLG runs a drill of its own: it refuses the hub's next one; BAS runs it; the hub aborts
    let own = crate::drill::start(&ka_plg, "malam-iseng", 1.0).await;
    let (st, v) = ka
        .post("/api/v1/drills", &json!({"scenario": "curanmor-duplikat", "posts": ["PLG", "BAS"], "speed": 1.0}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id2 = v["id"].as_str().unwrap().to_owned();
    let v = at_hub(&ka, &id2, |v| post(v, "PLG")["state"] == "refused" && post(v, "BAS")["state"] == "running").await;
    assert_eq!(post(&v, "PLG")["refused"]["code"], "drill_running", "{v}");
    assert!(post(&v, "PLG")["refused"]["message"].as_str().unwrap().contains(&own), "{v}");
    let (st, v) = ka.post(&format!("/api/v1/drills/{id2}/actions"), &json!({"action": "abort"})).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("aborted")), "{v}");
    let bas2 = part(&ka_bas, &id2).await["id"].as_str().unwrap().to_owned();
    let d = part_in(&ka_bas, &bas2, "aborted").await;
    assert_eq!(d["log"].as_array().unwrap().last().unwrap()["by"], "ka@SUMSEL");
    at_hub(&ka, &id2, |v| post(v, "BAS")["state"] == "aborted").await;
    assert_eq!(drill(&ka_plg, &own).await["state"], "running", "the post's own drill is its own");
    let (st, v) = ka.post(&format!("/api/v1/drills/{id2}/actions"), &json!({"action": "resume"})).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::CONFLICT, Some("drill_state")), "{v}");
    let (_, list) = ka.get("/api/v1/drills/hub").await;
    let ids: Vec<&str> = list["drills"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id2.as_str(), id.as_str()], "newest first");
}
