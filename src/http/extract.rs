//! Extractors: authentication and role in the type, CSRF on every state change, and body
//! readers that turn each kind of bad input into its own error.
//!
//! Order is the guard: actix builds a handler's extractors in argument order and polls them in
//! that order, so an `Authed<P>` (or a gate) placed before `JsonBody`/`Body` refuses the request
//! before a byte of its body is read. The body readers take their limit from the route
//! ([`BodyLimit`], set where the route is registered), refuse a declared `Content-Length` over it
//! at once, and stop reading as soon as the stream passes it.

use super::error::ApiError;
use crate::model::{Action, Millis, Role};
use crate::service::auth::{self, Staff};
use crate::service::App;
use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "banpol_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A page marks the requests it makes by itself (periodic refreshes, the session check) with
/// `X-Background: 1`: they do not renew the session.
pub const BACKGROUND_HEADER: &str = "x-background";
/// On every response to a request with a live session: the seconds until it ends unless renewed.
pub const EXPIRES_IN_HEADER: &str = "x-session-expires-in";
/// The body limit of a route that does not set its own.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A route's body limit in bytes, registered as resource `app_data`; [`BODY_LIMIT`] without it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl BodyLimit {
    pub fn of(req: &HttpRequest) -> usize {
        req.app_data::<BodyLimit>().map_or(BODY_LIMIT, |l| l.0)
    }
}

/// A policy says which roles an extractor lets through.
pub trait Policy {
    fn allows(role: Role) -> bool;
}

/// Roles that run the node: accounts and releases (tik_admin).
pub struct RunNode;
impl Policy for RunNode {
    fn allows(r: Role) -> bool {
        r.may(Action::ManageUsers)
    }
}

/// Any logged-in person.
pub struct AnyStaff;
impl Policy for AnyStaff {
    fn allows(_: Role) -> bool {
        true
    }
}

/// Roles that read case contents (not tik_admin).
pub struct ReadCases;
impl Policy for ReadCases {
    fn allows(r: Role) -> bool {
        r.may(Action::ReadCases)
    }
}

/// Roles that read case contents, or drill cases only (tik_admin, who runs drills): the service
/// refuses a real case to the latter.
pub struct ReadCasesOrDrills;
impl Policy for ReadCasesOrDrills {
    fn allows(r: Role) -> bool {
        r.may(Action::ReadCases) || r.may(Action::ReadDrills)
    }
}

/// Roles that may check the hash chains (auditor, tik_admin).
pub struct Integrity;
impl Policy for Integrity {
    fn allows(r: Role) -> bool {
        r.may(Action::VerifyIntegrity)
    }
}

/// Roles that read the recaps (not operator, not tik_admin).
pub struct ReadRecaps;
impl Policy for ReadRecaps {
    fn allows(r: Role) -> bool {
        r.may(Action::ReadRecaps)
    }
}

/// Roles that read the access log (auditor).
pub struct AccessLog;
impl Policy for AccessLog {
    fn allows(r: Role) -> bool {
        r.may(Action::ReadAccessLog)
    }
}

/// Whether a request renews (slides) the session it carries.
pub trait Renewal {
    const RENEWS: bool;
}

/// The user's own requests renew the session (unless marked `X-Background: 1`).
pub struct Renews;
impl Renewal for Renews {
    const RENEWS: bool = true;
}

/// The live stream never renews the session: an open console left alone still ends.
pub struct Passive;
impl Renewal for Passive {
    const RENEWS: bool = false;
}

/// A logged-in person whose role passes `P`. State-changing requests also need the session's
/// CSRF token in `X-CSRF-Token`. `R` says whether the request renews the session.
pub struct Authed<P: Policy, R: Renewal = Renews> {
    pub staff: Staff,
    pub token: String,
    /// when the session ends unless renewed
    pub expires: Millis,
    _p: PhantomData<(P, R)>,
}

/// When the request's session ends, left in the request's extensions for `session_header`.
#[derive(Clone, Copy)]
pub struct SessionEnds(pub Millis);

fn app(req: &HttpRequest) -> web::Data<App> {
    req.app_data::<web::Data<App>>().cloned().expect("App is registered")
}

/// The session behind the request's cookie, checked for CSRF on unsafe methods, and renewed
/// when `renew` and the request is not marked as a background one. `Ok(None)` when there is no
/// cookie.
pub fn session_of(req: &HttpRequest, renew: bool) -> Result<Option<(Staff, String, Millis)>, ApiError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let token = cookie.value().to_owned();
    let background = req.headers().get(BACKGROUND_HEADER).is_some_and(|v| v.as_bytes() == b"1");
    let live =
        auth::live_session(&app(req), &token, renew && !background).map_err(ApiError::from)?.ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "session_expired", "your session has ended; log in again")
        })?;
    let (staff, expires) = (live.staff, live.expires);
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let given = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        match given {
            None => {
                return Err(ApiError::forbidden(
                    "missing X-CSRF-Token header: send the csrf_token from the login response",
                )
                .with_code("csrf_missing"))
            }
            Some(g) if !bool::from(g.as_bytes().ct_eq(staff.csrf.as_bytes())) => {
                return Err(ApiError::forbidden(
                    "the X-CSRF-Token header does not match this session; reload and try again",
                )
                .with_code("csrf_mismatch"))
            }
            Some(_) => {}
        }
    }
    req.extensions_mut().insert(SessionEnds(expires));
    Ok(Some((staff, token, expires)))
}

impl ApiError {
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.body.code = code;
        self
    }
}

