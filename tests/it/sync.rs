//! Sync between real nodes on loopback (DESIGN §5): a hub (SUMSEL) and posts enrolled with
//! one-time tokens over mutual TLS; outages, dropped connections, kill -9, conflicts, foreign
//! certificates and a restored post.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn unlimited_env() -> Vec<(String, String)> {
    Options::unlimited().env
}

/// The Polda hub on a fixed sync port (posts keep its address across its restarts).
fn hub() -> TestNode {
    let port = free_port();
    let mut h = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "SUMSEL".into(), "--sync-listen".into(), format!("127.0.0.1:{port}")],
        env: unlimited_env(),
        ..Default::default()
    });
    h.add_user("pantau", "pa_siaga", None);
    h
}

fn post(code: &str) -> TestNode {
    post_via(code, None)
}

/// A post whose link to the hub goes through `upstream` (a proxy) instead of the address it
/// enrolled with.
fn post_via(code: &str, upstream: Option<&str>) -> TestNode {
    let mut args = vec!["--node-code".into(), code.into(), "--sync-listen".into(), "off".into()];
    if let Some(u) = upstream {
        args.extend(["--upstream".into(), u.to_owned()]);
    }
    TestNode::spawn_with(Options { args, env: unlimited_env(), ..Default::default() })
}

fn invite(hub: &TestNode, code: &str) -> String {
    let out = hub.cli(&["node", "invite", code], None);
    assert!(out.status.success(), "invite: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find(|l| l.starts_with("banpol1.")).expect("a token line").trim().to_owned()
}

/// Enrolls `post` with the hub at `url` (the hub's sync URL, or a proxy in front of it).
fn join(post: &TestNode, url: &str, token: &str) {
    let out = post.cli(&["node", "join", url, token], None);
    assert!(out.status.success(), "join: {}", String::from_utf8_lossy(&out.stderr));
}

fn enroll(hub: &TestNode, post: &TestNode, code: &str) {
    join(post, &hub.sync_url, &invite(hub, code));
}

/// `origin`'s event count as `banpol verify` reports it (and that its chain is ok).
fn events_of(node: &TestNode, origin: &str) -> u64 {
    let out = node.cli(&["verify"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "verify failed: {text} {}", String::from_utf8_lossy(&out.stderr));
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(origin))
        .map(|l| {
            assert!(l.contains("chain ok"), "{l}");
            l.split_whitespace().nth(1).unwrap().parse().unwrap()
        })
        .unwrap_or(0)
}

async fn total_cases(s: &Session) -> u64 {
    let (st, v) = s.get("/api/v1/cases?lane=all&per_page=1").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["total"].as_u64().unwrap()
}

/// Files `n` reports at `node` with 8 clients; returns their tickets.
async fn file_reports(node: &TestNode, n: usize, tag: &str) -> Vec<String> {
    let mut tasks = Vec::new();
    for w in 0..8 {
        let client = node.client();
        let url = node.url("/api/v1/reports");
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in (w..n).step_by(8) {
                let body = report_from(
                    &format!("0813{:02}{i:06}", w + 10),
                    "information",
                    &format!(
                        "Pertanyaan {tag} nomor {i} ({:016x}): jam layanan SKCK di Polrestabes",
                        (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    ),
                );
                let r = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                let v: Value = r.json().await.unwrap();
                out.push(v["ticket"].as_str().unwrap().to_owned());
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Waits until the hub holds exactly the post's events of `origin`.
async fn converged(hub: &TestNode, post: &TestNode, origin: &str, secs: u64) -> u64 {
    let want = events_of(post, origin);
    let start = Instant::now();
    eventually(secs, || async {
        let got = events_of(hub, origin);
        assert!(got <= want, "the hub holds more {origin} events ({got}) than the post ({want})");
        (got == want).then_some(got)
    })
    .await;
    eprintln!("sync: {want} events of {origin} converged in {:?}", start.elapsed());
    want
}

/// (a) A post cut off from the hub takes 500 reports; when the hub comes up they all arrive,
/// each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_post_catches_up_exactly_once() {
    let mut hub = hub();
    let plg = post("PLG");
    enroll(&hub, &plg, "PLG");
    hub.stop();
    let tickets = file_reports(&plg, 500, "luring").await;
    assert_eq!(events_of(&plg, "PLG"), 500);
    hub.start();
    converged(&hub, &plg, "PLG", 60).await;
    let s = hub.login("pantau").await;
    assert_eq!(total_cases(&s).await, 500, "each report is one case at the hub");
    for t in tickets.iter().step_by(25) {
        let c = s.case(t).await;
        assert_eq!(c["status"], "new");
        assert_eq!(c["history"].as_array().unwrap().len(), 1, "no event twice: {c}");
    }
    let (st, v) = s.get("/api/v1/sync/status").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["role"], "hub");
    let p = v["peers"].as_array().unwrap().iter().find(|p| p["node"] == "PLG").cloned().expect("PLG in the status");
    assert_eq!(p["direction"], "child");
    assert_eq!(p["connected"], true, "{p}");
    let ps = plg.login("admin").await;
    let (st, v) = ps.get("/api/v1/sync/status").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["role"], "post");
    let up = &v["peers"][0];
    assert_eq!((up["node"].as_str(), up["direction"].as_str()), (Some("SUMSEL"), Some("parent")), "{v}");
    assert_eq!(up["events_waiting"], 0, "{v}");
}

/// A TCP proxy that forwards to `target`. The first `drops` connections are cut after a random
/// number of bytes; `cut` closes every connection and refuses new ones until it is cleared.
struct Proxy {
    url: String,
    cut: Arc<AtomicBool>,
    dropped: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(target: &str, drops: usize) -> Proxy {
        let target = target.trim_start_matches("https://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let cut = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (cut2, dropped2) = (cut.clone(), dropped.clone());
        let left = Arc::new(AtomicUsize::new(drops));
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else { return };
                if cut2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let Ok(outbound) = TcpStream::connect(&target).await else { continue };
                let limit = if left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                    Some(5_000 + rand_below(15_000))
                } else {
                    None
                };
                tokio::spawn(pipe(inbound, outbound, limit, cut2.clone(), dropped2.clone()));
            }
        });
        Proxy { url, cut, dropped }
    }
}

