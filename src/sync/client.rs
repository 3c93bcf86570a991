//! The child's side of sync: enrollment (`banpol node join`), and the worker that keeps the
//! link to the parent: events go up in order with several batches in flight, the feed comes
//! down by long polling, and a lost link is retried with backoff and jitter.

use super::pki::{self, Upstream, UpstreamFile};
use super::wire::{self, Ack, Hello, HelloReply, JoinReply, JoinRequest, Vector};
use super::SyncError;
use crate::model::sync::{backlog, held_by_parent, plan, Head, Held, Upload};
use crate::model::NodeCode;
use crate::service::{self, export as ss_export, sync as ss, App};
use futures_util::stream::{FuturesOrdered, StreamExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Batches of one origin in flight at once.
const WINDOW: usize = 4;
/// How long the parent holds a feed request open when it has nothing.
const LONG_POLL_MS: u64 = 20_000;

fn http(tls: rustls::ClientConfig) -> Result<reqwest::Client, SyncError> {
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(WINDOW + 2)
        // the parent closes a keep-alive connection after 5 idle seconds and hellos come every
        // 5: a connection that old could be closed under the next request
        .pool_idle_timeout(Duration::from_secs(3))
        .build()?)
}

/// The reply to `req`, or why there is none: the parent could not be reached, or refused.
async fn call(req: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response, SyncError> {
    let r = req.send().await.map_err(|source| SyncError::Unreachable { url: url.to_owned(), source })?;
    if !r.status().is_success() {
        return Err(SyncError::refused(r).await);
    }
    Ok(r)
}

/// Enrolls this node with its parent: checks that `url` is the node that made the token (the
/// token pins its CA), makes a key, gets it certified, and records the parent.
pub async fn join(dir: &Path, node: &NodeCode, url: &str, token: &str) -> Result<String, SyncError> {
    let url = url.trim_end_matches('/');
    if !url.starts_with("https://") {
        return Err(SyncError::Setup("the parent's address must be an https:// URL, like https://hub:8444".into()));
    }
    let t = ss::parse_token(token)?;
    if &t.code != node {
        return Err(SyncError::Setup(format!(
            "this token is for node {}, but this node is {node}: ask for a token for {node}",
            t.code
        )));
    }
    let probe = http(pki::client_config(None, None, None, Default::default())?)?;
    let ca_pem = call(probe.get(format!("{url}{}/ca", wire::API)), url).await?.text().await?;
    let ca_der = pki::pem_certs(&ca_pem)?.remove(0);
    if !pki::sha256_hex(&ca_der).starts_with(&t.ca_prefix) {
        return Err(SyncError::Setup(format!(
            "the node at {url} is not the one that made this token (its CA fingerprint differs): check the address"
        )));
    }
    let (key_pem, public_key) = pki::child_key()?;
    // the server certificate this CA-checked connection shows is the parent's: pin it
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let pinned = http(pki::client_config(Some(&ca_pem), None, None, seen.clone())?)?;
    let join = JoinRequest { token: token.trim().to_owned(), public_key: hex::encode(public_key) };
    let r = call(pinned.post(format!("{url}{}/join", wire::API)).json(&join), url).await?;
    let reply: JoinReply = r.json().await?;
    pki::save_child_identity(dir, &key_pem, &reply.cert_pem, &reply.ca_pem)?;
    if let Some(k) = &reply.sop_key {
        pki::write_public(&dir.join(crate::service::sop::TRUSTED_KEY), k)?;
    }
    if let Some(k) = &reply.pseudonym_key {
        crate::service::export::take_parent_key(dir, k).map_err(|e| SyncError::Setup(e.to_string()))?;
    }
    let server_sha256 = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if server_sha256.is_none() {
        return Err(SyncError::Parent("the parent's sync server certificate was not seen: try again".into()));
    }
    let f = UpstreamFile { url: url.to_owned(), parent: reply.parent.clone(), server_sha256 };
    let text = serde_json::to_string_pretty(&f).map_err(|e| SyncError::Setup(e.to_string()))?;
    pki::write_public(&dir.join(pki::UPSTREAM), &text)?;
    Ok(reply.parent)
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
            Ok(()) => SyncError::Ended,
            Err(e) => e,
        };
        let why = e.chain();
        tracing::info!(parent = %up.parent, error = %why, permanent = e.is_permanent(), "sync link down; retrying");
        app.sync.update(&up.parent, "parent", |p| {
            p.connected = false;
            p.last_error = Some(why);
        });
        // a link that came up before it broke is flaky, not down: retry soon; a permanent error
        // (a refusal) or a parent that cannot be reached backs off
        if (progress.load(Ordering::Relaxed) && !e.is_permanent()) || started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(250);
        }
        // full jitter (a random wait in 0..backoff): a fleet of posts coming back after an
        // outage does not knock at once
        let wait = backoff.mul_f64(rand::random::<f64>());
        backoff = (backoff * 2).min(Duration::from_secs(30));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn session(app: &Arc<App>, up: &mut Upstream, progress: &AtomicBool) -> Result<(), SyncError> {
    let client = http(up.tls()?)?;
    let hello =
        call(client.post(format!("{}{}/hello", up.url, wire::API)).json(&hello_now(app, 0, None)), &up.url).await?;
    let parent: HelloReply = hello.json().await?;
    if parent.node != up.parent {
        return Err(SyncError::Parent(format!(
            "the node at {} is {}, not this node's parent {}",
            up.url, parent.node, up.parent
        )));
    }
    if let Some(k) = &parent.pseudonym_key {
        if let Err(e) = ss_export::take_parent_key(&app.data_dir, k) {
            tracing::warn!(error = %e, "the hub's pseudonym key could not be kept");
        }
    }
    if up.pin_server(&app.data_dir)? {
        tracing::info!(parent = %up.parent, "pinned the parent's sync server certificate (enrolled before pinning)");
    }
    let up: &Upstream = up;
    progress.store(true, Ordering::Relaxed);
    crate::update::supervise::upstream_reached(app);
    check_release(app, up, &client).await;
    check_sop(app, up, &client).await;
    send_shifts(app, up, &client).await;
    follow_drills(app, up, &client).await;
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

async fn upward(
    app: &Arc<App>,
    up: &Upstream,
    client: &reqwest::Client,
    progress: &AtomicBool,
) -> Result<(), SyncError> {
    let r = call(client.get(format!("{}{}/vector", up.url, wire::API)), &up.url).await?;
    let vector: Vector = r.json().await?;
    let mut changes = app.changes.subscribe();
    let mine = ss::flushed_heads(app);
    for (origin, head) in &mine {
        if let Some(h) = vector.heads.get(origin.as_str()).filter(|h| h.epoch != head.epoch) {
            tracing::info!(%origin, parent_epoch = h.epoch, epoch = head.epoch, "new epoch: sending the whole log again");
        }
    }
    let mut held: Held = held_by_parent(&mine, &vector.heads);
    let mut last_hello = tokio::time::Instant::now();
    let mut reported = ss::subtree(app);
    let mut polsek_sent = std::collections::BTreeMap::new();
    loop {
        push_polsek(app, up, client, &mut polsek_sent).await?;
        let heads = ss::flushed_heads(app);
        // a node enrolled below since the last hello: tell the parent before sending its events
        if heads.keys().any(|o| o != &app.node && !reported.contains_key(o.as_str())) {
            let now = ss::subtree(app);
            if now != reported {
                call(client.post(format!("{}{}/hello", up.url, wire::API)).json(&hello_now(app, 0, None)), &up.url)
                    .await?;
                reported = now;
            }
        }
        for upload in plan(&app.node, &heads, &held) {
            let Some(head) = heads.get(&upload.origin) else { continue };
            let link = Link { app, up, client, progress };
            let done = send_origin(&link, &upload, head).await?;
            held.insert(upload.origin, done);
        }
        let waiting = backlog(&heads, &held);
        app.sync.update(&up.parent, "parent", |p| {
            p.last_contact = Some(service::now());
            p.events_waiting = waiting;
            p.lag_seconds = Some(0.0);
            p.last_error = None;
        });
        if last_hello.elapsed() > Duration::from_secs(5) {
            last_hello = tokio::time::Instant::now();
            let hello = hello_now(app, waiting, Some(0));
            call(client.post(format!("{}{}/hello", up.url, wire::API)).json(&hello), &up.url).await?;
            check_release(app, up, client).await;
            check_sop(app, up, client).await;
            send_shifts(app, up, client).await;
            follow_drills(app, up, client).await;
        }
        // a local write wakes us; the flush it waits for follows within milliseconds
        if waiting == 0 {
            let _ = tokio::time::timeout(Duration::from_secs(1), changes.recv()).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// What a session works with.
struct Link<'a> {
    app: &'a Arc<App>,
    up: &'a Upstream,
    client: &'a reqwest::Client,
    progress: &'a AtomicBool,
}

/// Sends one upload of the plan (`head` is its origin's flushed head), `WINDOW` batches in
/// flight; returns the last seq the parent acknowledged.
async fn send_origin(link: &Link<'_>, upload: &Upload, head: &Head) -> Result<u64, SyncError> {
    let Link { app, up, client, progress } = *link;
    let origin = &upload.origin;
    let segments = wire::segments_header(&head.segments);
    let mut acked = upload.after;
    let mut next = upload.after;
    let mut inflight = FuturesOrdered::new();
    loop {
        while inflight.len() < WINDOW && next < upload.until {
            let mut batch = ss::events_after(app, origin, next, wire::BATCH_EVENTS)?;
            batch.truncate(wire::batch_len(batch.iter().map(|(_, b)| b.len())));
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            next = last;
            // what of this log will still wait once this batch is in, and how old the oldest is
            let backlog = head.waiting_after(last);
            let lag_ms =
                if backlog == 0 { Some(0) } else { ss::age_after(app, origin, last).map(|s| (s * 1000.0) as u64) };
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
                let ack: Ack = call(req, &up.url).await?.json().await?;
                Ok::<_, SyncError>((last, ack))
            });
        }
        match inflight.next().await {
            None => return Ok(acked),
            Some(r) => {
                let (last, ack) = r?;
                if ack.head.seq < last && ack.head.epoch == head.epoch {
                    return Err(SyncError::Parent(format!(
                        "the parent acknowledged {origin} up to {} only, after a batch ending at {last}",
                        ack.head.seq
                    )));
                }
                acked = last;
                progress.store(true, Ordering::Relaxed);
                app.sync.update(&up.parent, "parent", |p| {
                    p.last_contact = Some(service::now());
                    p.events_waiting = head.waiting_after(acked);
                    p.lag_seconds = ss::age_after(app, origin, acked);
                });
            }
        }
    }
}

async fn downward(
    app: &Arc<App>,
    up: &Upstream,
    client: &reqwest::Client,
    progress: &AtomicBool,
) -> Result<(), SyncError> {
    let mut cursor = ss::feed_cursor(app)?;
    loop {
        let r = client.get(format!("{}{}/feed", up.url, wire::API)).query(&[
            ("after", cursor.pos.to_string()),
            ("epoch", cursor.epoch.to_string()),
            ("wait_ms", LONG_POLL_MS.to_string()),
        ]);
        let r = call(r, &up.url).await?;
        let num = |name: &str| -> Result<u64, SyncError> {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| SyncError::Parent(format!("the parent's feed reply lacks {name}")))
        };
        let next = ss::FeedCursor { epoch: num(wire::H_FEED_EPOCH)?, pos: num(wire::H_FEED_NEXT)? };
        let body = r.bytes().await?;
        let events = ss::prepare(wire::unpack(&body)?)
            .await
            .map_err(|r| SyncError::Service(service::ServiceError::FeedRefused(r.to_string())))?;
        if !events.is_empty() || next != cursor {
            ss::receive_down(app, events, next.clone()).await?;
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
        sop: Some(app.sop().version.clone()),
    }
}

/// Sends the parent each Polsek list newer than what it took in this session (one list a
/// request; the parent skips versions it holds). A list the parent refuses is logged and not
/// sent again in this session.
async fn push_polsek(
    app: &Arc<App>,
    up: &Upstream,
    client: &reqwest::Client,
    sent: &mut std::collections::BTreeMap<String, u64>,
) -> Result<(), SyncError> {
    let lists = match service::polsek::lists_after(app, sent) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "Polsek lists not read");
            return Ok(());
        }
    };
    for s in lists {
        let r = client.post(format!("{}{}/polsek", up.url, wire::API)).json(&s).send().await;
        match r {
            Ok(r) if r.status().is_success() => {
                tracing::info!(polres = %s.polres, version = s.version, "Polsek list sent to the parent");
            }
            Ok(r) if r.status() == reqwest::StatusCode::UNPROCESSABLE_ENTITY => {
                let why = r.text().await.unwrap_or_default();
                tracing::warn!(polres = %s.polres, version = s.version, %why, "the parent refused a Polsek list");
            }
            // an older parent without the route, or a passing failure: the next round tries again
            Ok(r) => {
                tracing::debug!(status = %r.status(), "Polsek list not taken by the parent yet");
                return Ok(());
            }
            Err(source) => return Err(SyncError::Unreachable { url: up.url.clone(), source }),
        }
        sent.insert(s.polres.clone(), s.version);
    }
    Ok(())
}

