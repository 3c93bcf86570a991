//! Handlers: extract, call one service function, map to a DTO.

use super::dto::{self, *};
use super::error::{ApiError, ErrorBody};
use super::extract::{
    client_addr, declared_length, read_limited, AccessLog, AnyStaff, Authed, Body, IntakeGate, Integrity, JsonBody,
    Passive, ReadCases, ReadCasesOrDrills, ReadRecaps, ReleaseSlot, RunNode, TrackGate, EXPIRES_IN_HEADER,
    SESSION_COOKIE,
};
use super::multipart::ReportBody;
use crate::channel::whatsapp::WhatsApp;
use crate::model::event::Channel;
use crate::model::report::RawReport;
use crate::model::{Actor, Category, Command, Priority, State, Ticket, UnitCode};
use crate::service::cases::{self, Lane, QueueFilter};
use crate::service::prank;
use crate::service::{auth, intake, now, App};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

type Result<T> = std::result::Result<T, ApiError>;

fn ticket(s: &str) -> Result<Ticket> {
    Ticket::parse(s).map_err(|_| ApiError::not_found())
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, body = HealthOut), (status = 503, body = ErrorBody)))]
pub async fn healthz(app: web::Data<App>) -> Result<HttpResponse> {
    crate::service::audit::health(&app).await.map_err(|e| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", format!("the store is not writable: {e}"))
    })?;
    Ok(HttpResponse::Ok().json(HealthOut {
        status: "ok".into(),
        node: app.node.to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// File a report. Public; staff may file phone and walk-in reports for callers. As JSON, or as
/// `multipart/form-data` with the same JSON in a part `report` and up to three JPEG, PNG or WebP
/// photos (5 MiB each, type read from the bytes) in parts `photo`: a bad photo refuses the whole
/// report (413 `photo_too_large`, 415 `photo_not_image`, 422 `too_many_photos`, `field` naming
/// it, e.g. `photos[1]`), and nothing is kept.
#[utoipa::path(post, path = "/api/v1/reports", request_body = ReportIn,
    responses((status = 201, body = ReceiptOut), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_report(app: web::Data<App>, who: IntakeGate, body: ReportBody) -> Result<HttpResponse> {
    let (r, photos) = match body {
        ReportBody::Json(r) => (r, None),
        ReportBody::WithPhotos { report, photos, slot } => (report, Some((photos, slot))),
    };
    let channel = match (r.channel.as_deref(), &who.0) {
        (None | Some("web"), _) => Channel::Web,
        (Some("phone"), Some(_)) => Channel::Phone,
        (Some("walk_in"), Some(_)) => Channel::WalkIn,
        (Some("phone" | "walk_in"), None) => return Err(ApiError::unauthenticated()),
        (Some(other), _) => {
            return Err(ApiError::field(
                "invalid_field",
                "channel",
                format!("channel {other:?} is unknown: use web, phone or walk_in"),
            ))
        }
    };
    let actor = match (&who.0, channel) {
        (Some(s), Channel::Phone | Channel::WalkIn) => {
            if !s.role.may(crate::model::Action::TakeCall) {
                return Err(ApiError::role_may_not(s.role, "take calls"));
            }
            Actor::Staff { user: s.username.clone(), role: s.role, unit: s.unit.clone() }
        }
        _ => Actor::Citizen,
    };
    let (reporter, location) = (r.reporter.unwrap_or(ReporterIn { name: None, phone: None }), r.location);
    let raw = RawReport {
        category: r.category,
        description: r.description,
        reporter_name: reporter.name,
        reporter_phone: reporter.phone,
        regency: location.as_ref().and_then(|l| l.regency.clone()),
        district: location.as_ref().and_then(|l| l.district.clone()),
        village: location.as_ref().and_then(|l| l.village.clone()),
        address: location.as_ref().and_then(|l| l.address.clone()),
        lat: location.as_ref().and_then(|l| l.lat),
        lon: location.as_ref().and_then(|l| l.lon),
        priority: r.priority,
    };
    let receipt = match photos {
        None => intake::submit(&app, raw, channel, actor).await?,
        Some((photos, _slot)) => intake::submit_with_photos(&app, raw, channel, actor, photos).await?,
    };
    Ok(HttpResponse::Created().json(ReceiptOut {
        ticket: receipt.ticket.to_string(),
        token: receipt.token,
        status: receipt.status.as_str().to_owned(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// This node's address as the browser used it, for links printed on paper (the Origin check
/// holds requests to `https://` + Host).
fn origin_of(req: &HttpRequest) -> String {
    format!("https://{}", req.connection_info().host())
}

/// The reporter's STPL, by ticket and tracking code: what tracking shows, the letterhead, the
/// SOP's next steps and the QR code of the tracking link. A wrong code answers like tracking.
#[utoipa::path(get, path = "/api/v1/reports/{ticket}/stpl", params(("ticket" = String, Path), TokenQuery),
    responses((status = 200, body = StplOut), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn report_stpl(
    _limit: TrackGate,
    app: web::Data<App>,
    path: web::Path<String>,
    q: web::Query<TokenQuery>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let t = ticket(&path)?;
    let s = crate::service::stpl::for_reporter(&app, &t, q.token.as_deref().unwrap_or_default(), &origin_of(&req))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(dto::stpl(s)))
}

/// A case's STPL for printing (staff who may read the case; logged as reading it). With the
/// right `token` (the call-taker has it right after filing) the code is printed and in the QR.
#[utoipa::path(get, path = "/api/v1/cases/{ticket}/stpl", params(("ticket" = String, Path), TokenQuery),
    responses((status = 200, body = StplOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_stpl(
    app: web::Data<App>,
    who: Authed<ReadCases>,
    path: web::Path<String>,
    q: web::Query<TokenQuery>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let t = ticket(&path)?;
    let s = crate::service::stpl::for_staff(
        &app,
        &who.staff,
        &t,
        q.token.as_deref(),
        &origin_of(&req),
        &client_addr(&req),
    )?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(dto::stpl(s)))
}

/// Public tracking by ticket and token. A wrong token answers exactly like an unknown ticket.
#[utoipa::path(get, path = "/api/v1/reports/{ticket}", params(("ticket" = String, Path), TokenQuery),
    responses((status = 200, body = PublicStatusOut), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn track_report(
    _limit: TrackGate,
    app: web::Data<App>,
    path: web::Path<String>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse> {
    let t = ticket(&path)?;
    let token = q.token.as_deref().unwrap_or_default();
    let st = cases::public_status(&app, &t, token)?;
    let c = st.case;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(PublicStatusOut {
        ticket: c.ticket.to_string(),
        category: c.category.as_str().to_owned(),
        category_label: app.sop().category(c.category).label.clone(),
        status: c.state.as_str().to_owned(),
        status_label: c.state.label_id().to_owned(),
        created_at: wib(c.created),
        updated_at: wib(c.updated),
        notes: c.public_notes.iter().map(|n| NoteOut { at: wib(n.at), text: n.text.clone() }).collect(),
        duplicate_of: st.original.map(|o| OriginalOut {
            ticket: o.ticket.to_string(),
            status: o.state.as_str().to_owned(),
            status_label: o.state.label_id().to_owned(),
        }),
    }))
}

fn me(app: &App, s: &auth::Staff, expires: crate::model::Millis) -> MeOut {
    MeOut {
        username: s.username.clone(),
        role: s.role.as_str().to_owned(),
        unit: s.unit.as_ref().map(|u| u.to_string()),
        node: app.node.to_string(),
        csrf_token: s.csrf.clone(),
        expires_at: wib(expires),
        expires_in_s: expires.0.saturating_sub(now().0) / 1000,
        pages: s.role.pages().map(|p| p.as_str().to_owned()).collect(),
        may: s.role.actions().map(|a| a.as_str().to_owned()).collect(),
    }
}

/// Log in: sets the session cookie and returns the CSRF token.
#[utoipa::path(post, path = "/api/v1/session", request_body = LoginIn,
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(app: web::Data<App>, req: HttpRequest, body: JsonBody<LoginIn>) -> Result<HttpResponse> {
    let username = body
        .0
        .username
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::field("missing_field", "username", "username is required"))?;
    let password = body
        .0
        .password
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::field("missing_field", "password", "password is required"))?;
    let l = auth::login(&app, &username, &password, &client_addr(&req)).await?;
    let cookie = Cookie::build(SESSION_COOKIE, l.token)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .insert_header((EXPIRES_IN_HEADER, l.expires.0.saturating_sub(now().0) / 1000))
        .json(me(&app, &l.staff, l.expires)))
}

#[utoipa::path(delete, path = "/api/v1/session", responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(app: web::Data<App>, who: Authed<AnyStaff>) -> Result<HttpResponse> {
    auth::logout(&app, &who.token).await?;
    let mut gone =
        Cookie::build(SESSION_COOKIE, "").path("/").secure(true).http_only(true).same_site(SameSite::Strict).finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// Who is logged in and when the session ends. Like every request the user makes, it renews the
/// session; sent with `X-Background: 1` (the page checking by itself) it does not.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
pub async fn whoami(app: web::Data<App>, who: Authed<AnyStaff>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(me(&app, &who.staff, who.expires)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// one state; `all` for every case, closed and rejected too; leave out for every open case
    pub status: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub overdue: Option<bool>,
    /// ticket, phone number or words of the description
    pub q: Option<String>,
    /// main (default: everything but non-crime reports from blocked numbers and ended drills'
    /// cases), blocked, all, or drill (Latihan: drill cases only)
    pub lane: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// start after this case (the `next` of the previous page) instead of at `page`: stable
    /// while cases change
    pub after: Option<String>,
    /// only the cases behind a recap figure: the recap's query string (`/api/v1/rekap`'s
    /// parameters, URL-encoded), e.g. `from=2026-11-01&to=2026-11-30&step=dispatch&step_status=missed`;
    /// every state unless `status` says otherwise
    pub rekap: Option<String>,
}

/// The queue, most urgent first.
#[utoipa::path(get, path = "/api/v1/cases", params(QueueQuery),
    responses((status = 200, body = QueueOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_cases(app: web::Data<App>, who: Authed<ReadCasesOrDrills>, req: HttpRequest) -> Result<HttpResponse> {
    let q = web::Query::<QueueQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("bad query string: {e}")))?
        .into_inner();
    let any_state = q.status.as_deref() == Some("all") || (q.rekap.is_some() && q.status.is_none());
    let status = match q.status.as_deref() {
        None | Some("open") | Some("") | Some("all") => None,
        Some(s) => Some(
            State::parse(s)
                .ok_or_else(|| ApiError::field("invalid_field", "status", format!("status {s:?} is unknown")))?,
        ),
    };
    let category = match q.category.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            Category::parse(s)
                .ok_or_else(|| ApiError::field("unknown_category", "category", format!("category {s:?} is unknown")))?,
        ),
    };
    let unit = match q.unit.as_deref() {
        None | Some("") => None,
        Some(s) => Some(UnitCode::parse(s).map_err(|e| ApiError::field("unknown_unit", "unit", e.to_string()))?),
    };
    let lane = match q.lane.as_deref() {
        None | Some("") | Some("main") => Lane::Main,
        Some("blocked") => Lane::Blocked,
        Some("all") => Lane::All,
        Some("drill") => Lane::Drill,
        Some(s) => {
            return Err(ApiError::field(
                "invalid_field",
                "lane",
                format!("lane {s:?} is unknown: main, blocked, all or drill"),
            ))
        }
    };
    let filter = QueueFilter {
        lane,
        status,
        any_state,
        category,
        unit,
        overdue: q.overdue.unwrap_or(false),
        q: q.q,
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
        after: match q.after.as_deref() {
            None | Some("") => None,
            Some(s) => Some(cases::Cursor::parse(s).ok_or_else(|| {
                ApiError::field("invalid_field", "after", "after must be the `next` value of a queue page")
            })?),
        },
        only: None,
    };
    let n = now();
    let filter = match q.rekap.as_deref() {
        Some(r) => {
            let rq = web::Query::<RekapQuery>::from_query(r)
                .map_err(|e| ApiError::field("invalid_field", "rekap", format!("rekap: {e}")))?
                .into_inner();
            let only = crate::service::recap::tickets(&app, &who.staff, &rekap_ask(&rq), n)?;
            QueueFilter { only: Some(only.into_iter().collect()), ..filter }
        }
        None => filter,
    };
    let page = cases::queue(&app, &who.staff, &filter, n, &client_addr(&req))?;
    Ok(HttpResponse::Ok().json(QueueOut {
        items: page.items.iter().map(|c| dto::summary(&app, c, n)).collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        next: page.next.map(|c| c.to_string()),
    }))
}

/// One case with its full history and the actions you may take.
#[utoipa::path(get, path = "/api/v1/cases/{ticket}", params(("ticket" = String, Path)),
    responses((status = 200, body = CaseOut), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    app: web::Data<App>,
    who: Authed<ReadCasesOrDrills>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let t = ticket(&path)?;
    let v = cases::view(&app, &who.staff, &t, &client_addr(&req))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(case_out(&app, v)))
}

/// One photo of a case, for staff who may read the case; each read is written to the access log.
/// Sent with the type its bytes show and `X-Content-Type-Options: nosniff`.
#[utoipa::path(get, path = "/api/v1/cases/{ticket}/photos/{sha256}", params(("ticket" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_photo(
    app: web::Data<App>,
    who: Authed<ReadCases>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let (t, sha) = path.into_inner();
    let p = crate::service::photos::photo(&app, &who.staff, &ticket(&t)?, &sha, &client_addr(&req))?;
    Ok(HttpResponse::Ok()
        .content_type(p.mime)
        .insert_header((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // content-addressed, so never stale; private, and short, as it is personal data
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(p.bytes))
}

fn case_out(app: &App, v: cases::CaseView) -> CaseOut {
    let c = &v.case;
    let staff = v.events.iter().filter_map(|e| match &e.actor {
        Actor::Staff { user, .. } => Some(user.as_str()),
        _ => None,
    });
    // who acted, by name, pangkat and NRP (an account of this node; none if it cannot be read)
    let who = auth::identities(app, staff).unwrap_or_default();
    CaseOut {
        reporter_record: dto::record(&v.reporter, v.blocked.as_ref()),
        duplicate_of: c.duplicate_of.as_ref().map(|t| t.to_string()),
        duplicates: c.duplicates.iter().map(|t| t.to_string()).collect(),
        attachments: v
            .attachments
            .into_iter()
            .map(|a| AttachmentOut { media_id: a.media_id, sha256: a.sha256 })
            .collect(),
        summary: dto::summary(app, c, now()),
        description: c.description.clone(),
        address: c.location.address.clone(),
        lat: c.location.lat,
        lon: c.location.lon,
        location: dto::location(app, &c.location),
        suggested_polsek: cases::suggested_polsek(app, c).map(|u| u.to_string()),
        unit_name: c.unit.as_ref().and_then(|u| dto::unit_name(app, u.as_str())),
        suggested_unit: c.suggested_unit.as_ref().map(|u| u.to_string()),
        sop_version: c.sop_version.clone(),
        sop_step: dto::sop_step(app, c),
        verification: c.verification.clone(),
        reject_reason: c.reject_reason.clone(),
        resolution: c.resolution.clone(),
        conflict_details: c
            .conflicts
            .iter()
            .map(|x| ConflictOut { event: x.event.to_string(), reason: x.reason.clone() })
            .collect(),
        allowed_actions: v.allowed_actions.iter().map(|a| a.to_string()).collect(),
        history: v
            .events
            .iter()
            .map(|e| {
                let mut out = dto::event(e);
                out.actor_identity = who.get(&out.actor).cloned().map(IdentityOut::from);
                out
            })
            .collect(),
    }
}

fn command(a: ActionIn) -> Result<Command> {
    let need = |v: Option<String>, f: &'static str| {
        v.ok_or_else(|| ApiError::field("missing_field", f, format!("{f} is required for this action")))
    };
    let action = a.action.ok_or_else(|| ApiError::field("missing_field", "action", "action is required"))?;
    let note = a.note.clone().unwrap_or_default();
    Ok(match action.as_str() {
        "verify" => Command::Verify {
            method: need(a.method, "method")?,
            priority: match a.priority {
                None => None,
                Some(p) => Some(Priority::parse(&p).ok_or_else(|| ApiError::field("invalid_field", "priority", format!("priority {p:?} is unknown: emergency, high or normal")))?),
            },
        },
        "reject" => Command::Reject { reason: need(a.reason, "reason")?, note },
        "dispatch" => {
            let u = need(a.unit, "unit")?;
            Command::Dispatch { unit: UnitCode::parse(&u).map_err(|e| ApiError::field("unknown_unit", "unit", e.to_string()))?, note }
        }
        "acknowledge" => Command::Acknowledge { note },
        "progress" => Command::Progress { note: need(a.note, "note")?, public: a.public.unwrap_or(false) },
        "resolve" => Command::Resolve { summary: need(a.summary, "summary")? },
        "close" => Command::Close { note },
        "reopen" => Command::Reopen { reason: need(a.reason, "reason")? },
        "note" => Command::Note { text: need(a.text, "text")?, public: a.public.unwrap_or(false) },
        "link_duplicate" => {
            let o = need(a.original, "original")?;
            let original = Ticket::parse(&o).map_err(|e| ApiError::field("invalid_field", "original", e.to_string()))?;
            Command::LinkDuplicate { original, note }
        }
        other => {
            return Err(ApiError::field(
                "unknown_action",
                "action",
                format!("action {other:?} is unknown: use verify, reject, link_duplicate, dispatch, acknowledge, progress, resolve, close, reopen or note"),
            ))
        }
    })
}

/// Take an action on a case; answers with the updated case once the event is on disk.
#[utoipa::path(post, path = "/api/v1/cases/{ticket}/actions", params(("ticket" = String, Path)), request_body = ActionIn,
    responses((status = 200, body = CaseOut), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn case_action(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    body: JsonBody<ActionIn>,
) -> Result<HttpResponse> {
    let t = ticket(&path)?;
    let checked = body.0.checked.clone().unwrap_or_default();
    let cmd = command(body.0)?;
    let v = cases::act_and_view(&app, &who.staff, &t, cmd, checked).await?;
    Ok(HttpResponse::Ok().json(case_out(&app, v)))
}

/// The kecamatan and desa/kelurahan of one regency (official codes, ODbL: see the README), for
/// the forms' type-ahead. `regency` is a code (`16.71`) or any form a report accepts. Public and
/// cacheable: the list is built into the release.
#[utoipa::path(
    get,
    path = "/api/v1/areas/{regency}",
    params(("regency" = String, Path, description = "regency code or name")),
    responses((status = 200, body = AreasOut), (status = 404, body = ErrorBody))
)]
pub async fn areas(app: web::Data<App>, path: web::Path<String>) -> Result<HttpResponse> {
    let areas = &app.units.areas;
    let r = areas.regency(&path.into_inner()).map_err(|e| match e {
        crate::model::wilayah::PlaceError::Ambiguous { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "ambiguous_place", e.to_string())
        }
        _ => ApiError::new(StatusCode::NOT_FOUND, "unknown_regency", e.to_string()),
    })?;
    let out = AreasOut {
        regency: AreaOut { code: r.code.clone(), name: r.name.clone(), parent: None },
        districts: areas
            .districts_of(&r.code)
            .map(|d| AreaOut { code: d.code.clone(), name: d.name.clone(), parent: None })
            .collect(),
        villages: areas
            .villages_of_regency(&r.code)
            .map(|v| AreaOut { code: v.code.clone(), name: v.name.clone(), parent: Some(v.parent.clone()) })
            .collect(),
        attribution: crate::model::wilayah::ATTRIBUTION.to_owned(),
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=86400")).json(out))
}

/// Units that can receive a disposition (each Polres's Polsek as its post's list says), and the
/// regencies of the Polda.
#[utoipa::path(get, path = "/api/v1/units", responses((status = 200, body = [UnitOut])))]
pub async fn units(app: web::Data<App>) -> HttpResponse {
    let out: Vec<UnitOut> = app
        .directory()
        .units
        .iter()
        .map(|u| UnitOut {
            code: u.code.to_string(),
            name: u.name.clone(),
            kind: u.kind.as_str().to_owned(),
            node: u.node.to_string(),
            regency: u.regency.clone(),
            regency_code: u.regency_code.clone(),
            parent: u.parent.as_ref().map(|p| p.to_string()),
            districts: u.districts.clone(),
            example: u.example,
            seat: u.seat.clone(),
            lat: u.lat,
            lon: u.lon,
            handles: u.handles.iter().map(|c| c.as_str().to_owned()).collect(),
        })
        .collect();
    HttpResponse::Ok().insert_header(("Cache-Control", "no-cache")).json(out)
}

/// The Command Center board: today's counts (WIB) by status and category, overdue and escalated
/// cases, each unit's share of deadlines met, and open cases with coordinates.
#[utoipa::path(get, path = "/api/v1/board", responses((status = 200, body = BoardOut), (status = 403, body = ErrorBody)))]
pub async fn board(app: web::Data<App>, who: Authed<ReadCases>) -> Result<HttpResponse> {
    let n = now();
    let app2 = app.clone();
    let b = web::block(move || crate::service::board::board(&app2, &who.staff, n))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(dto::board(&app, &b, n)))
}

/// Checks every hash chain of the event log and the access log.
#[utoipa::path(get, path = "/api/v1/integrity", responses((status = 200, body = IntegrityOut), (status = 403, body = ErrorBody)))]
pub async fn integrity(app: web::Data<App>, who: Authed<Integrity>, req: HttpRequest) -> Result<HttpResponse> {
    let from = client_addr(&req);
    let app2 = app.clone();
    let r = web::block(move || crate::service::audit::integrity(&app2, &who.staff, &from))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().json(IntegrityOut {
        ok: r.ok(),
        access_log_ok: r.access_log_ok,
        chains: r
            .chains
            .into_iter()
            .map(|c| ChainOut { origin: c.origin, events: c.events, ok: c.ok, problem: c.problem })
            .collect(),
    }))
}

fn phone(s: &str) -> Result<crate::model::Phone> {
    crate::model::Phone::parse(s).map_err(|e| ApiError::field("invalid_phone", "phone", e.to_string()))
}

fn reporter_out(app: &App, v: prank::ReporterView) -> ReporterOut {
    let now = crate::service::now();
    ReporterOut {
        phone: v.phone.to_string(),
        record: dto::record(&v.record, v.blocks.active(now)),
        blocks: v.blocks.blocks.iter().map(dto::block).collect(),
        cases: v.cases.iter().map(|c| dto::summary(app, c, now)).collect(),
    }
}

/// A reporter's record: every case of the number, its outcomes and its blocks.
#[utoipa::path(get, path = "/api/v1/reporters/{phone}", params(("phone" = String, Path)),
    responses((status = 200, body = ReporterOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_reporter(
    app: web::Data<App>,
    who: Authed<ReadCases>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let p = phone(&path)?;
    let v = prank::reporter(&app, &who.staff, &p, &client_addr(&req))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(reporter_out(&app, v)))
}

/// Block a number by hand (pa_siaga, ka_siaga, leader, propam).
#[utoipa::path(post, path = "/api/v1/reporters/{phone}/block", params(("phone" = String, Path)), request_body = BlockIn,
    responses((status = 200, body = ReporterOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn block_reporter(
    app: web::Data<App>,
    who: Authed<ReadCases>,
    path: web::Path<String>,
    body: JsonBody<BlockIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let p = phone(&path)?;
    let reason = body.0.reason.unwrap_or_default();
    prank::block(&app, &who.staff, &p, &reason, body.0.days, &client_addr(&req)).await?;
    let v = prank::reporter(&app, &who.staff, &p, &client_addr(&req))?;
    Ok(HttpResponse::Ok().json(reporter_out(&app, v)))
}

/// Lift a block, with a reason (Propam).
#[utoipa::path(post, path = "/api/v1/reporters/{phone}/lift", params(("phone" = String, Path)), request_body = BlockIn,
    responses((status = 200, body = ReporterOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn lift_block(
    app: web::Data<App>,
    who: Authed<ReadCases>,
    path: web::Path<String>,
    body: JsonBody<BlockIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let p = phone(&path)?;
    let reason = body.0.reason.unwrap_or_default();
    prank::lift(&app, &who.staff, &p, &reason, &client_addr(&req)).await?;
    let v = prank::reporter(&app, &who.staff, &p, &client_addr(&req))?;
    Ok(HttpResponse::Ok().json(reporter_out(&app, v)))
}

/// Numbers blocked now.
#[utoipa::path(get, path = "/api/v1/blocklist", responses((status = 200, body = [BlockedNumberOut])))]
pub async fn blocklist(app: web::Data<App>, who: Authed<ReadCases>) -> Result<HttpResponse> {
    let list = prank::blocklist(&app, &who.staff)?;
    let out: Vec<BlockedNumberOut> =
        list.iter().map(|(p, b)| BlockedNumberOut { phone: p.clone(), block: dto::block(b) }).collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DaysQuery {
    /// how many days back (default 14)
    pub days: Option<u32>,
}

/// Prank rate per day and channel, emergencies dispatched before verification, numbers blocked.
#[utoipa::path(get, path = "/api/v1/stats/prank", params(DaysQuery), responses((status = 200, body = PrankFiguresOut)))]
pub async fn prank_figures(
    app: web::Data<App>,
    who: Authed<ReadCases>,
    q: web::Query<DaysQuery>,
) -> Result<HttpResponse> {
    let days = q.days.unwrap_or(14);
    let app2 = app.clone();
    let f = web::block(move || prank::figures(&app2, &who.staff, days)).await.map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().json(PrankFiguresOut {
        days: f
            .days
            .into_iter()
            .map(|((day, channel), d)| PrankDayOut {
                day,
                channel,
                reports: d.reports,
                pranks: d.pranks,
                rate: if d.reports == 0 { 0.0 } else { f64::from(d.pranks) / f64::from(d.reports) },
            })
            .collect(),
        emergency_dispatched_unverified: f.emergency_dispatched_unverified,
        blocked_now: f.blocked_now,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ShiftsQuery {
    /// whose snapshots (a hub holds its posts'); default: this node
    pub node: Option<String>,
}

/// The recap request of a recap query (also the queue's `rekap`, the drill-down).
fn rekap_ask(q: &RekapQuery) -> crate::service::recap::Ask {
    let filter = [
        ("node", &q.node),
        ("unit", &q.unit),
        ("category", &q.category),
        ("priority", &q.priority),
        ("channel", &q.channel),
        ("regency", &q.regency),
        ("district", &q.district),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
    .collect();
    crate::service::recap::Ask {
        from: q.from.clone(),
        to: q.to.clone(),
        shift: q.shift.clone(),
        date: q.date.clone(),
        group_by: q.group_by.clone(),
        filter,
        state: q.state.clone(),
        step: q.step.clone(),
        step_status: q.step_status.clone(),
    }
}

/// Shift handover snapshots (taken at each shift's end): the last 30 of a node, newest first,
/// and the nodes that have snapshots here.
#[utoipa::path(get, path = "/api/v1/rekap/shifts", params(ShiftsQuery),
    responses((status = 200, body = super::rekap::ShiftsOut), (status = 403, body = ErrorBody)))]
pub async fn rekap_shifts(app: web::Data<App>, who: Authed<ReadRecaps>, req: HttpRequest) -> Result<HttpResponse> {
    let q = web::Query::<ShiftsQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("bad query string: {e}")))?
        .into_inner();
    let (node, list, nodes) = crate::service::recap::shift_recaps(&app, &who.staff, q.node.as_deref())?;
    let may_note = who.staff.role.may(crate::model::Action::NoteHandover) && node == app.node.as_str();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(super::rekap::ShiftsOut {
        node,
        nodes,
        may_note,
        shifts: list.iter().map(super::rekap::shift_out).collect(),
    }))
}

/// Ka Siaga's handover note on this node's snapshot of the shift that began at `from` (Unix ms,
/// as listed); replaces an earlier note; audited (`shift_note`).
#[utoipa::path(post, path = "/api/v1/rekap/shifts/{from}/note", params(("from" = u64, Path)),
    request_body = super::rekap::ShiftNoteIn,
    responses((status = 200, body = super::rekap::ShiftOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rekap_shift_note(
    app: web::Data<App>,
    who: Authed<ReadRecaps>,
    path: web::Path<u64>,
    body: JsonBody<super::rekap::ShiftNoteIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let from = crate::model::Millis(path.into_inner());
    let r = crate::service::recap::note_shift(&app, &who.staff, from, &body.0.text, &client_addr(&req)).await?;
    Ok(HttpResponse::Ok().json(super::rekap::shift_out(&r)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RekapQuery {
    /// `YYYY-MM-DD` (WIB day) or `YYYY-MM-DDTHH:MM` (WIB); with `to`. Neither: today.
    pub from: Option<String>,
    /// as `from`; a day is included whole; at most 400 days after `from`
    pub to: Option<String>,
    /// a shift of the SOP (e.g. `Pagi`), on `date` (default today), instead of from/to
    pub shift: Option<String>,
    pub date: Option<String>,
    /// comma-separated: node, unit, category, priority, channel, regency, district (kecamatan)
    pub group_by: Option<String>,
    pub node: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    pub regency: Option<String>,
    /// a kecamatan's code (e.g. `16.71.09`)
    pub district: Option<String>,
    /// only the cases in this state at the period end
    pub state: Option<String>,
    /// only the cases standing on this step (verify, dispatch, acknowledge, first_action,
    /// resolve) as `step_status` says: done (default), within, late, overdue, not_yet, missed
    pub step: Option<String>,
    pub step_status: Option<String>,
    /// json (default), csv or xlsx
    pub format: Option<String>,
    /// csv only: `;` (Indonesian Excel) instead of `,`
    pub sep: Option<String>,
    /// json only: list the tickets behind the figures (drill-down)
    pub tickets: Option<bool>,
}

/// SOP compliance figures (alat ukur) for a period: reports received in it, followed to its end;
/// grouped and filtered by node, unit, category, priority, channel, regency, kecamatan. As JSON, CSV (UTF-8
/// with BOM) or XLSX. The definitions are in the answer (`definitions`).
#[utoipa::path(get, path = "/api/v1/rekap", params(RekapQuery),
    responses((status = 200, body = super::rekap::RecapOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rekap(app: web::Data<App>, who: Authed<ReadRecaps>, req: HttpRequest) -> Result<HttpResponse> {
    let q = web::Query::<RekapQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("bad query string: {e}")))?
        .into_inner();
    let format = q.format.clone().unwrap_or_else(|| "json".into());
    if !["json", "csv", "xlsx"].contains(&format.as_str()) {
        return Err(ApiError::field("unknown_format", "format", format!("format {format:?}: use json, csv or xlsx")));
    }
    let semicolon = match q.sep.as_deref() {
        None | Some("") | Some(",") | Some("comma") => false,
        Some(";") | Some("semicolon") => true,
        Some(s) => return Err(ApiError::field("invalid_field", "sep", format!("sep {s:?}: use , or ;"))),
    };
    let ask = rekap_ask(&q);
    let n = now();
    let app2 = app.clone();
    let v = web::block(move || crate::service::recap::recap(&app2, &who.staff, &ask, n))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    let name = format!("rekap-{}-{}", app.node, v.from.yymmdd(crate::model::time::WIB));
    let resp = |ctype: &str, ext: &str| {
        let mut r = HttpResponse::Ok();
        r.insert_header(("Cache-Control", "no-store"))
            .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.{ext}\"")))
            .content_type(ctype.to_owned());
        r
    };
    Ok(match format.as_str() {
        "csv" => resp("text/csv; charset=utf-8", "csv").body(super::rekap::csv(&v, semicolon)),
        "xlsx" => resp("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
            .body(super::rekap::xlsx(&v, app.node.as_str(), n).map_err(|e| ApiError::internal(&e))?),
        _ => HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(super::rekap::recap_out(
            app.node.as_str(),
            &v,
            n,
            q.tickets.unwrap_or(false),
        )),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LimitQuery {
    /// how many entries, newest first (1-1000, default 200)
    pub limit: Option<usize>,
    /// only this user's entries (`citizen`, `cli` or a username)
    pub actor: Option<String>,
    /// only this action, e.g. `read_case`
    pub action: Option<String>,
    /// only entries whose target names this ticket
    pub ticket: Option<String>,
    /// from this WIB day, `YYYY-MM-DD`
    pub date_from: Option<String>,
    /// up to and including this WIB day, `YYYY-MM-DD`
    pub date_to: Option<String>,
}

impl LimitQuery {
    fn filter(&self) -> Result<crate::service::audit::AccessFilter> {
        Ok(crate::service::audit::AccessFilter::parse(
            self.actor.as_deref(),
            self.action.as_deref(),
            self.ticket.as_deref(),
            self.date_from.as_deref(),
            self.date_to.as_deref(),
        )?)
    }
}

/// The access log: logins, reads of personal data and admin actions, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/access-log", params(LimitQuery),
    responses((status = 200, body = AccessLogOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn access_log(
    app: web::Data<App>,
    who: Authed<AccessLog>,
    q: web::Query<LimitQuery>,
) -> Result<HttpResponse> {
    let limit = q.limit.unwrap_or(200);
    let filter = q.filter()?;
    let app2 = app.clone();
    let (entries, chain_ok) = web::block(move || crate::service::audit::access_log(&app2, &who.staff, &filter, limit))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(AccessLogOut {
        chain_ok,
        entries: entries
            .into_iter()
            .map(|e| AccessEntryOut { at: wib(e.at), actor: e.actor, action: e.action, target: e.target, from: e.from })
            .collect(),
    }))
}

/// The access log as CSV (UTF-8, every cell quoted, formula-safe), newest first, with the same
/// filters as `GET /api/v1/access-log` and no limit but the export's. The export is logged.
#[utoipa::path(get, path = "/api/v1/access-log.csv", params(LimitQuery),
    responses((status = 200, content_type = "text/csv"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn access_log_csv(
    app: web::Data<App>,
    who: Authed<AccessLog>,
    q: web::Query<LimitQuery>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let filter = q.filter()?;
    let from = client_addr(&req);
    let app2 = app.clone();
    let entries = web::block(move || crate::service::audit::export_access_log(&app2, &who.staff, &filter, &from))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    let mut out = super::csv::line(&["at", "actor", "action", "target", "from"]);
    for e in entries {
        out.push_str(&super::csv::line(&[wib(e.at), e.actor, e.action, e.target, e.from]));
    }
    let name = format!("access-log-{}-{}.csv", app.node, now().yymmdd(crate::model::time::WIB));
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .content_type("text/csv; charset=utf-8")
        .body(out))
}

/// Live case changes as Server-Sent Events (`event: case`, data: the queue item as JSON), for
/// consoles and the board; `event: resync` when changes were missed (refetch the queue). A
/// comment line every 15 s keeps proxies from closing the stream. The stream does not renew the
/// session, and ends within a second of the session ending for any reason (logout, expiry,
/// account disabled, password, role or unit changed) with a last `event: ended` (data: `{code}`).
#[utoipa::path(get, path = "/api/v1/stream", responses((status = 200, description = "text/event-stream"), (status = 401, body = ErrorBody)))]
pub async fn stream(app: web::Data<App>, who: Authed<ReadCases, Passive>) -> HttpResponse {
    use std::future::Future;
    use std::pin::Pin;
    use tokio::sync::broadcast::error::RecvError;
    struct Live {
        app: web::Data<App>,
        staff: auth::Staff,
        rx: tokio::sync::broadcast::Receiver<Ticket>,
        opened: tokio::sync::broadcast::Receiver<Ticket>,
        ended: Pin<Box<dyn Future<Output = ()>>>,
    }
    let (rx, opened) = (app.changes.subscribe(), app.opened.subscribe());
    let ended = {
        let (app, token, staff) = (app.clone(), who.token, who.staff.clone());
        Box::pin(async move { auth::session_ended(&app, &token, &staff).await })
    };
    let state = Some(Live { app, staff: who.staff, rx, opened, ended });
    let events = futures_util::stream::unfold(state, |state| async move {
        let mut s = state?;
        let chunk = tokio::select! {
            biased;
            _ = &mut s.ended => {
                let last = "event: ended\ndata: {\"code\":\"session_expired\"}\n\n";
                return Some((Ok::<_, actix_web::Error>(web::Bytes::from_static(last.as_bytes())), None));
            }
            r = s.rx.recv() => match r {
                Ok(t) => match cases::visible_change(&s.app, &s.staff, &t) {
                    Ok(Some(c)) => {
                        let item = dto::summary(&s.app, &c, crate::service::now());
                        format!("event: case\ndata: {}\n\n", serde_json::to_string(&item).unwrap_or_default())
                    }
                    Ok(None) => ": -\n\n".to_owned(),
                    Err(e) => {
                        tracing::warn!(error = %e, "live stream could not read a case");
                        "event: resync\ndata: {}\n\n".to_owned()
                    }
                },
                Err(RecvError::Lagged(_)) => "event: resync\ndata: {}\n\n".to_owned(),
                Err(RecvError::Closed) => return None,
            },
            // someone opened a case this person may see: its unread alert ends everywhere
            r = s.opened.recv() => match r {
                Ok(t) => match cases::visible_change(&s.app, &s.staff, &t) {
                    Ok(Some(_)) => format!("event: opened\ndata: {}\n\n", serde_json::json!({ "ticket": t.as_str() })),
                    _ => ": -\n\n".to_owned(),
                },
                Err(RecvError::Lagged(_)) => ": -\n\n".to_owned(),
                Err(RecvError::Closed) => return None,
            },
            _ = tokio::time::sleep(std::time::Duration::from_secs(15)) => ": ping\n\n".to_owned(),
        };
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), Some(s)))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        // never compressed: a compressor would hold events back until its buffer fills
        .insert_header((actix_web::http::header::CONTENT_ENCODING, "identity"))
        .streaming(events)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserOut {
    pub username: String,
    pub role: String,
    pub unit: Option<String>,
    pub disabled: bool,
    /// created or reset by tik_admin over the web for a role that reads case contents: no login
    /// until a ka_siaga or leader of this node confirms it
    pub pending: bool,
    pub created_at: String,
    /// full name, pangkat (rank) and NRP; empty when not set
    pub full_name: String,
    pub pangkat: String,
    pub nrp: String,
    /// only in the answer that created the account or set its password: shown once
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

fn user_out(u: &auth::UserRecord, password: Option<String>) -> UserOut {
    UserOut {
        username: u.username.clone(),
        role: u.role.as_str().to_owned(),
        unit: u.unit.as_ref().map(|x| x.to_string()),
        disabled: u.disabled,
        pending: u.pending,
        created_at: wib(u.created),
        full_name: u.full_name.clone(),
        pangkat: u.pangkat.clone(),
        nrp: u.nrp.clone(),
        password,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub username: Option<String>,
    pub role: Option<String>,
    pub unit: Option<String>,
    /// leave out to have one generated (returned once)
    pub password: Option<String>,
    pub full_name: Option<String>,
    pub pangkat: Option<String>,
    pub nrp: Option<String>,
}

/// An officer's full name, pangkat (rank) and NRP; a field left out becomes empty.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityIn {
    pub full_name: Option<String>,
    pub pangkat: Option<String>,
    pub nrp: Option<String>,
}

fn identity(full_name: Option<&str>, pangkat: Option<&str>, nrp: Option<&str>) -> Result<auth::Identity> {
    auth::Identity::parse(full_name.unwrap_or(""), pangkat.unwrap_or(""), nrp.unwrap_or(""))
        .map_err(|f| ApiError::field(f.code, f.field, f.message))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    pub password: Option<String>,
}

/// Accounts (tik_admin).
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = [UserOut]), (status = 403, body = ErrorBody)))]
pub async fn list_users(app: web::Data<App>, who: Authed<AnyStaff>) -> Result<HttpResponse> {
    let users = auth::list_users(&app, &who.staff)?;
    Ok(HttpResponse::Ok().json(users.iter().map(|u| user_out(u, None)).collect::<Vec<_>>()))
}

/// Add an account (tik_admin). The password, given or generated, is in the answer once.
#[utoipa::path(post, path = "/api/v1/users", request_body = UserIn, responses((status = 201, body = UserOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_user(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    body: JsonBody<UserIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let b = body.0;
    let name = b.username.ok_or_else(|| ApiError::field("missing_field", "username", "username is required"))?;
    let role = b.role.ok_or_else(|| ApiError::field("missing_field", "role", "role is required"))?;
    let id = identity(b.full_name.as_deref(), b.pangkat.as_deref(), b.nrp.as_deref())?;
    let from = client_addr(&req);
    let app2 = app.clone();
    let (u, pw) = web::block(move || {
        let (u, pw) = auth::api_add_user(&app2, &who.staff, &name, &role, b.unit.as_deref(), b.password, &from)?;
        if id == auth::Identity::default() {
            return Ok((u, pw));
        }
        Ok::<_, crate::service::ServiceError>((auth::api_set_identity(&app2, &who.staff, &name, id, &from)?, pw))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Created().json(user_out(&u, Some(pw))))
}

/// Disable an account and end its sessions (tik_admin).
#[utoipa::path(post, path = "/api/v1/users/{name}/disable", params(("name" = String, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable_user(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    auth::api_disable_user(&app, &who.staff, &path, &client_addr(&req))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a new password (generated when left out) and end the user's sessions (tik_admin). A
/// disabled account stays disabled; one that reads case contents waits for a confirmation again.
#[utoipa::path(post, path = "/api/v1/users/{name}/password", params(("name" = String, Path)), request_body = PasswordIn, responses((status = 200, body = UserOut), (status = 403, body = ErrorBody)))]
pub async fn set_user_password(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    body: JsonBody<PasswordIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let (name, from, pw) = (path.into_inner(), client_addr(&req), body.0.password);
    let (u, pw) = web::block(move || auth::api_set_password(&app, &who.staff, &name, pw, &from))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().json(user_out(&u, Some(pw))))
}

/// Enable a disabled account; its password is unchanged (tik_admin).
#[utoipa::path(post, path = "/api/v1/users/{name}/enable", params(("name" = String, Path)), responses((status = 200, body = UserOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enable_user(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let u = auth::api_enable_user(&app, &who.staff, &path, &client_addr(&req))?;
    Ok(HttpResponse::Ok().json(user_out(&u, None)))
}

/// Set an account's full name, pangkat (rank) and NRP, shown where the officer acts (tik_admin).
#[utoipa::path(post, path = "/api/v1/users/{name}/identity", params(("name" = String, Path)), request_body = IdentityIn, responses((status = 200, body = UserOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_user_identity(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    body: JsonBody<IdentityIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let b = body.0;
    let id = identity(b.full_name.as_deref(), b.pangkat.as_deref(), b.nrp.as_deref())?;
    let (name, from) = (path.into_inner(), client_addr(&req));
    let u = web::block(move || auth::api_set_identity(&app, &who.staff, &name, id, &from))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().json(user_out(&u, None)))
}

/// Accounts waiting for a confirmation (ka_siaga, leader, tik_admin).
#[utoipa::path(get, path = "/api/v1/users/pending", responses((status = 200, body = [UserOut]), (status = 403, body = ErrorBody)))]
pub async fn pending_users(app: web::Data<App>, who: Authed<AnyStaff>) -> Result<HttpResponse> {
    let users = auth::pending_users(&app, &who.staff)?;
    Ok(HttpResponse::Ok().json(users.iter().map(|u| user_out(u, None)).collect::<Vec<_>>()))
}

/// Confirm a pending account: it may log in from now on (ka_siaga or leader of this node).
#[utoipa::path(post, path = "/api/v1/users/{name}/confirm", params(("name" = String, Path)), responses((status = 200, body = UserOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm_user(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let u = auth::confirm_user(&app, &who.staff, &path, &client_addr(&req))?;
    Ok(HttpResponse::Ok().json(user_out(&u, None)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

fn channel_off() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "the WhatsApp channel is not configured on this node")
}

/// Meta's webhook verification handshake: answers the challenge when the verify token matches.
#[utoipa::path(get, path = "/webhooks/whatsapp", params(Handshake),
    responses((status = 200, description = "the challenge, as text"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn whatsapp_verify(wa: Option<web::Data<WhatsApp>>, q: web::Query<Handshake>) -> Result<HttpResponse> {
    let wa = wa.ok_or_else(channel_off)?;
    match wa.handshake(q.mode.as_deref(), q.verify_token.as_deref(), q.challenge.as_deref()) {
        Some(challenge) => Ok(HttpResponse::Ok().content_type("text/plain").body(challenge)),
        None => Err(ApiError::new(StatusCode::FORBIDDEN, "bad_verify_token", "the verify token does not match")),
    }
}

/// A webhook delivery from Meta: checked (`X-Hub-Signature-256`), stored durably, then 200. The
/// body is read only once the channel is known to be on, and only up to 1 MiB (a larger declared
/// `Content-Length` is refused before anything is read).
#[utoipa::path(post, path = "/webhooks/whatsapp",
    responses((status = 200), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn whatsapp_receive(
    app: web::Data<App>,
    wa: Option<web::Data<WhatsApp>>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let wa = wa.ok_or_else(channel_off)?;
    let body = read_limited(declared_length(&req), payload.into_inner(), super::WEBHOOK_LIMIT).await?;
    let sig = req.headers().get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if !crate::channel::whatsapp::signature_ok(wa.cfg.app_secret.expose(), &body, sig) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", "missing or wrong X-Hub-Signature-256"));
    }
    wa.accept(&app, &body).await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("EVENT_RECEIVED"))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxOut {
    /// messages waiting to be sent (the Graph API unreachable, or backing off)
    pub pending: usize,
    pub oldest_pending_at: Option<String>,
    pub sent: usize,
    pub delivered: usize,
    pub read: usize,
    pub failed: usize,
}

/// The WhatsApp outbox: backlog and delivery states (tik_admin, auditor).
#[utoipa::path(get, path = "/api/v1/whatsapp/outbox", responses((status = 200, body = OutboxOut), (status = 404, body = ErrorBody)))]
pub async fn whatsapp_outbox(
    app: web::Data<App>,
    wa: Option<web::Data<WhatsApp>>,
    _who: Authed<Integrity>,
) -> Result<HttpResponse> {
    wa.ok_or_else(channel_off)?;
    let app2 = app.clone();
    let f = web::block(move || crate::channel::whatsapp::outbox_figures(&app2))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().json(OutboxOut {
        pending: f.pending,
        oldest_pending_at: f.oldest_pending.map(wib),
        sent: f.sent,
        delivered: f.delivered,
        read: f.read,
        failed: f.failed,
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "banpol API",
        description = "Layanan Bantuan Polisi, Polda Sumatera Selatan. Errors are always {code, message}."
    ),
    paths(
        healthz,
        super::metrics::metrics,
        openapi,
        create_report,
        track_report,
        login,
        logout,
        whoami,
        list_cases,
        get_case,
        case_photo,
        case_action,
        units,
        areas,
        board,
        integrity,
        sync_status,
        publish_release,
        get_reporter,
        block_reporter,
        lift_block,
        blocklist,
        prank_figures,
        rekap,
        rekap_shifts,
        rekap_shift_note,
        whatsapp_verify,
        whatsapp_receive,
        whatsapp_outbox,
        access_log,
        access_log_csv,
        stream,
        list_users,
        add_user,
        pending_users,
        enable_user,
        confirm_user,
        disable_user,
        set_user_password,
        set_user_identity,
        case_stpl,
        report_stpl,
        get_sop,
        sop_versions,
        sop_version,
        draft_sop,
        sop_action,
        install_signed_sop
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// This document. A test compares it with the route table (`tests/it/api.rs`).
#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "the OpenAPI 3 document of this API")))]
pub async fn openapi() -> HttpResponse {
    use utoipa::OpenApi;
    let doc = ApiDoc::openapi().merge_from(super::open311::Open311Doc::openapi());
    HttpResponse::Ok()
        .json(doc.merge_from(super::polsek::PolsekDoc::openapi()).merge_from(super::drill::DrillDoc::openapi()))
}

/// Each sync link of this node: the parent (if any) and every child that has connected, with
/// last contact, events waiting, lag and last error.
#[utoipa::path(get, path = "/api/v1/sync/status", responses((status = 200, body = SyncStatusOut), (status = 401, body = ErrorBody)))]
pub async fn sync_status(app: web::Data<App>, _who: Authed<AnyStaff>) -> HttpResponse {
    HttpResponse::Ok().json(SyncStatusOut {
        node: app.node.to_string(),
        role: if app.is_root() { "hub" } else { "post" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        peers: crate::service::sync::status(&app).into_iter().map(dto::sync_peer).collect(),
        export: dto::sync_export(app.export.status()),
    })
}

/// Bid TIK publishes a signed release to this node's children (tik_admin only). The body is the
/// release archive; it is verified like a post would before anything is offered. The role is
/// checked before the body is read, then the body is read up to `RELEASE_LIMIT`.
#[utoipa::path(post, path = "/api/v1/releases", request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the signed release archive"),
    responses((status = 201, body = ReleaseOut), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn publish_release(
    app: web::Data<App>,
    who: Authed<RunNode>,
    one_at_a_time: ReleaseSlot,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse> {
    let body = body.0;
    let from = client_addr(&req);
    crate::service::auth::bid_tik_action(&app, &who.staff, "release_publish_attempt", "", &from)?;
    let (data_dir, supervision) = (app.data_dir.clone(), app.supervision.clone());
    let published = web::block(move || {
        crate::update::TrustedKeys::load(&supervision)
            .and_then(|k| crate::update::publish::publish(&data_dir, &body, &k))
    })
    .await;
    // the slot is free before the answer goes out, so the next upload finds it free
    drop(one_at_a_time);
    let published = published.map_err(|e| ApiError::internal(&e))?.map_err(|e| {
        ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "release_refused", e.to_string())
    })?;
    crate::service::auth::bid_tik_action(&app, &who.staff, "release_publish", &published.manifest.version, &from)?;
    let (m, size) = (published.manifest, published.size);
    Ok(HttpResponse::Created().json(ReleaseOut {
        version: m.version,
        cohort: CohortOut {
            canary: m.cohort.canary,
            share_percent: m.cohort.share_percent,
            all_after: m.cohort.all_after,
        },
        size,
    }))
}

// ----- the SOP -----------------------------------------------------------------------------------

fn sop_version_detail(r: crate::service::sop::Record, stage: crate::model::sop::Stage) -> SopVersionDetailOut {
    let document = crate::model::Sop::parse(&r.text).ok().map(|s| dto::sop_doc(&s));
    SopVersionDetailOut {
        signed: crate::service::sop::signed(&r),
        version: dto::sop_version(&r, stage),
        document,
        text: r.text,
    }
}

/// The SOP version in force on this node for new cases: the document (categories, steps with
/// their guidance, deadlines, ladder, reject reasons, prank policy) and who ratified it when.
#[utoipa::path(get, path = "/api/v1/sop", responses((status = 200, body = SopOut), (status = 401, body = ErrorBody)))]
pub async fn get_sop(app: web::Data<App>, _who: Authed<AnyStaff>) -> Result<HttpResponse> {
    let sop = app.sop();
    let (r, stage) = crate::service::sop::version(&app, &sop.version)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SopOut { version: dto::sop_version(&r, stage), document: dto::sop_doc(&sop) }))
}

/// Every SOP version this node holds, with its stage and history.
#[utoipa::path(get, path = "/api/v1/sop/versions", responses((status = 200, body = [SopVersionOut]), (status = 401, body = ErrorBody)))]
pub async fn sop_versions(app: web::Data<App>, _who: Authed<AnyStaff>) -> Result<HttpResponse> {
    let out: Vec<SopVersionOut> =
        crate::service::sop::versions(&app)?.iter().map(|(r, st)| dto::sop_version(r, *st)).collect();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(out))
}

/// One SOP version: its TOML text, the document, its history and, once ratified, its signed form.
#[utoipa::path(get, path = "/api/v1/sop/versions/{version}", params(("version" = String, Path)),
    responses((status = 200, body = SopVersionDetailOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sop_version(app: web::Data<App>, _who: Authed<AnyStaff>, path: web::Path<String>) -> Result<HttpResponse> {
    let (r, stage) = crate::service::sop::version(&app, &path)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(sop_version_detail(r, stage)))
}

/// Writes a draft at the hub (ka_siaga, leader): the TOML text as the body (`application/toml` or
/// `text/plain`) or as JSON `{"text"}`. The same version again replaces the text while it is a
/// draft. A text that does not parse is refused with `sop_invalid`, its `field` and `line`.
#[utoipa::path(post, path = "/api/v1/sop/versions", request_body(content = SopDraftIn, description = "JSON {text}, or the TOML itself"),
    responses((status = 201, body = SopVersionDetailOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_sop(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse> {
    let json = actix_web::HttpMessage::mime_type(&req).ok().flatten().is_some_and(|m| m.subtype() == mime::JSON);
    let text = if json {
        serde_json::from_slice::<SopDraftIn>(&body.0)
            .map_err(|e| ApiError::field("invalid_field", "text", e.to_string()))?
            .text
    } else {
        String::from_utf8(body.0.to_vec())
            .map_err(|_| ApiError::field("invalid_field", "text", "the SOP text must be UTF-8"))?
    };
    let r = crate::service::sop::draft(&app, &who.staff, &text, &client_addr(&req)).await?;
    let (r, stage) = (r.clone(), r.stage);
    Ok(HttpResponse::Created().json(sop_version_detail(r, stage)))
}

/// Moves a version in its life: `submit` (drafter, to Bid Hukum), `return` (legal, with a
/// comment), `approve` (legal), `ratify` (a leader marked as ratifier; `effective_from`). Each is
/// in the version's history and the access log.
#[utoipa::path(post, path = "/api/v1/sop/versions/{version}/actions", params(("version" = String, Path)), request_body = SopActionIn,
    responses((status = 200, body = SopVersionDetailOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sop_action(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<SopActionIn>,
) -> Result<HttpResponse> {
    let b = body.0;
    let action = crate::model::sop::LifeAction::parse(&b.action).ok_or_else(|| {
        ApiError::field(
            "unknown_action",
            "action",
            format!("action {:?} is unknown: submit, return, approve or ratify", b.action),
        )
    })?;
    let effective_from = match b.effective_from {
        None => None,
        Some(s) => Some(
            time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                .map(|t| crate::model::Millis((t.unix_timestamp_nanos() / 1_000_000).max(0) as u64))
                .map_err(|_| {
                    ApiError::field(
                        "invalid_field",
                        "effective_from",
                        format!("{s:?} is not an RFC 3339 time like 2026-12-01T00:00:00+07:00"),
                    )
                })?,
        ),
    };
    let mv = crate::service::sop::Move {
        action,
        comment: b.comment.unwrap_or_default(),
        section: b.section.unwrap_or_default(),
        effective_from,
    };
    let r = crate::service::sop::act(&app, &who.staff, &path, mv, &client_addr(&req)).await?;
    let stage = crate::service::sop::stage_now(&app, &r);
    Ok(HttpResponse::Ok().json(sop_version_detail(r, stage)))
}

/// Installs a signed SOP by hand (a leader; a post cut off from the hub): checked exactly as one
/// arriving by sync. Refused unsigned (`sop_unsigned`), not ratified (`sop_not_ratified`), signed
/// by another key (`sop_wrong_key`), older than the one held (`sop_outdated`).
#[utoipa::path(post, path = "/api/v1/sop/signed", request_body(content = Object, description = "the `signed` of a ratified version"),
    responses((status = 200, body = SopReceivedOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn install_signed_sop(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    req: HttpRequest,
    body: JsonBody<crate::service::sop::SignedSop>,
) -> Result<HttpResponse> {
    let installed = crate::service::sop::upload(&app, &who.staff, &body.0, &client_addr(&req)).await?;
    Ok(HttpResponse::Ok().json(SopReceivedOut { version: body.0.version.clone(), installed }))
}
