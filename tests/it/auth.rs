//! Logging in under attack and account life cycle: a burst of guesses is counted before any of
//! it is hashed, the lock is per account and address first, a reset keeps a disabled account
//! disabled, and case readers made over the web wait for a ka_siaga or leader.

use crate::support::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A client of `node` whose connections come from `source` (a loopback address).
fn client_from(node: &TestNode, source: &str) -> Client {
    let pem = std::fs::read(node.data_dir().join("tls-cert.pem")).unwrap();
    Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .tls_built_in_root_certs(false)
        .local_address(Some(source.parse().unwrap()))
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn login_from(client: &Client, node: &TestNode, user: &str, password: &str) -> (StatusCode, Value) {
    let r = client
        .post(node.url("/api/v1/session"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    let s = r.status();
    if s == StatusCode::TOO_MANY_REQUESTS {
        assert!(r.headers().get("retry-after").is_some(), "a 429 says when to come back");
    }
    (s, r.json().await.unwrap_or(Value::Null))
}

/// `n` logins at once (one connection each); the statuses and codes of the answers.
async fn burst(node: &TestNode, client: &Client, logins: Vec<(String, String)>) -> Vec<(StatusCode, String)> {
    let url = node.url("/api/v1/session");
    let gate = Arc::new(tokio::sync::Barrier::new(logins.len()));
    let tasks: Vec<_> = logins
        .into_iter()
        .map(|(user, pw)| {
            let (client, url, gate) = (client.clone(), url.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                let r = client.post(url).json(&json!({"username": user, "password": pw})).send().await.unwrap();
                let s = r.status();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                (s, v["code"].as_str().unwrap_or_default().to_owned())
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Samples the node's resident memory every 5 ms until dropped; the peak in KiB.
struct RssWatch {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
}

impl RssWatch {
    fn start(node: &TestNode) -> RssWatch {
        let path = format!("/proc/{}/status", node.pid());
        let (stop, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(node.rss_kib())));
        let (s, p) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = std::fs::read_to_string(&path).ok().and_then(|t| {
                    t.lines().find_map(|l| l.strip_prefix("VmRSS:")?.split_whitespace().next()?.parse::<u64>().ok())
                }) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        RssWatch { stop, peak }
    }
    fn peak_mib(&self) -> u64 {
        self.peak.load(Ordering::Relaxed) / 1024
    }
}

impl Drop for RssWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

async fn access_actions(node: &TestNode, auditor: &str) -> Vec<(String, String, String)> {
    let aud = node.login(auditor).await;
    let (s, log) = aud.get("/api/v1/access-log?limit=1000").await;
    assert_eq!(s, StatusCode::OK, "{log}");
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (f("actor"), f("action"), f("target"))
        })
        .collect()
}

/// 40 wrong passwords for one account at once: at most 5 are hashed (5 answers 401 and 5
/// `login_failed` entries), the rest are 429 `too_many_attempts`, the lock is in the access log,
/// and the node stays small. The owner logging in from another address is not locked out; 200
/// guesses at once from one address at different accounts: at most 20 hashed.
#[tokio::test]
async fn a_burst_of_guesses_is_counted_before_it_is_hashed() {
    let mut node = TestNode::spawn();
    let pw = node.add_user("piket", "pa_siaga", None);
    node.add_user("itw", "auditor", None);
    let before = node.rss_kib() / 1024;
    let watch = RssWatch::start(&node);
    let attacker = client_from(&node, "127.0.0.1");
    let answers =
        burst(&node, &attacker, (0..40).map(|i| ("piket".into(), format!("guess-number-{i}"))).collect()).await;
    let checked = answers.iter().filter(|a| a.0 == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|a| a.0 == StatusCode::TOO_MANY_REQUESTS).count();
    println!(
        "40 guesses at once: {checked} checked (401), {refused} refused (429); RSS {before} MiB before, peak {} MiB",
        watch.peak_mib()
    );
    assert_eq!(checked + refused, 40, "{answers:?}");
    assert!((1..=5).contains(&checked), "at most five guesses are hashed: {answers:?}");
    assert!(answers.iter().filter(|a| a.0 == StatusCode::TOO_MANY_REQUESTS).all(|a| a.1 == "too_many_attempts"));
    assert!(watch.peak_mib() < 300, "RSS peaked at {} MiB", watch.peak_mib());

    // the right password from the same address waits; from another machine it works
    let (s, v) = login_from(&attacker, &node, "piket", &pw).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")));
    let (s, v) = login_from(&client_from(&node, "127.0.0.2"), &node, "piket", &pw).await;
    assert_eq!(s, StatusCode::OK, "the duty officer at another machine is not locked out: {v}");

    let log = access_actions(&node, "itw").await;
    let failed = log.iter().filter(|e| e.0 == "piket" && e.1 == "login_failed").count();
    assert_eq!(failed, checked, "one login_failed per hashed guess");
    assert!(
        log.iter().any(|e| e.0 == "piket" && e.1 == "login_locked" && e.2 == "pair 30 s"),
        "the lock is in the access log: {log:?}"
    );

    // 200 at once from one address, each at another account: the address allows 20
    let spray = client_from(&node, "127.0.0.3");
    let answers =
        burst(&node, &spray, (0..200).map(|i| (format!("nobody{i}"), "guess-password".into())).collect()).await;
    let checked = answers.iter().filter(|a| a.0 == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|a| a.0 == StatusCode::TOO_MANY_REQUESTS).count();
    println!(
        "200 guesses at once from one address: {checked} checked, {refused} refused; RSS peak {} MiB",
        watch.peak_mib()
    );
    assert_eq!(checked + refused, 200, "{answers:?}");
    assert!((1..=20).contains(&checked), "at most 20 hashed from one address: {checked}");
    assert!(watch.peak_mib() < 300, "RSS peaked at {} MiB", watch.peak_mib());
    let log = access_actions(&node, "itw").await;
    assert!(log.iter().any(|e| e.1 == "login_locked" && e.2 == "address 30 s"), "{log:?}");
}

/// A password reset (API or CLI) keeps a disabled account disabled; enabling is its own audited
/// step.
#[tokio::test]
async fn a_reset_does_not_enable_a_disabled_account() {
    let mut node = TestNode::spawn();
    node.add_user("tik", "tik_admin", None);
    node.add_user("op", "operator", None);
    node.add_user("ka", "ka_siaga", None);
    node.add_user("itw", "auditor", None);
    let tik = node.login("tik").await;
    let (s, _) = tik.post("/api/v1/users/op/disable", &json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = tik.post("/api/v1/users/op/password", &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["disabled"], true, "{v}");
    let new_pw = v["password"].as_str().unwrap().to_owned();
    node.passwords.insert("op".into(), new_pw.clone());
    let (s, v) = login_from(&node.client(), &node, "op", &new_pw).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_credentials")), "still disabled");

    let (s, v) = tik.post("/api/v1/users/op/enable", &json!({})).await;
    assert_eq!((s, v["disabled"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    let (s, v) = tik.post("/api/v1/users/op/enable", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("already_enabled")), "already enabled");
    // tik_admin knows the new password of a case reader: a ka_siaga confirms before it works
    let (s, v) = login_from(&node.client(), &node, "op", &new_pw).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("account_pending")), "{v}");
    let ka = node.login("ka").await;
    let (s, v) = ka.post("/api/v1/users/op/confirm", &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = login_from(&node.client(), &node, "op", &new_pw).await;
    assert_eq!(s, StatusCode::OK);
    let op = node.login("op").await;
    let (s, v) = op.post("/api/v1/users/op/enable", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "only tik_admin enables");

    // at the machine: the same rule
    let out = node.cli(&["user", "disable", "op"], None);
    assert!(out.status.success());
    let out = node.cli(&["user", "passwd", "op", "--password-stdin"], Some("another-long-password"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("stays disabled"));
    let (s, _) = login_from(&node.client(), &node, "op", "another-long-password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a CLI reset does not enable either");
    let out = node.cli(&["user", "enable", "op"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (s, _) = login_from(&node.client(), &node, "op", "another-long-password").await;
    assert_eq!(s, StatusCode::OK, "enabled at the machine");

    let log = access_actions(&node, "itw").await;
    for want in [("tik", "user_enable"), ("ka", "user_confirm"), ("cli", "user_enable"), ("tik", "user_passwd")] {
        assert!(log.iter().any(|e| (e.0.as_str(), e.1.as_str()) == want), "{want:?} in the access log: {log:?}");
    }
}

/// tik_admin must never read case contents: an auditor it creates over the web cannot log in
/// until a ka_siaga (or leader) of the node confirms it; tik_admin cannot confirm it itself.
/// Roles that read no cases, and accounts made at the machine, are active at once.
#[tokio::test]
async fn a_web_created_auditor_waits_for_a_ka_siaga() {
    let mut node = TestNode::spawn();
    node.add_user("tik", "tik_admin", None);
    node.add_user("op", "operator", None);
    node.add_user("ka", "ka_siaga", None);
    let tik = node.login("tik").await;
    let (s, v) = tik.post("/api/v1/users", &json!({"username": "itw2", "role": "auditor"})).await;
    assert_eq!((s, v["pending"].as_bool()), (StatusCode::CREATED, Some(true)), "{v}");
    let pw = v["password"].as_str().unwrap().to_owned();
    let (s, v) = tik.post("/api/v1/users", &json!({"username": "tik2", "role": "tik_admin"})).await;
    assert_eq!((s, v["pending"].as_bool()), (StatusCode::CREATED, Some(false)), "reads no cases: {v}");

    let (s, v) = login_from(&node.client(), &node, "itw2", &pw).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("account_pending")), "{v}");
    let (s, v) = login_from(&node.client(), &node, "itw2", "a-wrong-password").await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_credentials")), "a guess learns nothing");

    let (s, v) = tik.post("/api/v1/users/itw2/confirm", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "tik_admin cannot confirm");
    let op = node.login("op").await;
    let (s, _) = op.post("/api/v1/users/itw2/confirm", &json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an operator cannot confirm");
    let (s, _) = op.get("/api/v1/users/pending").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let ka = node.login("ka").await;
    let (s, v) = ka.get("/api/v1/users/pending").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["itw2"]);
    let (s, v) = ka.post("/api/v1/users/itw2/confirm", &json!({})).await;
    assert_eq!((s, v["pending"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    let (s, v) = ka.post("/api/v1/users/itw2/confirm", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("not_pending")), "confirmed once");

    node.passwords.insert("itw2".into(), pw);
    let itw = node.login("itw2").await;
    let (s, _) = itw.get("/api/v1/cases").await;
    assert_eq!(s, StatusCode::OK, "confirmed: reads cases");
    let log = access_actions(&node, "itw2").await;
    assert!(log.iter().any(|e| e.0 == "tik" && e.1 == "user_add" && e.2 == "itw2 (pending)"), "{log:?}");
    assert!(log.iter().any(|e| e.0 == "ka" && e.1 == "user_confirm" && e.2 == "itw2"), "{log:?}");
    assert!(log.iter().any(|e| e.0 == "itw2" && e.1 == "login_pending"), "{log:?}");

    // at the machine the CLI stays direct
    node.add_user("itw3", "auditor", None);
    node.login("itw3").await;
}

/// `/api/v1/me` says which staff pages the role may open and what it may do: the web UI draws its
/// navigation and its page gate from these lists and holds no role list of its own.
#[tokio::test]
async fn me_says_which_pages_each_role_may_open() {
    let mut node = TestNode::spawn();
    let table: [(&str, Option<&str>, &[&str]); 9] = [
        ("operator", None, &["konsol", "pantau", "sop"]),
        ("pa_siaga", None, &["konsol", "pantau", "rekap", "sop", "latihan"]),
        ("ka_siaga", None, &["konsol", "pantau", "admin", "rekap", "sop", "latihan"]),
        ("unit_officer", Some("PLG"), &["konsol", "pantau", "rekap", "sop"]),
        ("leader", None, &["konsol", "pantau", "admin", "rekap", "sop", "latihan"]),
        ("auditor", None, &["konsol", "pantau", "audit", "rekap", "sop", "latihan"]),
        ("propam", None, &["konsol", "pantau", "rekap", "sop"]),
        ("tik_admin", None, &["admin", "sop", "latihan"]),
        ("legal", None, &["sop"]),
    ];
    for (role, unit, pages) in table {
        let name = format!("u.{role}");
        node.add_user(&name, role, unit);
        let s = node.login(&name).await;
        let (status, me) = s.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "{role}: {me}");
        assert_eq!(me["role"], role);
        assert_eq!(me["pages"], json!(pages), "{role}");
        let may: Vec<&str> = me["may"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        let takes_calls = matches!(role, "operator" | "pa_siaga" | "ka_siaga");
        assert_eq!(may.contains(&"take_call"), takes_calls, "{role}: {may:?}");
        assert_eq!(may.contains(&"read_cases"), !matches!(role, "tik_admin" | "legal"), "{role}: {may:?}");
        assert_eq!(may.contains(&"draft_sop"), matches!(role, "ka_siaga" | "leader"), "{role}: {may:?}");
        assert_eq!(may.contains(&"review_sop"), role == "legal", "{role}: {may:?}");
        assert_eq!(may.contains(&"manage_users"), role == "tik_admin", "{role}: {may:?}");
        assert_eq!(may.contains(&"confirm_accounts"), matches!(role, "ka_siaga" | "leader"), "{role}: {may:?}");
        assert_eq!(may.contains(&"lift_block"), role == "propam", "{role}: {may:?}");
        let runs_drills = matches!(role, "pa_siaga" | "ka_siaga" | "tik_admin");
        assert_eq!(may.contains(&"run_drill"), runs_drills, "{role}: {may:?}");
    }
}