/// Fetches the SOP versions the parent holds above this node's newest and takes each the hub
/// sealed (`service::sop::receive`); a refusal is kept in the sync status, the node keeps its SOP.
async fn check_sop(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) {
    let after = service::sop::held_serial(app);
    let offered = async {
        let r = call(client.get(format!("{}{}/sop", up.url, wire::API)).query(&[("after", after)]), &up.url).await?;
        Ok::<_, SyncError>(r.json::<Vec<service::sop::SignedSop>>().await?)
    };
    let offered = match offered.await {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e.chain(), "SOP versions from the parent not fetched");
            return;
        }
    };
    for s in offered {
        match service::sop::receive(app, &s).await {
            Ok(new) => {
                if new {
                    tracing::info!(version = %s.version, serial = s.serial, "SOP version from the hub taken");
                }
                app.sync.update(&up.parent, "parent", |p| p.sop_refused = None);
            }
            Err(e) => {
                let code = match &e {
                    service::ServiceError::SopRefused(r) => r.code(),
                    service::ServiceError::SopInvalid(_) => "sop_invalid",
                    _ => "sop_not_taken",
                };
                tracing::warn!(version = %s.version, %code, error = %e, "SOP version from the parent refused");
                app.sync.update(&up.parent, "parent", |p| p.sop_refused = Some(format!("{code}: {e}")));
                break;
            }
        }
    }
    let running = app.sop().version.clone();
    app.sync.update(&up.parent, "parent", |p| p.sop_version = Some(running));
}

