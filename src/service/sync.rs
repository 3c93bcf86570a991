//! Sync use cases (DESIGN §5), independent of the transport: enrolling children with one-time
//! invitations, receiving a child's events (upward) and a parent's feed (downward), routing,
//! and the status board every peer reports to.

use super::{now, random_hex, sha256_hex, App, ServiceError};
use crate::model::event::Event;
use crate::model::sync::{Head, Segment};
use crate::model::write::{may_write, Tree, WriteRefusal};
use crate::model::{Case, EventKind, Millis, NodeCode};
use crate::store::{Applied, Durable, FeedEntry, Incoming, Kv, Routing, StoreError, SyncRefusal, Take};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// An outstanding join invitation (stored under the sha256 of its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    pub code: NodeCode,
    pub expires: Millis,
    pub used: bool,
}

/// An enrolled child.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Peer {
    pub code: NodeCode,
    /// sha256 of the DER certificate it was issued
    pub cert_sha256: String,
    pub enrolled: Millis,
}

/// The state of one sync link as this node sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PeerStatus {
    pub node: String,
    /// "parent" (our upstream) or "child"
    pub direction: &'static str,
    pub connected: bool,
    pub last_contact: Option<Millis>,
    /// events one side holds that the other has not acknowledged yet (for a child: what it
    /// reported waiting to come up, plus `down_waiting`)
    pub events_waiting: u64,
    /// for a child: entries of its feed it has not fetched yet
    pub down_waiting: u64,
    /// age of the oldest event waiting, in seconds
    pub lag_seconds: Option<f64>,
    pub last_error: Option<String>,
    /// the version the peer runs, as it last told
    pub version: Option<String>,
    /// for a child: the last seq of its log this node holds
    pub held_seq: Option<u64>,
    /// for a child: its update state as it last told (what runs, the last rollback)
    pub update: Option<serde_json::Value>,
    /// the SOP version the peer runs for new cases (for the parent link: this node's own)
    pub sop_version: Option<String>,
    /// for the parent link: why this node refused the last SOP the parent offered
    pub sop_refused: Option<String>,
}

/// Live sync status of this node, per peer.
#[derive(Default)]
pub struct Board {
    peers: Mutex<BTreeMap<String, PeerStatus>>,
}

impl Board {
    pub fn update(&self, node: &str, direction: &'static str, f: impl FnOnce(&mut PeerStatus)) {
        let mut g = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        let p = g.entry(node.to_owned()).or_insert_with(|| PeerStatus {
            node: node.to_owned(),
            direction,
            ..Default::default()
        });
        f(p);
    }

    pub fn snapshot(&self) -> Vec<PeerStatus> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }
}

/// Every link's status now: a child is connected while it keeps polling (at least every
/// 20 s), and its `held_seq` is read from the store.
pub fn status(app: &App) -> Vec<PeerStatus> {
    let at = now();
    let heads = app.store.staged_heads();
    let mut seen = app.sync.snapshot();
    // an enrolled child that has not connected since this node started is shown too
    for p in peers(app).unwrap_or_default() {
        if !seen.iter().any(|s| s.node == p.code.as_str()) {
            seen.push(PeerStatus { node: p.code.to_string(), direction: "child", ..Default::default() });
        }
    }
    seen.sort_by(|a, b| a.node.cmp(&b.node));
    seen.into_iter()
        .map(|mut p| {
            if p.direction == "child" {
                p.connected = p.last_contact.is_some_and(|t| at.0.saturating_sub(t.0) < 30_000);
                p.held_seq = NodeCode::parse(&p.node).ok().and_then(|n| heads.get(&n)).map(|h| h.seq);
                p.events_waiting += p.down_waiting;
            }
            p
        })
        .collect()
}

/// How long a join token lasts unless told otherwise.
pub const INVITE_TTL_MS: u64 = 24 * 3600 * 1000;

