//! The edges an attacker pushes on: memory before authorization, body limits, cross-origin state
//! changes, public tracking floods, figures outside one's unit, oversized WhatsApp media.

use crate::support::*;
use crate::whatsapp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The resident set of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// Samples a process's RSS every 10 ms until stopped; returns the peak in KiB.
struct RssPeak {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssPeak {
    fn watch(pid: u32) -> RssPeak {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !s.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak.max(rss_kib(pid))
        });
        RssPeak { stop, thread }
    }

    fn peak(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// `n` bytes of zeros, handed to the connection 256 KiB at a time (never held whole).
fn streamed_zeros(n: usize) -> reqwest::Body {
    let chunk = bytes::Bytes::from(vec![0u8; 256 << 10]);
    let chunks = n / chunk.len();
    reqwest::Body::wrap_stream(futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    ))
}

async fn code_of(r: reqwest::Response) -> (StatusCode, String, Value) {
    let s = r.status();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (s, ct, r.json().await.unwrap_or(Value::Null))
}

/// An operator streams 200 MiB to the release endpoint: refused 403 on its role before the body
/// is read, and the node's memory does not grow with the upload. Prints the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mib_release_upload_by_an_operator_is_refused_before_it_is_read() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("tik", "tik_admin", None);
    let op = node.login("op").await;
    let before = rss_kib(node.pid());
    let watch = RssPeak::watch(node.pid());
    let t = Instant::now();
    let r = op
        .client
        .post(node.url("/api/v1/releases"))
        .header("x-csrf-token", &op.csrf)
        .header("content-type", "application/octet-stream")
        .body(streamed_zeros(200 << 20))
        .send()
        .await
        .expect("an answer, not a dropped connection");
    let (s, ct, v) = code_of(r).await;
    let took = t.elapsed();
    let peak = watch.peak();
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{v}");
    assert!(ct.starts_with("application/json"), "{ct}");
    let growth = peak.saturating_sub(before);
    println!(
        "hardening: 200 MiB release upload by an operator: 403 after {:.0} ms, node RSS {} KiB before, peak {} KiB (+{} KiB)",
        took.as_secs_f64() * 1000.0,
        before,
        peak,
        growth
    );
    assert!(growth < 20 << 10, "RSS grew by {growth} KiB");

    // tik_admin may publish, within the limit: a declared 65 MiB is refused at once, as JSON
    let tik = node.login("tik").await;
    let r = tik
        .client
        .post(node.url("/api/v1/releases"))
        .header("x-csrf-token", &tik.csrf)
        .header("content-type", "application/octet-stream")
        .body(vec![0u8; 65 << 20])
        .send()
        .await
        .expect("an answer");
    let (s, ct, v) = code_of(r).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    assert!(ct.starts_with("application/json"), "{ct}");
    // and within it, a body that is not a release is refused by verification, not by size
    let (s, v) = {
        let r = tik
            .client
            .post(node.url("/api/v1/releases"))
            .header("x-csrf-token", &tik.csrf)
            .body(vec![0u8; 1 << 20])
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("release_refused")), "{v}");

    // one upload at a time: while one is still arriving, a second is 429 upload_in_progress
    use futures_util::StreamExt;
    let small = || tik.client.post(node.url("/api/v1/releases")).header("x-csrf-token", &tik.csrf).body("x").send();
    // a slow upload that sends its first bytes and holds the rest until `go`
    let slow_tik = node.login("tik").await;
    let start_slow = || {
        let (go, wait) = tokio::sync::oneshot::channel::<()>();
        let slow = futures_util::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"not a ")) })
            .chain(futures_util::stream::once(async move {
                let _ = wait.await;
                Ok(bytes::Bytes::from_static(b"release"))
            }));
        let send = slow_tik
            .client
            .post(node.url("/api/v1/releases"))
            .header("x-csrf-token", &slow_tik.csrf)
            .body(reqwest::Body::wrap_stream(slow))
            .send();
        (go, tokio::spawn(send))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (go, first, busy) = 'tries: loop {
        assert!(std::time::Instant::now() < deadline, "no 429 while an upload was arriving within 30 s");
        let (go, mut first) = start_slow();
        // give the slow upload time to take the slot before the second one is tried
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for _ in 0..50 {
            if first.is_finished() {
                // it lost the slot to one of our own small uploads (the race this tests): again
                let r = (&mut first).await.unwrap().expect("an answer");
                assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the slow upload ended early");
                continue 'tries;
            }
            let r = small().await.unwrap();
            if r.status() == StatusCode::TOO_MANY_REQUESTS {
                break 'tries (go, first, r);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    assert!(busy.headers().contains_key("retry-after"));
    assert_eq!(busy.json::<Value>().await.unwrap()["code"], "upload_in_progress");
    go.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(small().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "the slot is free again");
}

/// Each route takes what it needs: bodies over its limit are 413 with `{code, message}`, checked
/// on the declared length and on a stream that declares none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413_json_on_every_route() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let op = node.login("op").await;
    let (ticket, _) = node.report(&node.client(), "crime", "Dompet saya dicopet di bus Trans Musi tadi sore").await;
    let padded = |n: usize| json!({"username": "op", "password": "x".repeat(n)});
    let note = |n: usize| json!({"action": "note", "text": "x".repeat(n)});
    let cases = [
        ("/api/v1/session".to_owned(), padded(5 << 10)),
        (format!("/api/v1/cases/{ticket}/actions"), note(40 << 10)),
        (format!("/api/v1/reporters/{}/block", "%2B6281234567890"), json!({"reason": "x".repeat(5 << 10)})),
        ("/api/v1/reports".to_owned(), report_body("crime", &"x".repeat(70 << 10))),
    ];
    for (path, body) in cases {
        let r = op.client.post(node.url(&path)).header("x-csrf-token", &op.csrf).json(&body).send().await.unwrap();
        let (s, ct, v) = code_of(r).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{path}: {v}");
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        assert!(v["message"].as_str().is_some_and(|m| m.contains("KiB")), "{path}: {v}");
    }
    // no Content-Length: the stream is cut at the limit
    let r = node
        .client()
        .post(node.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body(streamed_zeros(1 << 20))
        .send()
        .await
        .unwrap();
    let (s, _, v) = code_of(r).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    // a real note still fits
    let (s, v) = op.act(&ticket, note(4000)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// A page of another origin cannot change state with a victim's session, even holding its CSRF
/// token; the node's own origin and API clients (no Origin) can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_state_changes_are_refused() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let op = node.login("op").await;
    let (ticket, _) = node.report(&node.client(), "crime", "Motor dicuri di parkiran Pasar 16 Ilir tadi pagi").await;
    let action = node.url(&format!("/api/v1/cases/{ticket}/actions"));
    let note = json!({"action": "note", "text": "catatan"});
    let send = |headers: Vec<(&'static str, String)>| {
        let mut r = op.client.post(&action).header("x-csrf-token", &op.csrf).json(&note);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        async move { code_of(r.send().await.unwrap()).await }
    };
    let refused = [
        vec![("origin", "https://evil.example".to_owned())],
        vec![("origin", "https://evil.example".to_owned()), ("sec-fetch-site", "cross-site".to_owned())],
        vec![("origin", "null".to_owned())],
        vec![("origin", node.base.replace("https://", "http://"))],
        vec![("sec-fetch-site", "same-site".to_owned())],
    ];
    for h in refused {
        let (s, ct, v) = send(h.clone()).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_origin")), "{h:?}: {v}");
        assert!(ct.starts_with("application/json"));
    }
    let case = op.case(&ticket).await;
    assert!(
        !case["history"].as_array().unwrap().iter().any(|e| e.to_string().contains("catatan")),
        "nothing was written"
    );
    for h in [vec![("origin", node.base.clone()), ("sec-fetch-site", "same-origin".to_owned())], vec![]] {
        let (s, _, v) = send(h.clone()).await;
        assert_eq!(s, StatusCode::OK, "{h:?}: {v}");
    }
    // public state changes too: a report posted from another site's form
    let r = node
        .client()
        .post(node.url("/api/v1/reports"))
        .header("origin", "https://evil.example")
        .json(&report_body("crime", "Laporan palsu dari situs lain yang meniru banpol"))
        .send()
        .await
        .unwrap();
    let (s, _, v) = code_of(r).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_origin")), "{v}");
    // logout is a state change; reads are not
    let r = op
        .client
        .delete(node.url("/api/v1/session"))
        .header("x-csrf-token", &op.csrf)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = op.client.get(node.url("/api/v1/me")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the session is still there");
}

/// Public tracking: a few lookups per address, then 429 with Retry-After (a wrong token counts
/// the same), while filing a report has its own budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_tracking_is_rate_limited_per_address() {
    let mut o = Options::default();
    o.env.push(("BANPOL_TRACKING_LIMIT_PER_IP".into(), "3/1m".into()));
    let node = TestNode::spawn_with(o);
    let c = node.client();
    let (ticket, token) = node.report(&c, "crime", "Dompet saya dicopet di bus Trans Musi tadi sore").await;
    let track = |tok: String| {
        let c = c.clone();
        let url = node.url(&format!("/api/v1/reports/{ticket}?token={tok}"));
        async move { c.get(url).send().await.unwrap() }
    };
    assert_eq!(track(token.clone()).await.status(), StatusCode::OK);
    assert_eq!(track("WRONGTOK".into()).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(track(token.clone()).await.status(), StatusCode::OK);
    let r = track(token.clone()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");
    assert!(v["message"].as_str().unwrap().contains("status lookups"), "{v}");
    node.report(&c, "crime", "Helm dicuri di parkiran masjid setelah salat Jumat").await;
}

fn total(fig: &Value, key: &str) -> u64 {
    fig["days"].as_array().unwrap().iter().map(|d| d[key].as_u64().unwrap()).sum()
}

/// A unit officer's prank figures count its unit's cases only; the duty desk sees the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prank_figures_are_scoped_like_the_queue() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("op", "operator", None);
    node.add_user("oki1", "unit_officer", Some("OKI"));
    node.add_user("plg1", "unit_officer", Some("PLG"));
    let op = node.login("op").await;
    let c = node.client();
    let file = |phone: &'static str, text: &'static str| {
        let c = c.clone();
        let url = node.url("/api/v1/reports");
        async move {
            let r = c.post(url).json(&report_from(phone, "crime", text)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned()
        }
    };
    let a = file("0812-7000-0001", "Motor dicuri di parkiran Pasar Kayuagung tadi pagi").await;
    let b = file("0812-7000-0002", "Dompet dicopet di bus Trans Musi dekat Ampera").await;
    let p = file("0812-7000-0003", "Ada bom di kantor polisi, cepat datang sekarang juga").await;
    let extra = file("0812-7000-0004", "Kabel listrik dicuri di gardu dekat Pasar Kayuagung").await;
    for (t, unit) in [(&a, "OKI"), (&b, "PLG"), (&extra, "OKI")] {
        let (s, v) = op.act(t, json!({"action": "verify", "method": "callback_confirmed"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = op.act(t, json!({"action": "dispatch", "unit": unit})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = op.act(&p, json!({"action": "reject", "reason": "prank"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (_, all) = op.get("/api/v1/stats/prank?days=1").await;
    assert_eq!((total(&all, "reports"), total(&all, "pranks")), (4, 1), "{all}");
    let (s, oki) = node.login("oki1").await.get("/api/v1/stats/prank?days=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((total(&oki, "reports"), total(&oki, "pranks")), (2, 0), "{oki}");
    let (_, plg) = node.login("plg1").await.get("/api/v1/stats/prank?days=1").await;
    assert_eq!((total(&plg, "reports"), total(&plg, "pranks")), (1, 0), "{plg}");
    assert_eq!(plg["blocked_now"], 0);
}

/// Photos over the cap or of another type are refused with a reply to the reporter; the one
/// whose size is declared too large is never downloaded, the one that lies about its size is cut
/// off at the cap, and nothing of either is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_cap_whatsapp_media_is_refused_with_a_reply() {
    let stand = whatsapp::Stand::start();
    let mut n = whatsapp::node(&stand);
    let c = n.client();
    let who = "6281366660006";
    whatsapp::say(&n, &c, who, "wamid.H1", whatsapp::text("4")).await;
    whatsapp::replies(&stand, who, 1).await;
    let before = rss_kib(n.pid());
    let watch = RssPeak::watch(n.pid());
    for (i, id) in [whatsapp::MEDIA_BIG, whatsapp::MEDIA_LIAR, whatsapp::MEDIA_PDF].iter().enumerate() {
        let content = json!({"type": "image", "image": {"id": id, "mime_type": "image/jpeg", "sha256": "x"}});
        whatsapp::say(&n, &c, who, &format!("wamid.H2{i}"), content).await;
    }
    // each photo is acknowledged by the conversation, then refused by the fetcher
    let refusals = eventually(20, || async {
        let r: Vec<String> =
            stand.texts_to(who).into_iter().filter(|t| t.contains("tidak dapat kami terima")).collect();
        (r.len() >= 3).then_some(r)
    })
    .await;
    let peak = watch.peak();
    assert_eq!(refusals.len(), 3, "{refusals:?}");
    assert_eq!(refusals.iter().filter(|t| t.contains("lebih dari 5 MB")).count(), 2, "{refusals:?}");
    assert_eq!(refusals.iter().filter(|t| t.contains("JPEG atau PNG")).count(), 1, "{refusals:?}");
    assert_eq!(stand.served(whatsapp::MEDIA_BIG), 0, "a declared 64 MiB photo is not downloaded");
    assert_eq!(stand.served(whatsapp::MEDIA_PDF), 0, "a PDF is not downloaded");
    let served = stand.served(whatsapp::MEDIA_LIAR);
    println!(
        "hardening: a photo served as {} MiB was cut off after {} KiB produced; node RSS +{} KiB",
        whatsapp::HUGE >> 20,
        served >> 10,
        peak.saturating_sub(before)
    );
    // what the stand-in produced includes what sat in loopback socket buffers when the node hung
    // up (several MiB under load, 21 MiB seen once): half the file proves the node stopped
    assert!(served < whatsapp::HUGE / 2, "the download went on: {served} bytes");
    let growth = peak.saturating_sub(before);
    assert!(growth < 20 << 10, "the node buffered the photo: RSS grew by {growth} KiB");

    // the report is still filed; the refused photos are listed without a kept copy
    whatsapp::say(&n, &c, who, "wamid.H3", whatsapp::text("Tabrak lari di simpang lima, korban dibawa ke rumah sakit"))
        .await;
    whatsapp::say(&n, &c, who, "wamid.H4", json!({"type": "location", "location": {"latitude": -2.9911, "longitude": 104.7567, "name": "Simpang Lima DPRD"}})).await;
    whatsapp::say(&n, &c, who, "wamid.H5", whatsapp::text("ya")).await;
    let receipt =
        eventually(20, || async { stand.texts_to(who).into_iter().find(|t| t.contains("Nomor tiket")) }).await;
    let ticket = whatsapp::ticket_in(&receipt);
    n.add_user("op", "operator", None);
    let op = n.login("op").await;
    let case = op.case(&ticket).await;
    let att = case["attachments"].as_array().unwrap();
    assert_eq!(att.len(), 3, "{case}");
    assert!(att.iter().all(|a| a["sha256"].is_null()), "nothing kept: {att:?}");
}

/// The WhatsApp webhook takes at most 1 MiB and refuses a larger declared `Content-Length`
/// before reading: the 413 arrives while the sender still holds the rest of the body back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_webhook_delivery_is_refused_on_its_declared_length() {
    use futures_util::StreamExt;
    let stand = whatsapp::Stand::start();
    let n = whatsapp::node(&stand);
    let c = n.client();
    let (_hold, wait) = tokio::sync::oneshot::channel::<()>();
    let held = futures_util::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 64 << 10])) })
        .chain(futures_util::stream::once(async move {
            let _ = wait.await;
            Ok(bytes::Bytes::from(vec![b' '; 2 << 20]))
        }));
    let send = c
        .post(n.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header("content-length", (64 << 10) + (2 << 20))
        .body(reqwest::Body::wrap_stream(held))
        .send();
    let r = tokio::time::timeout(Duration::from_secs(10), send)
        .await
        .expect("an answer while the body is still held back")
        .expect("an answer");
    let (s, ct, v) = code_of(r).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    assert!(ct.starts_with("application/json"), "{ct}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("1 MiB")), "{v}");
    // within the limit, an unsigned delivery is refused on its signature, not its size
    let r = c
        .post(n.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .body(vec![b' '; 1 << 20])
        .send()
        .await
        .unwrap();
    let (s, _, v) = code_of(r).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_signature")), "{v}");
}
