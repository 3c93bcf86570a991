//! Open311 GeoReport v2 (`/open311/v2/`): the wire side. Every answer exists as XML (the spec's
//! mandatory format) and JSON, chosen by the path's extension; errors come in Open311's own
//! shape (`<errors><error><code/><description/></error></errors>`, or its JSON array) with a
//! stable code per refusal. XML is written by [`Doc::xml`] with our own escaper (no crate):
//! the five markup characters become entities, characters XML 1.0 cannot carry become U+FFFD.
//! Also the partner keys for tik_admin in `/admin` (`/api/v1/open311/keys`).

use super::dto::wib;
use super::error::{ApiError, ErrorBody};
use super::extract::{client_addr, Authed, Body, JsonBody, RunNode};
use crate::model::open311 as rules;
use crate::model::{Category, Millis};
use crate::service::open311::{self as svc, NewRequest, Partner, PublicRequest, Query, Refusal};
use crate::service::{App, ServiceError};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

/// A POST body: a description of at most 4000 characters, percent-encoded at worst, and the rest.
pub const REQUEST_LIMIT: usize = 48 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Xml,
    Json,
}

/// A document in both formats: objects become elements (XML) or objects (JSON), lists repeat
/// their item element (XML) or become arrays (JSON).
#[derive(Debug, Clone)]
pub enum Doc {
    Text(String),
    Bool(bool),
    Int(i64),
    Null,
    Obj(Vec<(&'static str, Doc)>),
    List(&'static str, Vec<Doc>),
}

fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

fn opt(s: Option<String>) -> Doc {
    s.map_or(Doc::Null, Doc::Text)
}

/// Escapes text for XML element content and attribute values.
pub fn escape_xml(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

impl Doc {
    pub fn xml(&self, root: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        self.element(root, &mut out);
        out.push('\n');
        out
    }

    fn element(&self, tag: &str, out: &mut String) {
        out.push('<');
        out.push_str(tag);
        out.push('>');
        self.content(out);
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }

    fn content(&self, out: &mut String) {
        match self {
            Doc::Text(s) => escape_xml(s, out),
            Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Doc::Int(n) => out.push_str(&n.to_string()),
            Doc::Null => {}
            Doc::Obj(fields) => fields.iter().for_each(|(k, v)| v.element(k, out)),
            Doc::List(item, items) => items.iter().for_each(|v| v.element(item, out)),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        use serde_json::Value as V;
        match self {
            Doc::Text(s) => V::String(s.clone()),
            Doc::Bool(b) => V::Bool(*b),
            Doc::Int(n) => V::from(*n),
            Doc::Null => V::Null,
            Doc::Obj(fields) => V::Object(fields.iter().map(|(k, v)| ((*k).to_owned(), v.json())).collect()),
            Doc::List(_, items) => V::Array(items.iter().map(Doc::json).collect()),
        }
    }
}

fn answer(fmt: Fmt, status: StatusCode, root: &str, doc: &Doc) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    r.insert_header((header::CACHE_CONTROL, "no-store"));
    match fmt {
        Fmt::Xml => r.content_type("text/xml; charset=utf-8").body(doc.xml(root)),
        Fmt::Json => r.json(doc.json()),
    }
}

/// An Open311 error: its status, a stable code (texts in `i18n.js` like every code) and what
/// to do, in the requested format.
#[derive(Debug)]
pub struct O311Error {
    pub fmt: Fmt,
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for O311Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.description)
    }
}

impl ResponseError for O311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let doc = Doc::List(
            "error",
            vec![Doc::Obj(vec![("code", text(self.code)), ("description", text(self.description.clone()))])],
        );
        let mut r = answer(self.fmt, self.status, "errors", &doc);
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(s));
        }
        r
    }
}

fn refused(fmt: Fmt, status: StatusCode, code: &'static str, e: &Refusal) -> O311Error {
    O311Error { fmt, status, code, description: e.to_string(), retry_after: None }
}