/// Makes a one-time join token for child `code`; `ca_fingerprint` pins this node for the child.
/// Token: `banpol1.<code>.<secret>.<ca sha256 prefix>`.
pub fn invite(
    app_store: &crate::store::Store,
    code: &NodeCode,
    ttl_ms: u64,
    ca_fingerprint: &str,
) -> Result<String, ServiceError> {
    if code == app_store.node() {
        return Err(ServiceError::SelfInvite(code.clone()));
    }
    let secret = random_hex(16);
    let invite = Invite { code: code.clone(), expires: now().plus(ttl_ms), used: false };
    let (_, d) = app_store.write(now(), |tx| -> Result<(), StoreError> {
        tx.kv_put(Kv::SyncInvite, sha256_hex(&secret).as_bytes(), Some(&invite));
        Ok(())
    })?;
    app_store.durable_blocking(d)?;
    Ok(format!("banpol1.{code}.{secret}.{}", &ca_fingerprint[..32]))
}

/// The parts of a join token.
pub struct Token {
    pub code: NodeCode,
    pub secret: String,
    pub ca_prefix: String,
}

pub fn parse_token(t: &str) -> Result<Token, ServiceError> {
    let bad = || ServiceError::BadJoinToken;
    let mut parts = t.trim().split('.');
    if parts.next() != Some("banpol1") {
        return Err(bad());
    }
    let code = NodeCode::parse(parts.next().ok_or_else(bad)?).map_err(|_| bad())?;
    let secret = parts.next().ok_or_else(bad)?.to_owned();
    let ca_prefix = parts.next().ok_or_else(bad)?.to_owned();
    if parts.next().is_some() || secret.len() != 32 || ca_prefix.len() != 32 {
        return Err(bad());
    }
    Ok(Token { code, secret, ca_prefix })
}

/// Redeems a join token (single use, unexpired) and records the child with the certificate
/// issued to it. `issue` makes the certificate (DER) once the token checks out.
pub async fn enroll(
    app: &App,
    token: &str,
    issue: impl FnOnce(&NodeCode) -> Result<Vec<u8>, String>,
) -> Result<(NodeCode, Vec<u8>), ServiceError> {
    let t = parse_token(token)?;
    let key = sha256_hex(&t.secret);
    let refused = || ServiceError::JoinTokenRefused;
    let (issued, d) = app.store.write(now(), |tx| -> Result<(NodeCode, Vec<u8>), ServiceError> {
        let mut inv: Invite = tx.kv_get(Kv::SyncInvite, key.as_bytes())?.ok_or_else(refused)?;
        if inv.used || inv.expires < tx.now() || inv.code != t.code {
            return Err(refused());
        }
        let der = issue(&inv.code).map_err(ServiceError::CertificateRefused)?;
        inv.used = true;
        tx.kv_put(Kv::SyncInvite, key.as_bytes(), Some(&inv));
        let peer = Peer {
            code: inv.code.clone(),
            cert_sha256: hex::encode(crate::model::event::hash_bytes(&der)),
            enrolled: tx.now(),
        };
        tx.kv_put(Kv::SyncPeer, inv.code.as_str().as_bytes(), Some(&peer));
        Ok((inv.code, der))
    })?;
    app.store.durable(d).await?;
    load_routing(app)?;
    tracing::info!(child = %issued.0, "child node enrolled");
    Ok(issued)
}

/// Every enrolled child.
pub fn peers(app: &App) -> Result<Vec<Peer>, ServiceError> {
    Ok(app.store.kv_scan::<Peer>(Kv::SyncPeer, b"", 10_000)?.into_iter().map(|(_, p)| p).collect())
}

/// The child a client certificate belongs to.
pub fn peer_by_cert(app: &App, cert_sha256: &str) -> Result<Option<NodeCode>, ServiceError> {
    Ok(peers(app)?.into_iter().find(|p| p.cert_sha256 == cert_sha256).map(|p| p.code))
}

