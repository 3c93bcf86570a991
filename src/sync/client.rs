//! The child's side of sync: enrollment (`banpol node join`), and the worker that keeps the
//! link to the parent: events go up in order with several batches in flight, the feed comes
//! down by long polling, and a lost link is retried with backoff and jitter.

use super::pki::{self, Upstream, UpstreamFile};
use super::wire::{self, Ack, Hello, HelloReply, JoinReply, JoinRequest, Vector};
use crate::model::{Event, NodeCode};
use crate::service::{self, sync as ss, App};
use crate::store::Head;
use anyhow::{anyhow, bail, Context};
use futures_util::stream::{FuturesOrdered, StreamExt};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Batches of one origin in flight at once.
const WINDOW: usize = 4;
/// How long the parent holds a feed request open when it has nothing.
const LONG_POLL_MS: u64 = 20_000;

fn http(tls: rustls::ClientConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(WINDOW + 2)
        .build()?)
}

/// The parent answered, and said no: retrying soon would not help.
#[derive(Debug, thiserror::Error)]
#[error("the parent refused ({status}, {code}): {message}")]
struct Refused {
    status: reqwest::StatusCode,
    code: String,
    message: String,
}

async fn refused(r: reqwest::Response) -> anyhow::Error {
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    let text = |k: &str| body.get(k).and_then(|m| m.as_str()).unwrap_or("?").to_owned();
    anyhow::Error::new(Refused { status, code: text("code"), message: text("message") })
}

/// Enrolls this node with its parent: checks that `url` is the node that made the token (the
/// token pins its CA), makes a key, gets it certified, and records the parent.
pub async fn join(dir: &Path, node: &NodeCode, url: &str, token: &str) -> anyhow::Result<String> {
    let url = url.trim_end_matches('/');
    if !url.starts_with("https://") {
        bail!("the parent's address must be an https:// URL, like https://hub:8444");
    }
    let t = ss::parse_token(token).map_err(|e| anyhow!("{e}"))?;
    if &t.code != node {
        bail!("this token is for node {}, but this node is {node}: ask for a token for {node}", t.code);
    }
    let probe = http(pki::client_config(None, None, None, Default::default())?)?;
    let ca_pem = probe
        .get(format!("{url}{}/ca", wire::API))
        .send()
        .await
        .with_context(|| format!("while reaching {url}"))?
        .error_for_status()?
        .text()
        .await?;
    let ca_der = pki::pem_certs(&ca_pem)?.remove(0);
    if !pki::sha256_hex(&ca_der).starts_with(&t.ca_prefix) {
        bail!("the node at {url} is not the one that made this token (its CA fingerprint differs): check the address");
    }
    let (key_pem, public_key) = pki::child_key()?;
    // the server certificate this CA-checked connection shows is the parent's: pin it
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let pinned = http(pki::client_config(Some(&ca_pem), None, None, seen.clone())?)?;
    let r = pinned
        .post(format!("{url}{}/join", wire::API))
        .json(&JoinRequest { token: token.trim().to_owned(), public_key: hex::encode(public_key) })
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(refused(r).await);
    }
    let reply: JoinReply = r.json().await?;
    pki::save_child_identity(dir, &key_pem, &reply.cert_pem, &reply.ca_pem)?;
    let server_sha256 = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if server_sha256.is_none() {
        bail!("the parent's sync server certificate was not seen: try again");
    }
    let f = UpstreamFile { url: url.to_owned(), parent: reply.parent.clone(), server_sha256 };
    pki::write_public(&dir.join(pki::UPSTREAM), &serde_json::to_string_pretty(&f)?)?;
    Ok(reply.parent)
}

/// Events this node holds after `after` in an origin's log (its epochs' ranges).
fn waiting(head: &Head, after: u64) -> u64 {
    let mut ranges = Vec::new();
    let mut start = 1;
    for s in &head.segments {
        ranges.push((start, s.prev));
        start = s.first;
    }
    ranges.push((start, head.seq));
    ranges.iter().map(|&(a, b)| if b < a { 0 } else { b.saturating_sub(after.max(a - 1)) }).sum()
}