/// Each refusal's status and code, in one place.
fn map(fmt: Fmt, e: Refusal) -> O311Error {
    use StatusCode as S;
    let r = |status, code| refused(fmt, status, code, &e);
    match &e {
        Refusal::NoKey => r(S::FORBIDDEN, "api_key_missing"),
        Refusal::BadKey => r(S::FORBIDDEN, "api_key_invalid"),
        Refusal::KeyRateLimited(s) => {
            let mut o = r(S::TOO_MANY_REQUESTS, "rate_limited");
            o.retry_after = Some(*s);
            o
        }
        Refusal::NoService => r(S::BAD_REQUEST, "service_code_missing"),
        Refusal::UnknownService(_) => r(S::BAD_REQUEST, "service_code_unknown"),
        Refusal::NoLocation => r(S::BAD_REQUEST, "location_missing"),
        Refusal::BadLocation(_) => r(S::BAD_REQUEST, "location_invalid"),
        Refusal::Outside => r(S::BAD_REQUEST, "location_outside"),
        Refusal::NoDescription => r(S::BAD_REQUEST, "description_missing"),
        Refusal::UnknownAttribute(_) | Refusal::MissingAttribute(_) | Refusal::BadAttribute(_) => {
            r(S::BAD_REQUEST, "attribute_invalid")
        }
        Refusal::BadDate(_) => r(S::BAD_REQUEST, "date_invalid"),
        Refusal::BadRange => r(S::BAD_REQUEST, "date_range_invalid"),
        Refusal::BadStatus(_) => r(S::BAD_REQUEST, "status_invalid"),
        Refusal::BadMediaUrl => r(S::BAD_REQUEST, "media_url_invalid"),
        Refusal::NotFound => r(S::NOT_FOUND, "request_not_found"),
        Refusal::Service(_) => {
            let Refusal::Service(s) = e else { unreachable!() };
            service_error(fmt, s)
        }
    }
}

/// A refusal of the intake (the report's own checks, rate limits, the store) in Open311's shape:
/// the same code the rest of the API uses; a field error names the Open311 parameter.
fn service_error(fmt: Fmt, e: ServiceError) -> O311Error {
    if let ServiceError::Field(f) = &e {
        let param = match f.field {
            "reporter.phone" => "phone",
            "reporter.name" => "first_name",
            "location.address" => "address_string",
            other => other,
        };
        let code = f.code;
        return O311Error {
            fmt,
            status: StatusCode::BAD_REQUEST,
            code,
            description: format!("{param}: {}", f.message),
            retry_after: None,
        };
    }
    let a = ApiError::from(e);
    O311Error { fmt, status: a.status, code: a.body.code, description: a.body.message, retry_after: a.retry_after }
}

fn format_of(ext: &str) -> Result<Fmt, O311Error> {
    match ext {
        "xml" => Ok(Fmt::Xml),
        "json" => Ok(Fmt::Json),
        _ => Err(O311Error {
            fmt: Fmt::Xml,
            status: StatusCode::NOT_FOUND,
            code: "format_unknown",
            description: format!("format {ext:?} is unknown: end the address with .xml or .json"),
            retry_after: None,
        }),
    }
}

/// Every `key=value` of a query string or form body, in order (repeated keys kept).
fn pairs(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn last(p: &[(String, String)], key: &str) -> Option<String> {
    p.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Several values of one parameter (`a=1&a=2`, or `a=1,2`), as one comma-separated list.
fn joined(p: &[(String, String)], key: &str) -> Option<String> {
    let v: Vec<&str> = p.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect();
    (!v.is_empty()).then(|| v.join(","))
}

fn endpoint(req: &HttpRequest) -> String {
    format!("https://{}/open311/v2", req.connection_info().host())
}

/// Where partners find this endpoint, its formats and whom to ask for a key.
#[utoipa::path(get, path = "/open311/v2/discovery.{format}", params(("format" = String, Path, description = "xml or json")),
    responses((status = 200, description = "the discovery document")))]
pub async fn discovery(
    app: web::Data<App>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, O311Error> {
    let fmt = format_of(&path)?;
    let changeset = text("2026-12-01T00:00:00+07:00");
    let doc = Doc::Obj(vec![
        ("changeset", changeset.clone()),
        ("contact", text(format!("{}, {}", app.units.command_center, app.units.polda_name))),
        ("key_service", text(format!("Kunci API diberikan oleh Bid TIK {}", app.units.polda_name))),
        (
            "endpoints",
            Doc::List(
                "endpoint",
                vec![Doc::Obj(vec![
                    ("specification", text("http://wiki.open311.org/GeoReport_v2")),
                    ("url", text(endpoint(&req))),
                    ("changeset", changeset),
                    ("type", text("production")),
                    ("formats", Doc::List("format", vec![text("text/xml"), text("application/json")])),
                ])],
            ),
        ),
    ]);
    Ok(answer(fmt, StatusCode::OK, "discovery", &doc))
}

fn service(app: &App, c: Category) -> Doc {
    Doc::Obj(vec![
        ("service_code", text(c.as_str())),
        ("service_name", text(app.sop().category(c).label.clone())),
        ("description", text(rules::service_description(c))),
        ("metadata", Doc::Bool(!rules::attributes(c).is_empty())),
        ("type", text("realtime")),
        ("keywords", text(c.as_str())),
        ("group", text("polisi")),
    ])
}

/// The four report categories as services, described in Bahasa Indonesia. Public.
#[utoipa::path(get, path = "/open311/v2/services.{format}", params(("format" = String, Path, description = "xml or json")),
    responses((status = 200, description = "the services")))]