/// Loads children and learned routes into the store's routing.
pub fn load_routing(app: &App) -> Result<Routing, ServiceError> {
    let mut r = Routing::default();
    for p in peers(app)? {
        r.children.insert(p.code);
    }
    for (k, child) in app.store.kv_scan::<NodeCode>(Kv::SyncRoute, b"", 100_000)? {
        if let Ok(origin) = NodeCode::parse(&String::from_utf8_lossy(&k)) {
            r.route.insert(origin, child);
        }
    }
    for (k, parent) in app.store.kv_scan::<NodeCode>(Kv::SyncState, PARENT, 100_000)? {
        let Some(node) = k.strip_prefix(PARENT) else { break };
        if let Ok(node) = NodeCode::parse(&String::from_utf8_lossy(node)) {
            r.parent.insert(node, parent);
        }
    }
    app.store.set_routing(r.clone());
    Ok(r)
}

/// The heads a child may compare with its own: its subtree's origins.
pub fn vector_for(app: &App, child: &NodeCode) -> BTreeMap<String, Head> {
    let routing = app.store.routing();
    app.store
        .staged_heads()
        .into_iter()
        .filter(|(o, _)| routing.child_for(o) == Some(child))
        .map(|(o, h)| (o.to_string(), h))
        .collect()
}

/// `SyncState` keys `parent:<node>` -> the parent of a node below this one, as reported.
const PARENT: &[u8] = b"parent:";

/// Records the subtree `child` reports at `hello` (each node below it with its parent): the
/// origins it may then send upward. A node of the directory (a Polres, the Polda), this node,
/// one of its children or a node already below another child is never taken; a node's parent
/// must be `child` or another node of the report. Returns how many entries changed.
pub async fn learn_subtree(
    app: &App,
    child: &NodeCode,
    below: &BTreeMap<String, String>,
) -> Result<usize, ServiceError> {
    let routing = app.store.routing();
    let mut learned = Vec::new();
    for (n, p) in below {
        let (Ok(n), Ok(p)) = (NodeCode::parse(n), NodeCode::parse(p)) else { continue };
        let taken = &n == child
            || n == app.node
            || app.units.has_node(&n)
            || routing.children.contains(&n)
            || routing.child_for(&n).is_some_and(|c| c != child);
        let parent_ok = &p == child || (below.contains_key(p.as_str()) && p != n);
        if taken || !parent_ok {
            if !taken || routing.child_for(&n) != Some(child) {
                tracing::warn!(%child, node = %n, parent = %p, "a child reported a node it may not speak for; ignored");
            }
            continue;
        }
        if routing.route.get(&n) != Some(child) || routing.parent.get(&n) != Some(&p) {
            learned.push((n, p));
        }
    }
    if learned.is_empty() {
        return Ok(0);
    }
    let (_, d) = app.store.write(now(), |tx| -> Result<(), ServiceError> {
        for (n, p) in &learned {
            tx.kv_put(Kv::SyncRoute, n.as_str().as_bytes(), Some(child));
            tx.kv_put(Kv::SyncState, &[PARENT, n.as_str().as_bytes()].concat(), Some(p));
        }
        Ok(())
    })?;
    app.store.durable(d).await?;
    load_routing(app)?;
    tracing::info!(%child, nodes = learned.len(), "learned nodes below a child");
    Ok(learned.len())
}

/// What this node reports upward at `hello`: the nodes below it, each with its parent.
pub fn subtree(app: &App) -> BTreeMap<String, String> {
    app.store.routing().subtree(&app.node)
}

/// Whether `child` may send events of `origin` upward: its own, or of a node it reported below
/// itself (`learn_subtree`). Never this node's own, never a node of the directory but the child.
pub fn may_send(app: &App, child: &NodeCode, origin: &NodeCode) -> bool {
    if origin == &app.node {
        return false;
    }
    if origin == child {
        return true;
    }
    // a node of the directory (a Polres, the Polda) speaks only for itself; what a child may
    // relay are nodes below it (a Polsek), which the directory does not list
    !app.units.has_node(origin) && app.store.routing().child_for(origin) == Some(child)
}

/// The write rule's view of the tree at this node (`model::write`).
fn write_rule<'a>(app: &'a App, routing: &'a Routing) -> (NodeCode, impl Fn(&NodeCode, &NodeCode) -> bool + 'a) {
    (app.units.polda_code.clone(), move |a: &NodeCode, b: &NodeCode| routing.above(a, b))
}