/// Sends this node's shift handover snapshots the parent lacks (a new one, or a new note), in
/// batches; a failure is logged and retried at the next hello.
async fn send_shifts(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) {
    let sent = async {
        loop {
            let shifts = service::recap::shifts_to_send(app, wire::SHIFT_BATCH)?;
            if shifts.is_empty() {
                return Ok::<_, SyncError>(());
            }
            let url = format!("{}{}/shifts", up.url, wire::API);
            let ack: wire::ShiftAck =
                call(client.post(url).json(&wire::ShiftBatch { shifts }), &up.url).await?.json().await?;
            service::recap::shifts_sent(app, ack.rev).await?;
        }
    };
    if let Err(e) = sent.await {
        tracing::warn!(error = %e.chain(), "shift handovers not sent to the parent; retrying at the next hello");
    }
}

/// Follows the parent's word on the drills it started for this node (start, pause, resume,
/// abort: `service::drill::hub::take_orders`), then sends up this node's part of each that the
/// parent does not hold final yet. Failures are logged and retried at the next hello.
async fn follow_drills(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) {
    let done = async {
        let r = call(client.get(format!("{}{}/drills", up.url, wire::API)), &up.url).await?;
        let orders: Vec<service::drill::Order> = r.json().await?;
        service::drill::hub::take_orders(app, orders).await;
        for report in service::drill::hub::reports(app)? {
            call(client.post(format!("{}{}/drills", up.url, wire::API)).json(&report), &up.url).await?;
            service::drill::hub::reported(app, &report).await?;
        }
        Ok::<_, SyncError>(())
    };
    if let Err(e) = done.await {
        tracing::debug!(error = %e.chain(), "drills not followed with the parent; retrying at the next hello");
    }
}