/// Keeps this node's link to its parent until `stop`. Does nothing until the node has joined.
pub async fn run(app: Arc<App>, url_override: Option<String>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(250);
    loop {
        if *stop.borrow() {
            return;
        }
        let mut up = match Upstream::load(&app.data_dir, url_override.as_deref()) {
            Ok(Some(u)) => u,
            Ok(None) => {
                let _ = tokio::time::timeout(Duration::from_secs(2), stop.changed()).await;
                continue;
            }
            Err(e) => {
                app.sync.update("upstream", "parent", |p| p.last_error = Some(e.to_string()));
                let _ = tokio::time::timeout(Duration::from_secs(10), stop.changed()).await;
                continue;
            }
        };
        let started = tokio::time::Instant::now();
        let progress = AtomicBool::new(false);
        let result = tokio::select! {
            r = session(&app, &mut up, &progress) => r,
            _ = stop.changed() => return,
        };
        let e = match result {
            Ok(()) => anyhow!("the link ended"),
            Err(e) => e,
        };
        tracing::info!(parent = %up.parent, error = %format!("{e:#}"), "sync link down; retrying");
        app.sync.update(&up.parent, "parent", |p| {
            p.connected = false;
            p.last_error = Some(format!("{e:#}"));
        });
        // a link that came up before it broke is flaky, not down: retry soon; a refusal or a
        // parent that cannot be reached backs off
        let refusal = e.downcast_ref::<Refused>().is_some();
        if (progress.load(Ordering::Relaxed) && !refusal) || started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(250);
        }
        // full jitter: a fleet of posts coming back after an outage does not knock at once
        let wait = backoff.mul_f64(0.5 + rand::random::<f64>() * 0.5);
        backoff = (backoff * 2).min(Duration::from_secs(30));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn session(app: &Arc<App>, up: &mut Upstream, progress: &AtomicBool) -> anyhow::Result<()> {
    let client = http(up.tls()?)?;
    let hello = client
        .post(format!("{}{}/hello", up.url, wire::API))
        .json(&hello_now(app, 0, None))
        .send()
        .await
        .with_context(|| format!("while reaching {}", up.url))?;
    if !hello.status().is_success() {
        return Err(refused(hello).await);
    }
    let parent: HelloReply = hello.json().await?;
    if parent.node != up.parent {
        bail!("the node at {} is {}, not this node's parent {}", up.url, parent.node, up.parent);
    }
    if up.pin_server(&app.data_dir)? {
        tracing::info!(parent = %up.parent, "pinned the parent's sync server certificate (enrolled before pinning)");
    }
    let up: &Upstream = up;
    progress.store(true, Ordering::Relaxed);
    crate::update::supervise::upstream_reached(app);
    check_release(app, up, &client).await;
    app.sync.update(&up.parent, "parent", |p| {
        p.connected = true;
        p.last_contact = Some(service::now());
        p.version = Some(parent.version.clone());
        p.last_error = None;
    });
    tokio::select! {
        r = upward(app, up, &client, progress) => r,
        r = downward(app, up, &client, progress) => r,
    }
}

async fn upward(app: &Arc<App>, up: &Upstream, client: &reqwest::Client, progress: &AtomicBool) -> anyhow::Result<()> {
    let r = client.get(format!("{}{}/vector", up.url, wire::API)).send().await?;
    if !r.status().is_success() {
        return Err(refused(r).await);
    }
    let vector: Vector = r.json().await?;
    let mut changes = app.changes.subscribe();
    let mut acked: HashMap<NodeCode, u64> = HashMap::new();
    for (origin, mine) in app.store.flushed_heads() {
        let theirs = vector.heads.get(origin.as_str());
        let from = match theirs {
            Some(h) if h.epoch == mine.epoch => h.seq,
            Some(h) => {
                tracing::info!(%origin, parent_epoch = h.epoch, epoch = mine.epoch, "new epoch: sending the whole log again");
                0
            }
            None => 0,
        };
        acked.insert(origin, from);
    }
    let mut last_hello = tokio::time::Instant::now();
    let mut reported = ss::subtree(app);
    loop {
        let heads = app.store.flushed_heads();
        // a node enrolled below since the last hello: tell the parent before sending its events
        if heads.keys().any(|o| o != &app.node && !reported.contains_key(o.as_str())) {
            let now = ss::subtree(app);
            if now != reported {
                let r =
                    client.post(format!("{}{}/hello", up.url, wire::API)).json(&hello_now(app, 0, None)).send().await?;
                if !r.status().is_success() {
                    return Err(refused(r).await);
                }
                reported = now;
            }
        }
        // the nodes below first, this node's own log last: an event may rest on events of the
        // nodes below (a note on a case reported there), and the parent takes an event only
        // after what allows it (the write rule)
        let mut order: Vec<(&NodeCode, &Head)> = heads.iter().collect();
        order.sort_by_key(|(o, _)| (*o == &app.node, o.as_str().to_owned()));
        for (origin, head) in order {
            let from = *acked.entry(origin.clone()).or_insert(0);
            if from < head.seq {
                let link = Link { app, up, client, progress };
                let done = send_origin(&link, origin, head, from, &heads).await?;
                acked.insert(origin.clone(), done);
            }
        }
        let backlog: u64 = heads.iter().map(|(o, h)| waiting(h, acked.get(o).copied().unwrap_or(0))).sum();
        app.sync.update(&up.parent, "parent", |p| {
            p.last_contact = Some(service::now());
            p.events_waiting = backlog;
            p.lag_seconds = Some(0.0);
            p.last_error = None;
        });
        if last_hello.elapsed() > Duration::from_secs(5) {
            last_hello = tokio::time::Instant::now();
            let hello = hello_now(app, backlog, Some(0));
            let r = client.post(format!("{}{}/hello", up.url, wire::API)).json(&hello).send().await?;
            if !r.status().is_success() {
                return Err(refused(r).await);
            }
            check_release(app, up, client).await;
        }
        // a local write wakes us; the flush it waits for follows within milliseconds
        if backlog == 0 {
            let _ = tokio::time::timeout(Duration::from_secs(1), changes.recv()).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Sends `origin`'s events after `from` up to its flushed head, `WINDOW` batches in flight;
/// returns the last seq the parent acknowledged.
/// What a session works with.
struct Link<'a> {
    app: &'a Arc<App>,
    up: &'a Upstream,
    client: &'a reqwest::Client,
    progress: &'a AtomicBool,
}

async fn send_origin(
    link: &Link<'_>,
    origin: &NodeCode,
    head: &Head,
    from: u64,
    heads: &HashMap<NodeCode, Head>,
) -> anyhow::Result<u64> {
    let Link { app, up, client, progress } = *link;
    let segments = wire::segments_header(&head.segments);
    let mut acked = from;
    let mut next = from;
    let mut inflight = FuturesOrdered::new();
    loop {
        while inflight.len() < WINDOW && next < head.seq {
            let mut batch = app.store.events_after(origin, next, wire::BATCH_EVENTS)?;
            batch.truncate(wire::batch_len(batch.iter().map(|(_, b)| b.len())));
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            next = last;
            // what will still wait once this batch is in, and how old the oldest of it is
            let backlog: u64 = heads.iter().map(|(o, h)| waiting(h, if o == origin { last } else { h.seq })).sum();
            let lag_ms = if backlog == 0 { Some(0) } else { lag_of(app, origin, last).map(|s| (s * 1000.0) as u64) };
            let body = wire::pack(batch.iter().map(|(_, b)| b.as_slice()));
            let req = client
                .post(format!("{}{}/push", up.url, wire::API))
                .header(wire::H_ORIGIN, origin.as_str())
                .header(wire::H_SEGMENTS, segments.clone())
                .header(wire::H_BACKLOG, backlog.to_string())
                .header(wire::H_LAG_MS, lag_ms.unwrap_or(0).to_string())
                .header("content-type", "application/octet-stream")
                .body(body);
            inflight.push_back(async move {
                let r = req.send().await?;
                if !r.status().is_success() {
                    return Err(refused(r).await);
                }
                let ack: Ack = r.json().await?;
                Ok::<_, anyhow::Error>((last, ack))
            });
        }
        match inflight.next().await {
            None => return Ok(acked),
            Some(r) => {
                let (last, ack) = r?;
                if ack.head.seq < last && ack.head.epoch == head.epoch {
                    bail!(
                        "the parent acknowledged {origin} up to {} only, after a batch ending at {last}",
                        ack.head.seq
                    );
                }
                acked = last;
                progress.store(true, Ordering::Relaxed);
                app.sync.update(&up.parent, "parent", |p| {
                    p.last_contact = Some(service::now());
                    p.events_waiting = waiting(head, acked);
                    p.lag_seconds = lag_of(app, origin, acked);
                });
            }
        }
    }
}

/// Age of the oldest event not yet acknowledged, in seconds.
fn lag_of(app: &App, origin: &NodeCode, acked: u64) -> Option<f64> {
    let first = app.store.events_after(origin, acked, 1).ok()?.into_iter().next()?;
    let e: Event = crate::store::decode_event(&first.1).ok()?;
    Some(service::now().0.saturating_sub(e.hlc.millis().0) as f64 / 1000.0)
}

async fn downward(
    app: &Arc<App>,
    up: &Upstream,
    client: &reqwest::Client,
    progress: &AtomicBool,
) -> anyhow::Result<()> {
    let mut cursor = ss::feed_cursor(app)?;
    loop {
        let r = client
            .get(format!("{}{}/feed", up.url, wire::API))
            .query(&[
                ("after", cursor.pos.to_string()),
                ("epoch", cursor.epoch.to_string()),
                ("wait_ms", LONG_POLL_MS.to_string()),
            ])
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(refused(r).await);
        }
        let num = |name: &str| -> anyhow::Result<u64> {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow!("the parent's feed reply lacks {name}"))
        };
        let next = ss::FeedCursor { epoch: num(wire::H_FEED_EPOCH)?, pos: num(wire::H_FEED_NEXT)? };
        let body = r.bytes().await?;
        let events = wire::unpack(&body)?;
        if !events.is_empty() || next != cursor {
            ss::receive_down(app, &events, next.clone()).await.map_err(|e| anyhow!("{e}"))?;
            cursor = next;
            progress.store(true, Ordering::Relaxed);
        }
        app.sync.update(&up.parent, "parent", |p| p.last_contact = Some(service::now()));
    }
}

fn hello_now(app: &App, events_waiting: u64, lag_ms: Option<u64>) -> Hello {
    Hello {
        node: app.node.to_string(),
        version: crate::update::running_version(&app.supervision),
        events_waiting,
        lag_ms,
        below: ss::subtree(app),
        update: crate::update::status(&app.data_dir, &app.supervision).ok().and_then(|s| serde_json::to_value(s).ok()),
    }
}

/// Asks the parent whether a release is meant for this node; if so fetches it, verifies it
/// against the keys compiled in (none: refused), installs it and restarts into it. Failures are
/// logged and retried at the next hello; the node keeps serving.
async fn check_release(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) {
    if let Err(e) = try_release(app, up, client).await {
        tracing::warn!(error = %format!("{e:#}"), "release from the parent not installed");
    }
}

async fn try_release(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) -> anyhow::Result<()> {
    let r = client.get(format!("{}{}/release", up.url, wire::API)).send().await?;
    if r.status() == reqwest::StatusCode::NO_CONTENT {
        return Ok(());
    }
    if !r.status().is_success() {
        return Err(refused(r).await);
    }
    let offer: wire::Offer = r.json().await?;
    let st = crate::update::status(&app.data_dir, &app.supervision)?;
    if st.running == offer.version
        || st.current.as_deref() == Some(offer.version.as_str())
        || st.rejected.iter().any(|x| x.version == offer.version)
    {
        return Ok(());
    }
    let r = client.get(format!("{}{}/release/archive", up.url, wire::API)).send().await?;
    if !r.status().is_success() {
        return Err(refused(r).await);
    }
    let bytes = r.bytes().await?;
    let verified = crate::update::verify(&bytes, &crate::update::TrustedKeys::load(&app.supervision)?)?;
    let installed = crate::update::install(&verified, &app.data_dir, app.store.stored_format()?)?;
    tracing::info!(version = %installed.version, "release from the parent installed; restarting into it");
    app.restart.notify_one();
    Ok(())
}