pub async fn services(app: web::Data<App>, path: web::Path<String>) -> Result<HttpResponse, O311Error> {
    let fmt = format_of(&path)?;
    let doc = Doc::List("service", Category::ALL.iter().map(|c| service(&app, *c)).collect());
    Ok(answer(fmt, StatusCode::OK, "services", &doc))
}

/// A service's extra questions (attributes); only `crime` asks any. Public.
#[utoipa::path(get, path = "/open311/v2/services/{service_code}.{format}",
    params(("service_code" = String, Path), ("format" = String, Path, description = "xml or json")),
    responses((status = 200, description = "the service definition"), (status = 404, description = "Open311 error `service_code_unknown`")))]
pub async fn service_definition(path: web::Path<(String, String)>) -> Result<HttpResponse, O311Error> {
    let (code, ext) = path.into_inner();
    let fmt = format_of(&ext)?;
    let c = svc::category(&code).map_err(|e| refused(fmt, StatusCode::NOT_FOUND, "service_code_unknown", &e))?;
    let attrs = rules::attributes(c)
        .iter()
        .map(|a| {
            Doc::Obj(vec![
                ("variable", Doc::Bool(true)),
                ("code", text(a.id)),
                ("datatype", text(a.datatype.as_str())),
                ("required", Doc::Bool(a.required)),
                ("datatype_description", Doc::Null),
                ("order", Doc::Int(i64::from(a.order))),
                ("description", text(a.description)),
                (
                    "values",
                    Doc::List(
                        "value",
                        a.values.iter().map(|(k, n)| Doc::Obj(vec![("key", text(*k)), ("name", text(*n))])).collect(),
                    ),
                ),
            ])
        })
        .collect();
    let doc = Doc::Obj(vec![("service_code", text(c.as_str())), ("attributes", Doc::List("attribute", attrs))]);
    Ok(answer(fmt, StatusCode::OK, "service_definition", &doc))
}

/// Open311 POST: the per-address intake limit (as the public form's), taken before the body
/// is read; the key, sent in the body as the spec says (or in the query string), is checked
/// once the body (at most `REQUEST_LIMIT`) is read.
pub struct Open311Gate;

impl FromRequest for Open311Gate {
    type Error = O311Error;
    type Future = std::future::Ready<Result<Self, O311Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fmt = req.match_info().get("format").and_then(|f| format_of(f).ok()).unwrap_or(Fmt::Xml);
        let app = req.app_data::<web::Data<App>>().expect("App is registered");
        if let Some(l) = &app.limit_per_ip {
            if let Err(s) = l.take(&client_addr(req), crate::service::now()) {
                let e = ServiceError::RateLimited { what: "address", retry_after_s: s };
                return std::future::ready(Err(service_error(fmt, e)));
            }
        }
        std::future::ready(Ok(Open311Gate))
    }
}

fn partner(app: &App, fmt: Fmt, p: &[(String, String)], req: &HttpRequest) -> Result<Partner, O311Error> {
    let q = pairs(req.query_string().as_bytes());
    let key = last(p, "api_key").or_else(|| last(&q, "api_key"));
    svc::authorize(app, key.as_deref(), &client_addr(req)).map_err(|e| map(fmt, e))
}