fn rand_below(n: usize) -> usize {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish() as usize % n
}

/// Copies both ways; after `limit` bytes in total (or when cut) both sides are closed.
async fn pipe(a: TcpStream, b: TcpStream, limit: Option<usize>, cut: Arc<AtomicBool>, dropped: Arc<AtomicUsize>) {
    let (ar, aw) = a.into_split();
    let (br, bw) = b.into_split();
    let budget = Arc::new(AtomicUsize::new(limit.unwrap_or(usize::MAX)));
    let broken = tokio::select! {
        x = copy(ar, bw, budget.clone(), cut.clone()) => x,
        x = copy(br, aw, budget, cut) => x,
    };
    if broken {
        dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// One direction; true when the proxy broke the connection (budget spent or cut).
async fn copy(
    mut r: tokio::net::tcp::OwnedReadHalf,
    mut w: tokio::net::tcp::OwnedWriteHalf,
    budget: Arc<AtomicUsize>,
    cut: Arc<AtomicBool>,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if cut.load(Ordering::SeqCst) {
            return true;
        }
        let n = match tokio::time::timeout(Duration::from_millis(100), r.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(0)) | Ok(Err(_)) => return false,
            Ok(Ok(n)) => n,
        };
        let n2 = n.min(budget.load(Ordering::SeqCst));
        if w.write_all(&buf[..n2]).await.is_err() {
            return false;
        }
        budget.fetch_sub(n2, Ordering::SeqCst);
        if n2 < n {
            return true;
        }
    }
}

/// (b) The link drops at random points many times during a large sync: no loss, no duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_link_loses_nothing_and_duplicates_nothing() {
    let hub = hub();
    let proxy = Proxy::start(&hub.sync_url, 150).await;
    let plg = post_via("PLG", Some(&proxy.url));
    let tickets = file_reports(&plg, 5000, "rapuh").await;
    enroll(&hub, &plg, "PLG");
    converged(&hub, &plg, "PLG", 120).await;
    let drops = proxy.dropped.load(Ordering::SeqCst);
    eprintln!("flaky link: {drops} connections cut mid-stream");
    assert!(drops >= 10, "the proxy cut connections during the sync ({drops})");
    let s = hub.login("pantau").await;
    assert_eq!(total_cases(&s).await, tickets.len() as u64);
    let _ = proxy.cut;
}

