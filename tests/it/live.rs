//! The live stream (Server-Sent Events) that consoles and the board follow.

use crate::support::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Reads events from an open stream until one for `ticket` arrives; returns it and the wait.
async fn next_for(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buf: &mut String,
    ticket: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if let Some(data) = frame.strip_prefix("event: case\ndata: ") {
                let v: Value = serde_json::from_str(data.trim()).unwrap();
                if v["ticket"] == ticket {
                    return v;
                }
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, stream.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// A report posted on loopback shows in an open console's stream; a unit officer of another
/// unit does not see it. Prints the delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_report_reaches_an_open_console_at_once() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("oki1", "unit_officer", Some("OKI"));
    let op = node.login("op").await;
    let r = op.client.get(format!("{}/api/v1/stream", op.base)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut s = r.bytes_stream();
    let mut buf = String::new();
    let oki = node.login("oki1").await;
    let mut other = oki.client.get(format!("{}/api/v1/stream", oki.base)).send().await.unwrap().bytes_stream();

    let t = Instant::now();
    let (ticket, _) =
        node.report(&node.client(), "crime", "Perampokan di toko emas Pasar 16, pelaku kabur naik motor").await;
    let ev = next_for(&mut s, &mut buf, &ticket).await;
    let delay = t.elapsed();
    assert_eq!(ev["status"], "new");
    assert_eq!(ev["category"], "crime");
    println!(
        "live: report {ticket} seen in the open console {:.1} ms after the POST was sent",
        delay.as_secs_f64() * 1000.0
    );

    let (_, v) = op.act(&ticket, json!({"action": "verify", "method": "callback_confirmed"})).await;
    assert_eq!(v["status"], "verified");
    assert_eq!(next_for(&mut s, &mut buf, &ticket).await["status"], "verified");

    // the OKI officer's stream never carries the PLG case
    let seen = tokio::time::timeout(Duration::from_millis(500), async {
        let mut b = String::new();
        while let Some(Ok(chunk)) = other.next().await {
            b.push_str(&String::from_utf8_lossy(&chunk));
            if b.contains(&ticket) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(!seen, "a case of another unit is not streamed");
}
