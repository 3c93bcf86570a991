//! The origin check: a state-changing request (POST, PUT, PATCH, DELETE) that a browser sent
//! from another site is refused with 403 `bad_origin` before any handler runs, whatever cookies
//! and tokens it carries.
//!
//! - `Origin` present: it must be this node's own origin, `https://` + the `Host` the request
//!   was sent to (`:443` or not). `Origin: null` (sandboxed frames, some redirects) is refused.
//! - `Origin` absent: allowed. Browsers send `Origin` on every POST/PUT/PATCH/DELETE, so its
//!   absence means an API client (curl, a script, the CLI), which has no ambient cookie to abuse.
//! - `Sec-Fetch-Site` present and `cross-site` or `same-site`: refused even without `Origin`
//!   (`same-site` too: another service on the same host name, e.g. another port, is not us).
//! - `Referer` is not looked at: our own pages send none (`Referrer-Policy: no-referrer`).
//!
//! Not checked: safe methods (GET, HEAD, OPTIONS) and the WhatsApp webhook, which Meta's servers
//! call and which is authenticated by its signature. The sync port is a different listener.

use super::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::ResponseError;

const SEC_FETCH_SITE: header::HeaderName = header::HeaderName::from_static("sec-fetch-site");

/// Paths whose callers are servers, not browsers; they authenticate otherwise.
const EXEMPT: &[&str] = &["/webhooks/whatsapp"];

/// Why a request is refused, or `None` when it may go on.
pub fn refusal(
    method: &Method,
    path: &str,
    host: Option<&str>,
    origin: Option<&str>,
    fetch_site: Option<&str>,
) -> Option<&'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || EXEMPT.contains(&path) {
        return None;
    }
    if let Some(site) = fetch_site {
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return Some("the request came from another site");
        }
    }
    let origin = origin?;
    let own = host.map(|h| format!("https://{}", h.trim().trim_end_matches(":443")));
    let given = origin.trim().trim_end_matches('/').trim_end_matches(":443");
    match own {
        Some(own) if own.eq_ignore_ascii_case(given) => None,
        _ => Some("the request came from a page of another origin"),
    }
}

/// Middleware: refuses cross-origin state changes with 403 `bad_origin`.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let text = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    // HTTP/1.1 names the host in `Host`; HTTP/2 in the request's authority
    let host = text(header::HOST).map(str::to_owned).or_else(|| req.uri().authority().map(|a| a.to_string()));
    let why = refusal(req.method(), req.path(), host.as_deref(), text(header::ORIGIN), text(SEC_FETCH_SITE));
    if let Some(why) = why {
        tracing::warn!(
            path = req.path(),
            origin = text(header::ORIGIN).unwrap_or("-"),
            fetch_site = text(SEC_FETCH_SITE).unwrap_or("-"),
            "cross-origin request refused"
        );
        let e = ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_origin",
            format!("{why}: state changes are taken only from this node's own pages"),
        );
        return Ok(req.into_response(e.error_response()).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// method, path, host, origin, sec-fetch-site, refused
    type Case<'a> = (&'a Method, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, bool);

    #[test]
    fn origins() {
        let host = Some("10.20.0.5:8443");
        let post = Method::POST;
        #[rustfmt::skip]
        let table: &[Case] = &[
            // method, path, host, origin, sec-fetch-site, refused
            (&post, "/api/v1/session", host, Some("https://10.20.0.5:8443"), Some("same-origin"), false),
            (&post, "/api/v1/session", host, Some("https://10.20.0.5:8443/"), None, false),
            (&post, "/api/v1/session", host, None, None, false),
            (&post, "/api/v1/session", host, None, Some("none"), false),
            (&post, "/api/v1/session", host, Some("https://evil.example"), Some("cross-site"), true),
            (&post, "/api/v1/session", host, Some("https://evil.example"), None, true),
            (&post, "/api/v1/session", host, Some("http://10.20.0.5:8443"), None, true),
            (&post, "/api/v1/session", host, Some("https://10.20.0.5:9443"), None, true),
            (&post, "/api/v1/session", host, Some("null"), None, true),
            (&post, "/api/v1/session", host, None, Some("same-site"), true),
            (&post, "/api/v1/session", host, None, Some("cross-site"), true),
            (&post, "/api/v1/session", None, Some("https://10.20.0.5:8443"), None, true),
            (&Method::DELETE, "/api/v1/session", host, Some("https://evil.example"), None, true),
            (&Method::PUT, "/api/v1/x", host, Some("https://evil.example"), None, true),
            (&Method::PATCH, "/api/v1/x", host, Some("https://evil.example"), None, true),
            (&Method::GET, "/api/v1/cases", host, Some("https://evil.example"), Some("cross-site"), false),
            (&post, "/webhooks/whatsapp", host, Some("https://evil.example"), Some("cross-site"), false),
            (&post, "/api/v1/reports", Some("banpol.polda-sumsel.go.id"), Some("https://BANPOL.polda-sumsel.go.id"), None, false),
            (&post, "/api/v1/reports", Some("banpol.polda-sumsel.go.id:443"), Some("https://banpol.polda-sumsel.go.id"), None, false),
            (&post, "/api/v1/reports", Some("banpol.polda-sumsel.go.id"), Some("https://banpol.polda-sumsel.go.id.evil.example"), None, true),
        ];
        for (m, path, host, origin, site, refused) in table {
            assert_eq!(
                refusal(m, path, *host, *origin, *site).is_some(),
                *refused,
                "{m} {path} host {host:?} origin {origin:?} site {site:?}"
            );
        }
    }
}