/// (c) kill -9 of the hub in the middle of a sync, then a restart: they converge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_killed_mid_sync_converges_after_restart() {
    let mut hub = hub();
    let plg = post("PLG");
    file_reports(&plg, 6000, "kill").await;
    enroll(&hub, &plg, "PLG");
    let at_kill = eventually(30, || async {
        let n = events_of(&hub, "PLG");
        (n > 0).then_some(n)
    })
    .await;
    hub.kill9();
    eprintln!("hub killed with {at_kill} of 6000 events received");
    assert!(at_kill < 6000, "the kill came during the sync");
    hub.start();
    converged(&hub, &plg, "PLG", 90).await;
    let s = hub.login("pantau").await;
    assert_eq!(total_cases(&s).await, 6000);
}

async fn history_ids(s: &Session, ticket: &str) -> (String, Vec<String>, usize) {
    let c = s.case(ticket).await;
    let ids = c["history"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    (c["status"].as_str().unwrap().to_owned(), ids, c["conflict_details"].as_array().unwrap().len())
}

/// (d) Reported at post A, sent to the Polda, dispatched by the hub to a unit of post B,
/// acknowledged and resolved at B: all three nodes end with the same state and history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_travels_from_post_to_hub_to_another_post_and_back() {
    let mut hub = hub();
    let (mut a, mut b) = (post("PLG"), post("BAS"));
    enroll(&hub, &a, "PLG");
    enroll(&hub, &b, "BAS");
    a.add_user("op", "operator", None);
    b.add_user("unit.bas", "unit_officer", Some("BAS"));
    for n in [&mut hub, &mut a, &mut b] {
        n.add_user("aud", "auditor", None);
    }
    let (ticket, _) = a
        .report(&a.client(), "crime", "Perampokan di jalan lintas Palembang–Betung, pelaku kabur ke arah Banyuasin")
        .await;
    let op = a.login("op").await;
    for body in [
        json!({"action": "verify", "method": "callback_confirmed"}),
        json!({"action": "dispatch", "unit": "DITRESKRIMUM", "note": "Lintas wilayah: ke Polda"}),
    ] {
        let (s, v) = op.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let pantau = hub.login("pantau").await;
    eventually(20, || async {
        let (s, v) = pantau.get(&format!("/api/v1/cases/{ticket}")).await;
        (s == StatusCode::OK && v["owner"] == "SUMSEL").then_some(())
    })
    .await;
    let (s, v) = pantau.act(&ticket, json!({"action": "dispatch", "unit": "BAS", "note": "Wilayah Banyuasin"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner"], "BAS");
    let unit = b.login("unit.bas").await;
    eventually(20, || async {
        let (s, v) = unit.get(&format!("/api/v1/cases/{ticket}")).await;
        (s == StatusCode::OK && v["status"] == "dispatched").then_some(())
    })
    .await;
    for body in [
        json!({"action": "acknowledge", "note": "Diterima Polres Banyuasin"}),
        json!({"action": "progress", "note": "Tim Resmob menyisir jalan lintas"}),
        json!({"action": "resolve", "summary": "Pelaku tertangkap di Betung"}),
    ] {
        let (s, v) = unit.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let sessions = [a.login("aud").await, hub.login("aud").await, b.login("aud").await];
    let views = eventually(30, || async {
        let mut views = Vec::new();
        for s in &sessions {
            views.push(history_ids(s, &ticket).await);
        }
        (views.iter().all(|v| v.0 == "resolved" && v == &views[0])).then_some(views)
    })
    .await;
    let (_, ids, conflicts) = &views[0];
    assert_eq!(ids.len(), 7, "reported, verified, dispatched, dispatched, acknowledged, progressed, resolved: {ids:?}");
    assert_eq!(*conflicts, 0);
}

/// (e) While a post is cut off, the hub takes a case back and the post works on it: after the
/// link returns both show the same state and the conflict, and no event is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_commands_while_cut_off_end_the_same_everywhere() {
    let hub = hub();
    let proxy = Proxy::start(&hub.sync_url, 0).await;
    let mut plg = post_via("PLG", Some(&proxy.url));
    enroll(&hub, &plg, "PLG");
    plg.add_user("op", "operator", None);
    plg.add_user("unit.plg", "unit_officer", Some("PLG"));
    let (ticket, _) = plg.report(&plg.client(), "crime", "Penjambretan di Jembatan Ampera, korban luka ringan").await;
    let op = plg.login("op").await;
    for body in
        [json!({"action": "verify", "method": "callback_confirmed"}), json!({"action": "dispatch", "unit": "PLG"})]
    {
        let (s, v) = op.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let pantau = hub.login("pantau").await;
    eventually(20, || async {
        let (s, v) = pantau.get(&format!("/api/v1/cases/{ticket}")).await;
        (s == StatusCode::OK && v["status"] == "dispatched").then_some(())
    })
    .await;
    proxy.cut.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, v) =
        pantau.act(&ticket, json!({"action": "dispatch", "unit": "DITRESKRIMUM", "note": "Diambil alih Polda"})).await;
    assert_eq!(s, StatusCode::OK, "the hub takes the case over: {v}");
    let unit = plg.login("unit.plg").await;
    for body in [json!({"action": "acknowledge"}), json!({"action": "progress", "note": "Tim menuju lokasi"})] {
        let (s, v) = unit.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "the post, cut off, still works: {v}");
    }
    proxy.cut.store(false, Ordering::SeqCst);
    let views = eventually(60, || async {
        let (h, p) = (history_ids(&pantau, &ticket).await, history_ids(&op, &ticket).await);
        (h == p && h.1.len() == 6).then_some(h)
    })
    .await;
    let (status, ids, conflicts) = views;
    assert_eq!(status, "dispatched", "the takeover came first: the case is with the Polda");
    assert_eq!(conflicts, 2, "the post's acknowledgement and progress are kept as conflicts: {ids:?}");
}

/// (f) No certificate, or a certificate of another federation's CA: refused. A child may not
/// push events under another node's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_or_missing_certificates_are_refused() {
    let hub1 = hub();
    let hub2 = hub();
    let (plg, oki) = (post("PLG"), post("OKI"));
    enroll(&hub1, &plg, "PLG");
    enroll(&hub2, &oki, "OKI");
    let identity = |n: &TestNode| {
        let d = n.data_dir();
        let mut pem = std::fs::read(d.join("sync-client-cert.pem")).unwrap();
        pem.extend(std::fs::read(d.join("sync-client-key.pem")).unwrap());
        reqwest::Identity::from_pem(&pem).unwrap()
    };
    let client = |id: Option<reqwest::Identity>| {
        let b = reqwest::Client::builder().danger_accept_invalid_certs(true).timeout(Duration::from_secs(10));
        match id {
            Some(i) => b.identity(i).build().unwrap(),
            None => b.build().unwrap(),
        }
    };
    let vector = format!("{}/sync/v1/vector", hub1.sync_url);
    let r = client(None).get(&vector).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "sync_no_certificate");
    match client(Some(identity(&oki))).get(&vector).send().await {
        Err(_) => {}
        Ok(r) => panic!("a certificate of another CA got through: {}", r.status()),
    }
    let mine = client(Some(identity(&plg)));
    let r = mine.get(&vector).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the enrolled post is let in");
    let r = mine
        .post(format!("{}/sync/v1/push", hub1.sync_url))
        .header("x-banpol-origin", "BAS")
        .body(Vec::<u8>::new())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "PLG may not speak for BAS");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "sync_not_allowed");
    // a join token works once
    let token = invite(&hub1, "BAS");
    let bas = post("BAS");
    join(&bas, &hub1.sync_url, &token);
    let again = bas.cli(&["node", "join", &hub1.sync_url, &token], None);
    assert!(!again.status.success(), "a used token is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("used or expired"));
}