/// Makes a received batch ready for `stage_up` or `receive_down` (decoded, hashed, packed as
/// stored) on the blocking pool: the CPU work of a receive, done before the origin's lock and
/// the write lock, so the batches in flight are made ready side by side.
pub async fn prepare(batch: Vec<Vec<u8>>) -> Result<Vec<Incoming>, SyncRefusal> {
    match tokio::task::spawn_blocking(move || crate::store::prepare(batch)).await {
        Ok(ready) => ready,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Receives a batch of `origin`'s events from `child` (upward): all or nothing. The batch is
/// staged at once (the next batch may follow it right away) and acknowledged only after
/// `finish_up` saw it flushed. Every event must meet the write rule (`model::write`).
pub fn stage_up(
    app: &App,
    child: &NodeCode,
    origin: &NodeCode,
    segments: &[Segment],
    batch: Vec<Incoming>,
) -> Result<Result<(Applied, Durable), SyncRefusal>, ServiceError> {
    if !may_send(app, child, origin) {
        return Ok(Err(SyncRefusal::NotAllowed(format!("{child} may not send events of {origin}"))));
    }
    let routing = app.store.routing();
    let (root, above) = write_rule(app, &routing);
    let tree = Tree { root: &root, above: &above };
    let policy = |e: &Event, case: Option<&Case>| -> Take {
        if &e.id.origin != origin {
            return Take::Refuse(format!("a batch of {origin} holds an event of {}", e.id.origin));
        }
        if matches!(e.kind, EventKind::Dispatched { takeover: true, .. }) {
            return Take::Refuse("only the root node may take a case over".into());
        }
        match may_write(case, e, &tree) {
            Ok(()) => Take::Take,
            Err(r) => Take::Refuse(format!("event {}: {r}", e.id)),
        }
    };
    let (out, d) =
        app.store.write(now(), |tx| -> Result<_, ServiceError> { Ok(tx.receive(batch, true, segments, &policy)?) })?;
    Ok(out.map(|a| (a, d)))
}

/// Waits until a staged upward batch is on disk, then tells live views; returns the head the
/// acknowledgement carries.
pub async fn finish_up(app: &App, origin: &NodeCode, applied: &Applied, d: Durable) -> Result<Head, ServiceError> {
    app.store.durable(d).await?;
    for t in &applied.cases {
        app.changed(t);
    }
    Ok(app.store.flushed_heads().get(origin).cloned().unwrap_or(Head::empty()))
}

/// The heads of this node's logs as far as they are on disk: only flushed events go upward.
pub fn flushed_heads(app: &App) -> HashMap<NodeCode, Head> {
    app.store.flushed_heads()
}

/// Up to `limit` stored events of `origin` after seq `after`, with their seqs, as they travel.
pub fn events_after(
    app: &App,
    origin: &NodeCode,
    after: u64,
    limit: usize,
) -> Result<Vec<(u64, Vec<u8>)>, ServiceError> {
    Ok(app.store.events_after(origin, after, limit)?)
}

/// How old, in seconds, the first event of `origin` after seq `after` is (the upward lag).
pub fn age_after(app: &App, origin: &NodeCode, after: u64) -> Option<f64> {
    let (_, bytes) = app.store.events_after(origin, after, 1).ok()?.into_iter().next()?;
    let e = crate::store::decode_event(&bytes).ok()?;
    Some(now().0.saturating_sub(e.hlc.millis().0) as f64 / 1000.0)
}

/// The seq the next upward batch of `origin` continues at, as staged here.
pub fn next_up(app: &App, origin: &NodeCode) -> u64 {
    app.store.staged_head(origin).map(|h| h.seq + 1).unwrap_or(1)
}

/// Up to `limit` entries of `child`'s feed after position `after`, and where its feed ends.
pub fn feed_after(
    app: &App,
    child: &NodeCode,
    after: u64,
    limit: usize,
) -> Result<(Vec<FeedEntry>, u64), ServiceError> {
    let entries = app.store.feed_after(child, after, limit)?;
    Ok((entries, app.store.feed_head(child).unwrap_or(0)))
}

/// The store format this node writes: a release from the parent must read it.
pub fn stored_format(app: &App) -> Result<u64, ServiceError> {
    Ok(app.store.stored_format()?)
}

/// Where this node's feed from its parent stands (the parent's feed epoch and position).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor {
    pub epoch: u64,
    pub pos: u64,
}

pub fn feed_cursor(app: &App) -> Result<FeedCursor, ServiceError> {
    Ok(app.store.kv_get(Kv::SyncState, b"feed_cursor")?.unwrap_or_default())
}

/// Receives events from the parent's feed (downward) and moves the cursor in the same write.
/// Events of this node's subtree are skipped (it has them); the rest must meet the write rule
/// as far as this node can tell: it cannot see the tree above it (its parent checked who is
/// above whom) and takes events of a case whose report has not come yet (they wait for it).
pub async fn receive_down(app: &App, batch: Vec<Incoming>, cursor: FeedCursor) -> Result<Applied, ServiceError> {
    let (out, d) = {
        let own = app.store.staged_heads();
        let root = app.units.polda_code.clone();
        let above = |_: &NodeCode, _: &NodeCode| true;
        let tree = Tree { root: &root, above: &above };
        let policy = |e: &Event, case: Option<&Case>| {
            if own.contains_key(&e.id.origin) {
                return Take::Skip;
            }
            match may_write(case, e, &tree) {
                Ok(()) | Err(WriteRefusal::Unknown { .. }) => Take::Take,
                Err(r) => Take::Refuse(format!("event {}: {r}", e.id)),
            }
        };
        app.store.write(now(), |tx| -> Result<_, ServiceError> {
            let r = tx.receive(batch, false, &[], &policy)?;
            if r.is_ok() {
                tx.kv_put(Kv::SyncState, b"feed_cursor", Some(&cursor));
            }
            Ok(r)
        })?
    };
    app.store.durable(d).await?;
    let applied = out.map_err(|r| ServiceError::FeedRefused(r.to_string()))?;
    for t in &applied.cases {
        app.changed(t);
    }
    Ok(applied)
}

/// The parent's feed epoch: its own log's epoch (a restored parent starts its feeds again).
pub fn feed_epoch(app: &App) -> u64 {
    app.store.staged_head(&app.node).map(|h| h.epoch).unwrap_or(0)
}

/// Whether this node has children to serve: one enrolled, or an unused, unexpired invitation.
/// An on-demand sync listener (`config::SyncListen::OnDemand`) is bound at start only then.
pub fn has_children_or_invites(app: &App) -> Result<bool, ServiceError> {
    if !peers(app)?.is_empty() {
        return Ok(true);
    }
    let now = now();
    Ok(app.store.kv_scan::<Invite>(Kv::SyncInvite, b"", 100_000)?.into_iter().any(|(_, i)| !i.used && i.expires >= now))
}

/// What `run` answers when asked to open the sync listener: its URL, or why it could not bind.
pub type OpenReply = tokio::sync::oneshot::Sender<Result<String, String>>;

/// The way from `node invite` (admin socket) to `run`, which owns the listeners: `run` takes the
/// requests when its sync listener is on demand; otherwise there is nothing to open.
#[derive(Default)]
pub struct SyncGate {
    opener: Mutex<Option<tokio::sync::mpsc::UnboundedSender<OpenReply>>>,
}

impl SyncGate {
    /// Called once by `run` when its sync listener is on demand.
    pub fn take_requests(&self) -> tokio::sync::mpsc::UnboundedReceiver<OpenReply> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *self.opener.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    /// Asks `run` to open the sync listener (a no-op when it is open). `None` when this node's
    /// listener is not on demand (set explicitly, or off) or `run` is gone.
    pub async fn open(&self) -> Option<Result<String, String>> {
        let tx = self.opener.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        tx.send(reply).ok()?;
        answer.await.ok()
    }
}