impl<P: Policy, R: Renewal> FromRequest for Authed<P, R> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match session_of(req, R::RENEWS) {
            Ok(Some((staff, token, expires))) if P::allows(staff.role) => {
                Ok(Authed { staff, token, expires, _p: PhantomData })
            }
            Ok(Some((staff, ..))) => Err(ApiError::role_may_not(staff.role, "use this")),
            Ok(None) => Err(ApiError::unauthenticated()),
            Err(e) => Err(e),
        })
    }
}

/// The session if there is one (public routes that staff may also use).
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequest for MaybeStaff {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // an ended session on a shared computer must not block a citizen's report
        std::future::ready(match session_of(req, true) {
            Err(e) if e.body.code == "session_expired" => Ok(MaybeStaff(None)),
            other => other.map(|s| MaybeStaff(s.map(|(st, ..)| st))),
        })
    }
}

/// Public intake: the session if there is one; without one (a citizen) the per-address rate
/// limit is taken here, before the body is read, so a flood costs little.
pub struct IntakeGate(pub Option<Staff>);

impl FromRequest for IntakeGate {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, p: &mut Payload) -> Self::Future {
        let staff = match MaybeStaff::from_request(req, p).into_inner() {
            Ok(s) => s.0,
            Err(e) => return std::future::ready(Err(e)),
        };
        if staff.is_none() {
            if let Some(l) = &app(req).limit_per_ip {
                if let Err(s) = l.take(&client_addr(req), crate::service::now()) {
                    let e = crate::service::ServiceError::RateLimited { what: "address", retry_after_s: s };
                    return std::future::ready(Err(e.into()));
                }
            }
        }
        std::future::ready(Ok(IntakeGate(staff)))
    }
}

/// Public tracking: the per-address limit (`tracking_limit_per_ip`), taken before the ticket
/// and token are looked at, so guessing tokens costs a 429 after a few tries.
pub struct TrackGate;

impl FromRequest for TrackGate {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(l) = &app(req).limit_tracking {
            if let Err(s) = l.take(&client_addr(req), crate::service::now()) {
                let e = crate::service::ServiceError::RateLimited { what: "tracking", retry_after_s: s };
                return std::future::ready(Err(e.into()));
            }
        }
        std::future::ready(Ok(TrackGate))
    }
}

/// The node's release-upload slot: one upload at a time, since an archive (up to the route's
/// limit) is held in memory while it is verified. Registered once for all workers.
#[derive(Clone)]
pub struct ReleaseSlots(std::sync::Arc<tokio::sync::Semaphore>);

impl Default for ReleaseSlots {
    fn default() -> Self {
        ReleaseSlots(std::sync::Arc::new(tokio::sync::Semaphore::new(1)))
    }
}

/// Holds the release-upload slot for the request; a second upload meanwhile is 429
/// `upload_in_progress`. Put it after `Authed<RunNode>`, before the body.
pub struct ReleaseSlot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

impl FromRequest for ReleaseSlot {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let slots = req.app_data::<ReleaseSlots>().cloned().expect("ReleaseSlots is registered");
        // taken when polled, i.e. only once the extractors before it (the role) have passed
        Box::pin(async move {
            slots.0.try_acquire_owned().map(ReleaseSlot).map_err(|_| {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "upload_in_progress",
                    "another release is being uploaded to this node; try again when it is done",
                );
                e.retry_after = Some(5);
                e
            })
        })
    }
}

/// The client's address as the access log records it.
pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

fn too_large(limit: usize) -> ApiError {
    let size = if limit >= 1 << 20 { format!("{} MiB", limit >> 20) } else { format!("{} KiB", limit.div_ceil(1024)) };
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than this address takes ({size})"),
    )
}

/// Reads a request body of at most `limit` bytes: a declared `Content-Length` over it is refused
/// before anything is read, a stream that passes it is dropped at that point (413 either way).
pub async fn read_limited(declared: Option<usize>, mut payload: Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    // reserve what was declared (bounded by the limit), never more than 1 MiB up front
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(1 << 20));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_body", format!("the body could not be read: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The request's `Content-Length`, if it declares one.
pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|s| s.parse::<usize>().ok())
}

/// A raw body within the route's [`BodyLimit`] (413 JSON beyond it). Put it after the
/// extractor that authorizes the request.
pub struct Body(pub web::Bytes);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (declared, limit, payload) = (declared_length(req), BodyLimit::of(req), payload.take());
        Box::pin(async move { read_limited(declared, payload, limit).await.map(Body) })
    }
}

/// A JSON body within the route's [`BodyLimit`] (64 KiB unless the route says otherwise).
/// Wrong content type: 415; too large: 413; not JSON: 400 `malformed_json`; JSON of the wrong
/// shape: 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let ct_ok =
            req.mime_type().ok().flatten().is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let (declared, limit, payload) = (declared_length(req), BodyLimit::of(req), payload.take());
        Box::pin(async move {
            if !ct_ok {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                ));
            }
            let body = read_limited(declared, payload, limit).await?;
            parse_json(&body).map(JsonBody)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // the common case straight; a body that fails is read again, tracking the path for the error
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::field("invalid_field", field.clone(), format!("{field}: {inner}"))
            }
            _ => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body is not valid JSON: {inner}"))
            }
        }
    })
}

/// Middleware: tells the page when its session ends (`X-Session-Expires-In`, whole seconds) on
/// every response to a request that carried a live session.
pub async fn session_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let ends = res.request().extensions().get::<SessionEnds>().copied();
    if let Some(SessionEnds(at)) = ends {
        let secs = at.0.saturating_sub(crate::service::now().0) / 1000;
        res.headers_mut().insert(header::HeaderName::from_static(EXPIRES_IN_HEADER), header::HeaderValue::from(secs));
    }
    Ok(res)
}