/// (g) A post restored from an old copy of its data takes a new epoch: the hub takes a full
/// resend, keeps what the lost copy had sent, and nothing new is skipped or reuses a ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_post_makes_the_hub_take_a_full_resend() {
    let hub = hub();
    let mut plg = post("PLG");
    enroll(&hub, &plg, "PLG");
    file_reports(&plg, 20, "sebelum").await;
    converged(&hub, &plg, "PLG", 30).await;
    plg.stop();
    let backup = tempfile::tempdir().unwrap();
    copy_dir(&plg.data_dir().join("store"), &backup.path().join("store"));
    plg.start();
    file_reports(&plg, 20, "hilang").await;
    converged(&hub, &plg, "PLG", 30).await;
    plg.stop();
    std::fs::remove_dir_all(plg.data_dir().join("store")).unwrap();
    copy_dir(&backup.path().join("store"), &plg.data_dir().join("store"));
    let out = plg.cli(&["node", "new-epoch"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    plg.start();
    let fresh = file_reports(&plg, 5, "sesudah").await;
    for t in &fresh {
        let n: u32 = t.rsplit('-').next().unwrap().parse().unwrap();
        assert!(n > 1000, "tickets after a restore do not reuse the lost copy's numbers: {t}");
    }
    let s = hub.login("pantau").await;
    eventually(30, || async { (total_cases(&s).await == 45).then_some(()) }).await;
    for t in &fresh {
        assert_eq!(s.case(t).await["status"], "new");
    }
    assert_eq!(events_of(&hub, "PLG"), 45, "the lost copy's 20 and the new 5 are all kept");
    assert_eq!(events_of(&plg, "PLG"), 25);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Bid TIK publishes a signed release at the hub with PLG as its canary: PLG takes it first and
/// restarts into it (the test plays systemd); BAS gets nothing until PLG runs it past probation,
/// then takes it too. The hub's status shows which post runs which version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_published_at_the_hub_reaches_the_canary_first() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = crate::update::keygen(keys.path(), "bidtik");
    let node = |code: &str, sync: &str| {
        let mut env = unlimited_env();
        env.push(("BANPOL_TEST_TRUSTED_KEY".into(), public.clone()));
        env.push(("BANPOL_UPDATE_PROBATION".into(), "60s".into()));
        TestNode::spawn_with(Options {
            args: vec!["--node-code".into(), code.into(), "--sync-listen".into(), sync.into()],
            env,
            ..Default::default()
        })
    };
    let mut hub = node("SUMSEL", &format!("127.0.0.1:{}", free_port()));
    hub.add_user("pantau", "pa_siaga", None);
    let (mut plg, mut bas) = (node("PLG", "off"), node("BAS", "off"));
    enroll(&hub, &plg, "PLG");
    enroll(&hub, &bas, "BAS");
    let pantau = hub.login("pantau").await;
    let versions = || async {
        let (_, v) = pantau.get("/api/v1/sync/status").await;
        let of = |n: &str| {
            v["peers"].as_array().and_then(|p| p.iter().find(|p| p["node"] == n)).map(|p| p["version"].clone())
        };
        (of("PLG").unwrap_or(Value::Null), of("BAS").unwrap_or(Value::Null))
    };
    eventually(20, || async { (versions().await == (json!("0.1.0"), json!("0.1.0"))).then_some(()) }).await;

    let archive = crate::update::pack(keys.path(), "0.2.0", &std::fs::read(BIN).unwrap());
    let out = std::process::Command::new(BIN)
        .args(["release", "sign"])
        .arg(&archive)
        .arg("--key")
        .arg(&key)
        .args(["--version", "0.2.0", "--min-version", "0.1.0", "--canary", "PLG", "--share-percent", "100"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hub.cli_env(&["release", "publish", archive.to_str().unwrap()]);
    assert!(out.status.success(), "publish: {}", String::from_utf8_lossy(&out.stderr));

    assert_eq!(plg.wait_exit(30).code(), Some(75), "the canary installs the release and restarts");
    assert_eq!(crate::update::state(&bas)["current"], Value::Null, "BAS waits for the canary");
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(crate::update::state(&bas)["current"], Value::Null, "BAS still waits: the canary is down");
    plg.start();
    eventually(60, || async { (crate::update::state(&plg)["current"]["passed_probation"] == true).then_some(()) })
        .await;
    assert_eq!(bas.wait_exit(60).code(), Some(75), "once the canary runs it, BAS takes it");
    bas.start();
    eventually(60, || async { (versions().await == (json!("0.2.0"), json!("0.2.0"))).then_some(()) }).await;
    assert_eq!(crate::update::state(&bas)["current"]["version"], "0.2.0");
    let _ = &mut hub;
}