/// File a request (`application/x-www-form-urlencoded`, as the spec says): `api_key`,
/// `service_code`, a location (`lat` and `long`, `address_string` naming a regency or city of
/// Sumatera Selatan, or `address_id` = a Polres code such as PLG), `description`, `phone`,
/// optionally `first_name`, `last_name`, `email`, `media_url`, `attribute[CODE]`. It enters the
/// same intake as every channel (channel `open311`). A point outside the Polda's territory, or
/// any other refusal, stores nothing.
#[utoipa::path(post, path = "/open311/v2/requests.{format}", params(("format" = String, Path, description = "xml or json")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 201, description = "service_request_id (the ticket) and token"), (status = 400, description = "an Open311 error"), (status = 403, description = "api_key_missing or api_key_invalid"), (status = 429, description = "rate_limited")))]
pub async fn post_request(
    app: web::Data<App>,
    _gate: Open311Gate,
    path: web::Path<String>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, O311Error> {
    let fmt = format_of(&path)?;
    let form_ok =
        req.mime_type().ok().flatten().is_some_and(|m| m.essence_str() == "application/x-www-form-urlencoded");
    if !form_ok {
        return Err(O311Error {
            fmt,
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            description: "send the request as application/x-www-form-urlencoded".into(),
            retry_after: None,
        });
    }
    let p = pairs(&body.0);
    let who = partner(&app, fmt, &p, &req)?;
    let attributes = p
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("attribute[")?.strip_suffix(']')?.to_owned(), v.clone())))
        .collect();
    let r = NewRequest {
        service_code: last(&p, "service_code"),
        lat: last(&p, "lat"),
        long: last(&p, "long"),
        address_string: last(&p, "address_string"),
        address_id: last(&p, "address_id"),
        description: last(&p, "description"),
        first_name: last(&p, "first_name"),
        last_name: last(&p, "last_name"),
        phone: last(&p, "phone"),
        email: last(&p, "email"),
        media_url: last(&p, "media_url"),
        attributes,
    };
    let f = svc::submit(&app, &who, r, &client_addr(&req)).await.map_err(|e| map(fmt, e))?;
    let doc = Doc::List(
        "request",
        vec![Doc::Obj(vec![
            ("service_request_id", text(f.ticket.to_string())),
            ("token", text(f.token)),
            ("service_notice", text(format!("Laporan diterima dengan nomor tiket {}", f.ticket))),
            ("account_id", Doc::Null),
        ])],
    );
    Ok(answer(fmt, StatusCode::CREATED, "service_requests", &doc))
}

fn when(t: Option<Millis>) -> Doc {
    opt(t.map(wib))
}

fn request_doc(p: PublicRequest) -> Doc {
    Doc::Obj(vec![
        ("service_request_id", text(p.ticket.to_string())),
        ("status", text(p.status)),
        ("status_notes", opt(p.status_notes)),
        ("service_name", text(p.service_name)),
        ("service_code", text(p.category.as_str())),
        ("agency_responsible", opt(p.agency)),
        ("service_notice", Doc::Null),
        ("requested_datetime", when(Some(p.requested))),
        ("updated_datetime", when(Some(p.updated))),
        ("expected_datetime", when(p.expected)),
    ])
}

/// Requests this key filed (a key issued with `--all` reads every case): by
/// `service_request_id` (comma-separated; overrides the rest), or by `service_code`,
/// `start_date`/`end_date` (W3C datetimes; at most 90 days, the last 90 by default) and `status`
/// (open, closed). Public fields only: no name, phone, address or description.
#[utoipa::path(get, path = "/open311/v2/requests.{format}",
    params(("format" = String, Path, description = "xml or json"), ("api_key" = String, Query), ("service_request_id" = Option<String>, Query),
        ("service_code" = Option<String>, Query), ("start_date" = Option<String>, Query), ("end_date" = Option<String>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, description = "the requests, newest first"), (status = 400, description = "an Open311 error"), (status = 403, description = "api_key_missing or api_key_invalid")))]
pub async fn get_requests(
    app: web::Data<App>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, O311Error> {
    let fmt = format_of(&path)?;
    let q = pairs(req.query_string().as_bytes());
    let who = partner(&app, fmt, &[], &req)?;
    let query = Query {
        service_request_id: joined(&q, "service_request_id"),
        service_code: joined(&q, "service_code"),
        start_date: last(&q, "start_date"),
        end_date: last(&q, "end_date"),
        status: joined(&q, "status"),
    };
    let found = svc::list(&app, &who, &query, &client_addr(&req)).map_err(|e| map(fmt, e))?;
    let doc = Doc::List("request", found.into_iter().map(request_doc).collect());
    Ok(answer(fmt, StatusCode::OK, "service_requests", &doc))
}

/// One request by its id (the ticket), with the key that filed it.
#[utoipa::path(get, path = "/open311/v2/requests/{service_request_id}.{format}",
    params(("service_request_id" = String, Path), ("format" = String, Path, description = "xml or json"), ("api_key" = String, Query)),
    responses((status = 200, description = "the request"), (status = 403, description = "api_key_missing or api_key_invalid"), (status = 404, description = "request_not_found")))]
