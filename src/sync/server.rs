//! The parent's side of sync: a separate HTTPS listener with mutual TLS. Children enroll with a
//! one-time token, then push their events upward and pull their feed downward.

use super::pki::{self, Ca};
use super::wire::{self, Ack, Hello, HelloReply, JoinReply, JoinRequest, Vector};
use super::SyncError;
use crate::model::sync::Segment;
use crate::model::NodeCode;
use crate::service::{self, sync as ss, App};
use crate::store::SyncRefusal;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// The sha256 of the client certificate a connection presented, if any.
#[derive(Clone)]
struct PeerCert(Option<String>);

pub struct Server {
    app: Arc<App>,
    ca: Ca,
    /// one upward batch per origin at a time, in seq order
    origin_locks: Mutex<HashMap<NodeCode, Arc<tokio::sync::Mutex<()>>>>,
    /// woken whenever something was written here (feeds may have grown)
    pub written: Notify,
    /// woken when an upward batch was applied (a later batch may be waiting for it)
    applied: Notify,
    /// the node is stopping: long polls answer at once
    closing: std::sync::atomic::AtomicBool,
}

fn error(status: actix_web::http::StatusCode, code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({"code": code, "message": message.into()}))
}

fn refusal(r: &SyncRefusal) -> HttpResponse {
    let code = match r {
        SyncRefusal::Gap { .. } => "sync_gap",
        SyncRefusal::BrokenChain { .. } => "sync_broken_chain",
        SyncRefusal::Fork { .. } => "sync_fork",
        SyncRefusal::Undecodable(..) => "sync_undecodable",
        SyncRefusal::NotAllowed(_) => "sync_not_allowed",
    };
    let status = match r {
        SyncRefusal::NotAllowed(_) => actix_web::http::StatusCode::FORBIDDEN,
        _ => actix_web::http::StatusCode::CONFLICT,
    };
    error(status, code, r.to_string())
}

fn internal(e: impl std::fmt::Display) -> HttpResponse {
    error(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "sync_unavailable", e.to_string())
}

