//! Extractors: authentication and role in the type, CSRF on every state change, and a JSON body
//! reader that turns each kind of bad input into its own error.

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
pub const BODY_LIMIT: usize = 64 * 1024;

/// A policy says which roles an extractor lets through.
pub trait Policy {
    fn allows(role: Role) -> bool;
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

/// Roles that may check the hash chains (auditor, tik_admin).
pub struct Integrity;
impl Policy for Integrity {
    fn allows(r: Role) -> bool {
        r.may(Action::VerifyIntegrity)
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
            Ok(Some((staff, ..))) => Err(ApiError::forbidden(format!("role {} may not use this", staff.role.as_str()))),
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

/// The client's address as the access log records it.
pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// A JSON body of at most 64 KiB. Wrong content type: 415; too large: 413; not JSON: 400
/// `malformed_json`; JSON of the wrong shape: 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let ct_ok =
            req.mime_type().ok().flatten().is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !ct_ok {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                ));
            }
            let too_large = || {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body is larger than {} KiB", BODY_LIMIT / 1024),
                )
            };
            if declared.is_some_and(|n| n > BODY_LIMIT) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(StatusCode::BAD_REQUEST, "bad_body", format!("the body could not be read: {e}"))
                })?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(JsonBody)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
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
