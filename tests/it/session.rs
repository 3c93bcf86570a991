//! Sessions that fit a shift, and live streams that end with their session: the stream ends
//! within a second of a logout, a disabled account, a password change or the session's expiry;
//! the user's own requests renew the session, the stream and background requests do not.

use crate::support::*;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

type Body = std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Opens `/api/v1/stream` for a session.
async fn open_stream(s: &Session) -> Body {
    let r = s.client.get(format!("{}/api/v1/stream", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    Box::pin(r.bytes_stream())
}

/// Reads the stream until it ends (within `secs`); returns when it ended and what it sent last.
async fn until_end(stream: &mut Body, secs: u64) -> (Instant, String) {
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.next()).await {
            Err(_) => panic!("the stream was still open after {secs} s; it sent:\n{text}"),
            Ok(None) | Ok(Some(Err(_))) => return (Instant::now(), text),
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
        }
    }
}

/// The stream is still open (it sends nothing that ends it) for `ms`.
async fn still_open(stream: &mut Body, ms: u64) {
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.next()).await {
            Err(_) => return,
            Ok(Some(Ok(chunk))) => {
                let t = String::from_utf8_lossy(&chunk);
                assert!(!t.contains("event: ended"), "the stream ended early: {t}");
            }
            Ok(other) => panic!("the stream closed early: {:?}", other.map(|r| r.map(|b| b.len()))),
        }
    }
}

fn ended_within_a_second(what: &str, done: Instant, (end, text): (Instant, String)) {
    let late = end.saturating_duration_since(done);
    println!("session: stream ended {:.0} ms after {what}", late.as_secs_f64() * 1000.0);
    assert!(late < Duration::from_secs(1), "the stream outlived the session ({what}) by {late:?}");
    assert!(text.ends_with("event: ended\ndata: {\"code\":\"session_expired\"}\n\n"), "last frame: {text:?}");
}

async fn expires_in(s: &Session, background: bool) -> (StatusCode, Option<u64>) {
    let mut req = s.client.get(format!("{}/api/v1/cases", s.base));
    if background {
        req = req.header("x-background", "1");
    }
    let r = req.send().await.unwrap();
    let secs = r.headers().get("x-session-expires-in").map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status(), secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_stream_ends_within_a_second_after_logout_disable_and_password_change() {
    let mut node = TestNode::spawn();
    node.add_user("op1", "operator", None);
    node.add_user("op2", "operator", None);
    node.add_user("op3", "operator", None);
    let admin = node.login("admin").await;

    // logout
    let op = node.login("op1").await;
    let mut s = open_stream(&op).await;
    still_open(&mut s, 200).await;
    let r = op.client.delete(format!("{}/api/v1/session", op.base)).header("x-csrf-token", &op.csrf).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::NO_CONTENT);
    ended_within_a_second("logout", Instant::now(), until_end(&mut s, 5).await);

    // the account disabled by tik_admin over the API; another user's stream stays open
    let op = node.login("op2").await;
    let other = node.login("op3").await;
    let mut s = open_stream(&op).await;
    let mut o = open_stream(&other).await;
    let (status, v) = admin.post("/api/v1/users/op2/disable", &json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    ended_within_a_second("disable", Instant::now(), until_end(&mut s, 5).await);
    still_open(&mut o, 1500).await;

    // a new password set at the machine (the CLI through the admin socket)
    let out = node.cli(&["user", "passwd", "op3", "--password-stdin"], Some("another-password-123"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ended_within_a_second("password change", Instant::now(), until_end(&mut o, 5).await);
    let (status, v) = other.get("/api/v1/me").await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_expired")));
}

/// With `session_ttl = 3s`: an idle session ends 3 s after the last request and its stream with
/// it; requests renew it (and the stream follows the renewal); the stream and requests marked
/// `X-Background: 1` do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_renews_the_session_the_stream_does_not() {
    let mut node =
        TestNode::spawn_with(Options { env: vec![("BANPOL_SESSION_TTL".into(), "3s".into())], ..Default::default() });
    node.add_user("op", "operator", None);

    // the login and /me say when the session ends
    let op = node.login("op").await;
    let (status, me) = op.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(me["expires_in_s"].as_u64().unwrap() <= 3, "{me}");
    assert!(me["expires_at"].as_str().unwrap().ends_with("+07:00"), "{me}");

    // the user keeps working for 6 s (twice the TTL): the session and the stream stay
    let mut s = open_stream(&op).await;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(6) {
        let (status, left) = expires_in(&op, false).await;
        assert_eq!(status, StatusCode::OK, "renewed by the user's requests");
        assert!(left.is_some_and(|l| l <= 3), "{left:?}");
        still_open(&mut s, 700).await;
    }
    // background requests alone do not renew it: it ends 3 s after the last own request
    let last = Instant::now();
    let (_, first) = expires_in(&op, true).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, later) = expires_in(&op, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(later < first, "a background request does not renew: {first:?} then {later:?}");
    let (end, text) = until_end(&mut s, 5).await;
    let idle = end.duration_since(last);
    println!("session: idle stream ended {:.0} ms after the last request (ttl 3 s)", idle.as_secs_f64() * 1000.0);
    assert!(idle > Duration::from_millis(1800) && idle < Duration::from_millis(4000), "{idle:?}");
    assert!(text.contains("event: ended"), "{text:?}");
    let (status, v) = op.get("/api/v1/me").await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_expired")));

    // an open stream alone never keeps a session alive: it ends about 3 s after the login
    let op = node.login("op").await;
    let login = Instant::now();
    let mut s = open_stream(&op).await;
    let (end, _) = until_end(&mut s, 6).await;
    let lived = end.duration_since(login);
    println!("session: stream of an idle login ended {:.0} ms after it (ttl 3 s)", lived.as_secs_f64() * 1000.0);
    assert!(lived > Duration::from_millis(2500) && lived < Duration::from_millis(4000), "{lived:?}");
    let v: Value = op.get("/api/v1/me").await.1;
    assert_eq!(v["code"], "session_expired");
}