impl Server {
    pub fn new(app: Arc<App>, ca: Ca) -> Arc<Server> {
        Arc::new(Server {
            app,
            ca,
            origin_locks: Mutex::new(HashMap::new()),
            written: Notify::new(),
            applied: Notify::new(),
            closing: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Answers the open long polls now, so a graceful stop does not wait for them.
    pub fn closing(&self) {
        self.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        self.written.notify_waiters();
    }

    /// The child behind this connection's certificate, or the response refusing it.
    fn child(&self, req: &HttpRequest) -> Result<NodeCode, Box<HttpResponse>> {
        let cert = req.conn_data::<PeerCert>().and_then(|c| c.0.clone());
        let Some(cert) = cert else {
            return Err(Box::new(error(
                actix_web::http::StatusCode::UNAUTHORIZED,
                "sync_no_certificate",
                "sync needs this node's certificate: enroll with `banpol node join URL TOKEN` first",
            )));
        };
        match ss::peer_by_cert(&self.app, &cert) {
            Ok(Some(code)) => {
                self.app.sync.update(code.as_str(), "child", |p| {
                    p.connected = true;
                    p.last_contact = Some(service::now());
                });
                Ok(code)
            }
            Ok(None) => Err(Box::new(error(
                actix_web::http::StatusCode::FORBIDDEN,
                "sync_unknown_certificate",
                "this certificate was not issued to an enrolled node (or was revoked)",
            ))),
            Err(e) => Err(Box::new(internal(e))),
        }
    }

    fn lock_for(&self, origin: &NodeCode) -> Arc<tokio::sync::Mutex<()>> {
        self.origin_locks.lock().unwrap_or_else(|e| e.into_inner()).entry(origin.clone()).or_default().clone()
    }
}

/// The enrolled child a request comes from, as `enrolled_only` found it.
#[derive(Clone)]
struct Child(NodeCode);

fn enrolled(req: &HttpRequest) -> Option<NodeCode> {
    req.extensions().get::<Child>().map(|c| c.0.clone())
}

fn no_certificate() -> HttpResponse {
    error(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "sync_no_certificate",
        "sync needs this node's certificate: enroll with `banpol node join URL TOKEN` first",
    )
}

/// Every route but enrollment: the connection's client certificate must be an enrolled
/// child's, checked before anything of the body is read (a refused request's body is never
/// read; the connection is closed after the answer).
async fn enrolled_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(s) = req.app_data::<web::Data<Server>>().cloned() else {
        return Ok(req.into_response(internal("the sync server is not configured")).map_into_right_body());
    };
    match s.child(req.request()) {
        Ok(code) => {
            req.extensions_mut().insert(Child(code));
            next.call(req).await.map(ServiceResponse::map_into_left_body)
        }
        Err(refused) => {
            let mut res = *refused;
            res.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

/// Reads a request body of at most `cap` bytes: a larger `Content-Length` is refused before
/// anything is read, a body that grows past it as soon as it does.
async fn read_capped(req: &HttpRequest, mut payload: web::Payload, cap: usize) -> Result<web::Bytes, HttpResponse> {
    use futures_util::StreamExt;
    let too_large = || {
        let mut r = error(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "sync_too_large",
            format!("a sync request carries at most {cap} bytes: one batch"),
        );
        r.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
        r
    };
    let declared = header(req, "content-length").and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| error(actix_web::http::StatusCode::BAD_REQUEST, "sync_bad_batch", e.to_string()))?;
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A JSON body that is too large or malformed: refused with `{code, message}`.
fn json_error(e: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let (status, code) = match &e {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => {
            (actix_web::http::StatusCode::PAYLOAD_TOO_LARGE, "sync_too_large")
        }
        _ => (actix_web::http::StatusCode::BAD_REQUEST, "sync_bad_request"),
    };
    let message = e.to_string();
    actix_web::error::InternalError::from_response(e, error(status, code, message)).into()
}

/// A control request's JSON body, read only once the peer is known to be enrolled (authorization
/// before reading a body): the child and the body, or the answer that refuses it.
async fn enrolled_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(NodeCode, T), HttpResponse> {
    let Some(child) = enrolled(req) else {
        return Err(no_certificate());
    };
    let body = read_capped(req, payload, wire::MAX_CONTROL_BODY).await?;
    let v = serde_json::from_slice(&body)
        .map_err(|e| error(actix_web::http::StatusCode::BAD_REQUEST, "sync_bad_request", format!("the body: {e}")))?;
    Ok((child, v))
}

/// Serves sync on `listener` until the returned server is stopped.
pub fn serve(server: Arc<Server>, listener: std::net::TcpListener) -> Result<actix_web::dev::Server, SyncError> {
    let tls = server.ca.server_config()?;
    let s = server.clone();
    let http = actix_web::HttpServer::new(move || {
        // bodies: nothing is read before the route's checks; enrollment is small JSON, a push
        // at most one batch (`wire::MAX_PUSH_BODY`), every other request carries nothing
        // or small JSON
        let small = web::JsonConfig::default().limit(wire::MAX_CONTROL_BODY).error_handler(json_error);
        actix_web::App::new()
            .app_data(web::Data::from(s.clone()))
            .app_data(web::PayloadConfig::new(wire::MAX_CONTROL_BODY))
            .app_data(small)
            .service(
                web::scope(wire::API)
                    // the enrollment routes, reached without a certificate
                    .route("/ca", web::get().to(ca))
                    .route("/join", web::post().to(join))
                    .service(
                        web::scope("")
                            .wrap(actix_web::middleware::from_fn(enrolled_only))
                            .route("/vector", web::get().to(vector))
                            .service(web::resource("/push").route(web::post().to(push)))
                            .route("/feed", web::get().to(feed))
                            .route("/hello", web::post().to(hello))
                            .route("/sop", web::get().to(sop_offer))
                            .route("/shifts", web::post().to(shifts))
                            .route("/polsek", web::post().to(polsek_push))
                            .route("/drills", web::get().to(drill_orders))
                            .route("/drills", web::post().to(drill_report))
                            .route("/release", web::get().to(release_offer))
                            .route("/release/archive", web::get().to(release_archive)),
                    ),
            )
    })
    .on_connect(|conn, ext| {
        use actix_tls::accept::rustls_0_23::TlsStream;
        let cert = conn
            .downcast_ref::<TlsStream<actix_web::rt::net::TcpStream>>()
            .and_then(|tls| tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| pki::sha256_hex(c)));
        ext.insert(PeerCert(cert));
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(2)
    .listen_rustls_0_23(listener, (*tls).clone())?
    .run();
    Ok(http)
}

async fn ca(s: web::Data<Server>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/x-pem-file").body(s.ca.cert_pem.clone())
}

async fn join(s: web::Data<Server>, body: web::Json<JoinRequest>) -> HttpResponse {
    let public_key = match hex::decode(&body.public_key) {
        Ok(k) if k.len() == 65 => k,
        _ => {
            return error(
                actix_web::http::StatusCode::BAD_REQUEST,
                "sync_bad_key",
                "public_key must be a raw P-256 public key in hex (130 characters)",
            )
        }
    };
    let mut pem = String::new();
    let issued = ss::enroll(&s.app, &body.token, |code| {
        let (p, der) = s.ca.issue_child(code.as_str(), &public_key).map_err(|e| e.to_string())?;
        pem = p;
        Ok(der)
    })
    .await;
    match issued {
        Ok((code, _)) => HttpResponse::Ok().json(JoinReply {
            node: code.to_string(),
            parent: s.app.node.to_string(),
            cert_pem: pem,
            ca_pem: s.ca.cert_pem.clone(),
            sop_key: crate::service::sop::trusted_key_hex(&s.app).ok().flatten(),
            pseudonym_key: crate::service::export::key_for_child(&s.app),
        }),
        Err(e @ service::ServiceError::JoinTokenRefused) => {
            error(actix_web::http::StatusCode::FORBIDDEN, "sync_bad_token", e.to_string())
        }
        Err(e @ (service::ServiceError::BadJoinToken | service::ServiceError::CertificateRefused(_))) => {
            error(actix_web::http::StatusCode::BAD_REQUEST, "sync_bad_token", e.to_string())
        }
        Err(e) => internal(e),
    }
}

async fn vector(s: web::Data<Server>, req: HttpRequest) -> HttpResponse {
    let Some(child) = enrolled(&req) else {
        return no_certificate();
    };
    HttpResponse::Ok().json(Vector { node: s.app.node.to_string(), heads: ss::vector_for(&s.app, &child) })
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn push(s: web::Data<Server>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let Some(child) = enrolled(&req) else {
        return no_certificate();
    };
    let bad = |m: String| error(actix_web::http::StatusCode::BAD_REQUEST, "sync_bad_batch", m);
    let body = match read_capped(&req, payload, wire::MAX_PUSH_BODY).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(origin) = header(&req, wire::H_ORIGIN).and_then(|o| NodeCode::parse(o).ok()) else {
        return bad(format!("the {} header must name the events' origin node", wire::H_ORIGIN));
    };
    if !ss::may_send(&s.app, &child, &origin) {
        return refusal(&SyncRefusal::NotAllowed(format!("{child} may not send events of {origin}")));
    }
    let segments: Vec<Segment> = match header(&req, wire::H_SEGMENTS).map(serde_json::from_str).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return bad(format!("{}: {e}", wire::H_SEGMENTS)),
    };
    let events = match wire::unpack(&body) {
        Ok(e) => e,
        Err(e) => return bad(e.to_string()),
    };
    let events = match ss::prepare(events).await {
        Ok(e) => e,
        Err(r) => return refused(&s, &child, &origin, &r),
    };
    let backlog: Option<u64> = header(&req, wire::H_BACKLOG).and_then(|v| v.parse().ok());
    let lag_ms: Option<u64> = header(&req, wire::H_LAG_MS).and_then(|v| v.parse().ok());
    let first_seq = events.first().map(|e| e.event().id.seq);
    // batches of one origin apply in seq order; a batch that overtook its predecessor waits
    // for it a little, and is refused as a gap if it does not come
    let lock = s.lock_for(&origin);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let guard = loop {
        let waiter = s.applied.notified();
        let g = lock.clone().lock_owned().await;
        let next = ss::next_up(&s.app, &origin);
        let ready = match first_seq {
            Some(f) => f <= next || segments.iter().any(|sg| sg.first == f),
            None => true,
        };
        if ready || tokio::time::Instant::now() >= deadline {
            break g;
        }
        drop(g);
        let _ = tokio::time::timeout_at(deadline, waiter).await;
    };
    let staged = ss::stage_up(&s.app, &child, &origin, &segments, events);
    drop(guard);
    s.applied.notify_waiters();
    let out = match staged {
        Ok(Ok((applied, d))) => ss::finish_up(&s.app, &origin, &applied, d).await.map(|head| Ok((applied, head))),
        Ok(Err(r)) => Ok(Err(r)),
        Err(e) => Err(e),
    };
    match out {
        Ok(Ok((applied, head))) => {
            s.written.notify_waiters();
            s.app.sync.update(child.as_str(), "child", |p| {
                p.last_error = None;
                if let Some(b) = backlog {
                    p.events_waiting = b;
                }
                p.lag_seconds = lag_ms.map(|l| l as f64 / 1000.0);
            });
            HttpResponse::Ok().json(Ack {
                origin: origin.to_string(),
                head,
                new: applied.new,
                replayed: applied.replayed,
            })
        }
        Ok(Err(r)) => refused(&s, &child, &origin, &r),
        Err(e) => internal(e),
    }
}

/// A child's batch refused: logged, shown on the child's status, and answered.
fn refused(s: &Server, child: &NodeCode, origin: &NodeCode, r: &SyncRefusal) -> HttpResponse {
    tracing::warn!(%child, %origin, refusal = %r, "refused a sync batch");
    s.app.sync.update(child.as_str(), "child", |p| p.last_error = Some(r.to_string()));
    refusal(r)
}

#[derive(Deserialize)]
struct FeedQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    epoch: u64,
    #[serde(default)]
    wait_ms: u64,
}

async fn feed(s: web::Data<Server>, req: HttpRequest, q: web::Query<FeedQuery>) -> HttpResponse {
    let Some(child) = enrolled(&req) else {
        return no_certificate();
    };
    let epoch = ss::feed_epoch(&s.app);
    // a cursor from another feed epoch (this node was restored) starts over; replays are no-ops
    let after = if q.epoch == epoch { q.after } else { 0 };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(q.wait_ms.min(30_000));
    loop {
        let waiter = s.written.notified();
        let (mut entries, head) = match ss::feed_after(&s.app, &child, after, wire::BATCH_EVENTS) {
            Ok(f) => f,
            Err(e) => return internal(e),
        };
        entries.truncate(wire::batch_len(entries.iter().map(|e| e.bytes.len())));
        s.app.sync.update(child.as_str(), "child", |p| p.down_waiting = head.saturating_sub(after));
        let closing = s.closing.load(std::sync::atomic::Ordering::SeqCst);
        if !entries.is_empty() || closing || tokio::time::Instant::now() >= deadline {
            let next = entries.last().map(|e| e.pos).unwrap_or(after);
            return HttpResponse::Ok()
                .insert_header((wire::H_FEED_NEXT, next.to_string()))
                .insert_header((wire::H_FEED_EPOCH, epoch.to_string()))
                .insert_header((wire::H_FEED_HEAD, head.to_string()))
                .content_type("application/octet-stream")
                .body(wire::pack(entries.iter().map(|e| e.bytes.as_slice())));
        }
        let _ = tokio::time::timeout_at(deadline, waiter).await;
    }
}

async fn hello(s: web::Data<Server>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let (child, h): (NodeCode, Hello) = match enrolled_json(&req, payload).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(e) = ss::learn_subtree(&s.app, &child, &h.below).await {
        return internal(e);
    }
    let running = h.update.as_ref().and_then(|u| u["running"].as_str()).map(str::to_owned);
    if let Some(rb) = h.update.as_ref().and_then(|u| u.get("last_rollback")).filter(|r| !r.is_null()) {
        tracing::warn!(%child, rollback = %rb, "a child rolled a release back");
    }
    s.app.sync.update(child.as_str(), "child", |p| {
        p.version = Some(running.unwrap_or_else(|| h.version.clone()));
        p.update = h.update.clone();
        p.events_waiting = h.events_waiting;
        p.lag_seconds = h.lag_ms.map(|l| l as f64 / 1000.0);
        if h.sop.is_some() {
            p.sop_version = h.sop.clone();
        }
    });
    HttpResponse::Ok().json(HelloReply {
        node: s.app.node.to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
        pseudonym_key: crate::service::export::key_for_child(&s.app),
    })
}

/// Shift handover snapshots a child sends up (`wire::ShiftBatch`): kept where the child may speak
/// for their node; answers the highest revision taken.
async fn shifts(s: web::Data<Server>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let (child, batch): (NodeCode, wire::ShiftBatch) = match enrolled_json(&req, payload).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let recs = batch.shifts;
    let rev = recs.iter().map(|r| r.rev).max().unwrap_or(0);
    match crate::service::recap::receive_shifts(&s.app, &child, recs).await {
        Ok(_) => HttpResponse::Ok().json(wire::ShiftAck { rev }),
        Err(e @ service::ServiceError::ShiftNotAllowed(_)) => {
            error(actix_web::http::StatusCode::FORBIDDEN, "sync_not_allowed", e.to_string())
        }
        Err(e @ service::ServiceError::BadNodeCode(..)) => {
            error(actix_web::http::StatusCode::BAD_REQUEST, "sync_bad_request", e.to_string())
        }
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct SopQuery {
    #[serde(default)]
    after: u64,
}

/// The ratified, sealed SOP versions this node holds above the child's serial, oldest first: the
/// child checks each against the hub's key before it takes it.
async fn sop_offer(s: web::Data<Server>, req: HttpRequest, q: web::Query<SopQuery>) -> HttpResponse {
    if enrolled(&req).is_none() {
        return no_certificate();
    }
    match crate::service::sop::signed_after(&s.app, q.after) {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => internal(e),
    }
}

/// A Polsek list a child's post saved (or one from below it): kept if it is newer than the one
/// held and fits the units here (`service::polsek::receive`); a refusal names it.
async fn polsek_push(s: web::Data<Server>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let (child, saved): (NodeCode, crate::service::polsek::Saved) = match enrolled_json(&req, payload).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crate::service::polsek::receive(&s.app, &child, vec![saved]).await {
        Ok(taken) => HttpResponse::Ok().json(serde_json::json!({ "taken": taken })),
        Err(e @ (crate::service::ServiceError::Polsek(_) | crate::service::ServiceError::PolsekNotHere(_))) => {
            error(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "sync_polsek_refused", e.to_string())
        }
        Err(e) => internal(e),
    }
}

/// The hub's word on each drill it started that the child has a part in and is not over
/// (`service::drill::hub::orders_for`): the child starts, pauses, resumes or aborts its part.
async fn drill_orders(s: web::Data<Server>, req: HttpRequest) -> HttpResponse {
    let Some(child) = enrolled(&req) else {
        return no_certificate();
    };
    match crate::service::drill::hub::orders_for(&s.app, &child) {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => internal(e),
    }
}

/// A post's report on its part of a hub drill (state, scorecard, or its refusal), from the post
/// itself or one the child may speak for.
async fn drill_report(s: web::Data<Server>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let (child, r): (NodeCode, crate::service::drill::PostReport) = match enrolled_json(&req, payload).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !ss::may_send(&s.app, &child, &r.post) {
        return refusal(&SyncRefusal::NotAllowed(format!("{child} may not report the drills of {}", r.post)));
    }
    match crate::service::drill::hub::receive(&s.app, &child, r).await {
        Ok(taken) => HttpResponse::Ok().json(serde_json::json!({ "taken": taken })),
        Err(e) => internal(e),
    }
}

/// Whether every canary of `m` runs it past its probation, as they last told.
fn canaries_healthy(s: &Server, m: &crate::update::Manifest) -> bool {
    let peers = s.app.sync.snapshot();
    m.cohort.canary.iter().all(|c| {
        peers.iter().any(|p| {
            &p.node == c
                && p.update.as_ref().is_some_and(|u| {
                    u["running"].as_str() == Some(m.version.as_str()) && u["on_probation"].as_bool() == Some(false)
                })
        })
    })
}

/// The release on offer for this child now, if its cohort includes it and it does not run it.
fn offer_for(
    s: &Server,
    child: &NodeCode,
) -> Result<Option<crate::update::publish::Published>, crate::update::UpdateError> {
    let p = match crate::update::publish::published(&s.app.data_dir) {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        Err(e) => return Err(e),
    };
    let state = crate::update::CohortState {
        now_unix_s: (service::now().0 / 1000) as i64,
        canaries_healthy: canaries_healthy(s, &p.manifest),
    };
    let runs = s
        .app
        .sync
        .snapshot()
        .iter()
        .any(|x| x.node == child.as_str() && x.version.as_deref() == Some(p.manifest.version.as_str()));
    Ok((!runs && crate::update::meant_for(&p.manifest, child.as_str(), &state)).then_some(p))
}

async fn release_offer(s: web::Data<Server>, req: HttpRequest) -> HttpResponse {
    let Some(child) = enrolled(&req) else {
        return no_certificate();
    };
    match offer_for(&s, &child) {
        Ok(Some(p)) => HttpResponse::Ok().json(wire::Offer { version: p.manifest.version, size: p.size }),
        Ok(None) => HttpResponse::NoContent().finish(),
        Err(e) => internal(e),
    }
}

async fn release_archive(s: web::Data<Server>, req: HttpRequest) -> HttpResponse {
    let Some(child) = enrolled(&req) else {
        return no_certificate();
    };
    let p = match offer_for(&s, &child) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return error(actix_web::http::StatusCode::NOT_FOUND, "no_release", "no release is on offer for this node")
        }
        Err(e) => return internal(e),
    };
    match crate::update::publish::archive(&s.app.data_dir, &p) {
        Ok(bytes) => HttpResponse::Ok().content_type("application/gzip").body(bytes),
        Err(e) => internal(e),
    }
}