pub async fn get_request(
    app: web::Data<App>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, O311Error> {
    let (id, ext) = path.into_inner();
    let fmt = format_of(&ext)?;
    let who = partner(&app, fmt, &[], &req)?;
    let p = svc::get(&app, &who, &id, &client_addr(&req)).map_err(|e| map(fmt, e))?;
    Ok(answer(fmt, StatusCode::OK, "service_requests", &Doc::List("request", vec![request_doc(p)])))
}

/// The request a token (from the POST's answer) stands for.
#[utoipa::path(get, path = "/open311/v2/tokens/{token}.{format}",
    params(("token" = String, Path), ("format" = String, Path, description = "xml or json"), ("api_key" = String, Query)),
    responses((status = 200, description = "service_request_id and token"), (status = 403, description = "api_key_missing or api_key_invalid"), (status = 404, description = "request_not_found")))]
pub async fn get_token(
    app: web::Data<App>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, O311Error> {
    let (token, ext) = path.into_inner();
    let fmt = format_of(&ext)?;
    let who = partner(&app, fmt, &[], &req)?;
    let t = svc::by_token(&app, &who, &token, &client_addr(&req)).map_err(|e| map(fmt, e))?;
    let doc =
        Doc::List("request", vec![Doc::Obj(vec![("service_request_id", text(t.to_string())), ("token", text(token))])]);
    Ok(answer(fmt, StatusCode::OK, "service_requests", &doc))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerOut {
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// reads every case of this node (public fields), not only the requests it filed
    pub all: bool,
    /// the key, in the answer that issued it only
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

fn partner_out(p: Partner, key: Option<String>) -> PartnerOut {
    PartnerOut { name: p.name, created_at: wib(p.created), revoked_at: p.revoked.map(wib), all: p.all, key }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerIn {
    pub name: Option<String>,
    #[serde(default)]
    pub all: bool,
}

/// Open311 partners and the state of their keys (tik_admin).
#[utoipa::path(get, path = "/api/v1/open311/keys", responses((status = 200, body = [PartnerOut]), (status = 403, body = ErrorBody)))]
pub async fn list_keys(app: web::Data<App>, who: Authed<RunNode>) -> Result<HttpResponse, ApiError> {
    let keys = svc::api_list_keys(&app, &who.staff)?;
    Ok(HttpResponse::Ok().json(keys.into_iter().map(|p| partner_out(p, None)).collect::<Vec<_>>()))
}

/// Issue a partner's key (tik_admin): it is in this answer once; only its hash is kept.
#[utoipa::path(post, path = "/api/v1/open311/keys", request_body = PartnerIn,
    responses((status = 201, body = PartnerOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_key(
    app: web::Data<App>,
    who: Authed<RunNode>,
    body: JsonBody<PartnerIn>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let name = body.0.name.ok_or_else(|| ApiError::field("missing_field", "name", "name is required"))?;
    let (p, key) = svc::api_add_key(&app, &who.staff, name.trim(), body.0.all, &client_addr(&req)).await?;
    Ok(HttpResponse::Created().json(partner_out(p, Some(key))))
}

/// Revoke a partner's key (tik_admin): refused from now on; its requests stay.
#[utoipa::path(post, path = "/api/v1/open311/keys/{name}/revoke", params(("name" = String, Path)),
    responses((status = 200, body = PartnerOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    app: web::Data<App>,
    who: Authed<RunNode>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let p = svc::api_revoke_key(&app, &who.staff, &path, &client_addr(&req)).await?;
    Ok(HttpResponse::Ok().json(partner_out(p, None)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        discovery,
        services,
        service_definition,
        post_request,
        get_requests,
        get_request,
        get_token,
        list_keys,
        add_key,
        revoke_key
    ),
    components(schemas(PartnerOut, PartnerIn))
)]
pub struct Open311Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_carry() {
        let doc = Doc::List(
            "request",
            vec![Doc::Obj(vec![("a", text("<b> & \"c\" 'd'\u{1}\n")), ("n", Doc::Null), ("t", Doc::Bool(true))])],
        );
        assert_eq!(
            doc.xml("service_requests"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request><a>&lt;b&gt; &amp; &quot;c&quot; \
             &apos;d&apos;\u{FFFD}\n</a><n></n><t>true</t></request></service_requests>\n"
        );
        assert_eq!(doc.json(), serde_json::json!([{"a": "<b> & \"c\" 'd'\u{1}\n", "n": null, "t": true}]));
    }
}