/// Asks the parent whether a release is meant for this node; if so fetches it, verifies it
/// against the keys compiled in (none: refused), installs it and restarts into it. Failures are
/// logged and retried at the next hello; the node keeps serving.
async fn check_release(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) {
    if let Err(e) = try_release(app, up, client).await {
        tracing::warn!(error = %e.chain(), "release from the parent not installed");
    }
}

async fn try_release(app: &Arc<App>, up: &Upstream, client: &reqwest::Client) -> Result<(), SyncError> {
    let r = call(client.get(format!("{}{}/release", up.url, wire::API)), &up.url).await?;
    if r.status() == reqwest::StatusCode::NO_CONTENT {
        return Ok(());
    }
    let offer: wire::Offer = r.json().await?;
    let st = crate::update::status(&app.data_dir, &app.supervision)?;
    if st.running == offer.version
        || st.current.as_deref() == Some(offer.version.as_str())
        || st.rejected.iter().any(|x| x.version == offer.version)
    {
        return Ok(());
    }
    let r = call(client.get(format!("{}{}/release/archive", up.url, wire::API)), &up.url).await?;
    let bytes = r.bytes().await?;
    let verified = crate::update::verify(&bytes, &crate::update::TrustedKeys::load(&app.supervision)?)?;
    let installed = crate::update::install(&verified, &app.data_dir, ss::stored_format(app)?)?;
    tracing::info!(version = %installed.version, "release from the parent installed; restarting into it");
    app.restart.notify_one();
    Ok(())
}
