//! Latihan (drills) over HTTP: scenarios, starting a drill, its life and its scorecard. The
//! names are the issue's, so scripts can drive drills. Handlers only convert: the roles are
//! checked in `service::drill`.

use super::dto::wib;
use super::error::{ApiError, ErrorBody};
use super::extract::{client_addr, AnyStaff, Authed, Body, JsonBody};
use crate::model::drill::{Check, DrillAction, Inject, Scenario};
use crate::model::NodeCode;
use crate::service::drill::hub::{HubDrill, PostReport};
use crate::service::drill::{self as svc, DrillView, ScenarioEntry, Viewed};
use crate::service::App;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioOut {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub sop_version: String,
    /// the SOP in force is the version the scenario was written for
    pub sop_matches: bool,
    /// built in (`data/drills/`), or uploaded
    pub embedded: bool,
    pub duration_min: u64,
    pub injects: Vec<InjectOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InjectOut {
    /// 1-based
    pub n: usize,
    /// offset from the start, drill time, in seconds
    pub t_s: u64,
    pub channel: String,
    pub category: String,
    pub text: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub place: String,
    pub script: Option<String>,
    pub chat: Vec<String>,
    pub trap: Option<String>,
    #[schema(value_type = Object)]
    pub expect: serde_json::Value,
}

fn inject_out(n: usize, i: &Inject) -> InjectOut {
    let x = &i.expect;
    InjectOut {
        n,
        t_s: i.t_ms / 1000,
        channel: i.channel.as_str().to_owned(),
        category: i.category.as_str().to_owned(),
        text: i.text.clone(),
        reporter_name: i.reporter_name.clone(),
        reporter_phone: i.reporter_phone.clone(),
        place: [Some(i.address.as_str()), i.district.as_deref(), Some(i.regency.as_str())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        script: i.script.clone(),
        chat: i.chat.clone(),
        trap: i.trap.clone(),
        expect: serde_json::json!({
            "decision": x.decision,
            "reason": x.reason,
            "duplicate_of": x.duplicate_of,
            "priority": x.priority.map(|p| p.as_str()),
            "unit": x.unit.as_ref().map(|u| u.to_string()),
            "dispatch_first": x.dispatch_first,
        }),
    }
}

fn scenario_out(s: &Scenario, embedded: bool, sop_matches: bool) -> ScenarioOut {
    ScenarioOut {
        id: s.id.clone(),
        title: s.title.clone(),
        summary: s.summary.clone(),
        sop_version: s.sop_version.clone(),
        sop_matches,
        embedded,
        duration_min: s.duration_ms / 60_000,
        injects: s.injects.iter().enumerate().map(|(i, x)| inject_out(i + 1, x)).collect(),
    }
}

fn entry_out(e: ScenarioEntry) -> ScenarioOut {
    scenario_out(&e.scenario, e.embedded, e.sop_matches)
}

/// The drill scenarios this node offers: built in, then uploaded.
#[utoipa::path(get, path = "/api/v1/drills/scenarios",
    responses((status = 200, body = Vec<ScenarioOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn scenarios(app: web::Data<App>, who: Authed<AnyStaff>) -> Result<HttpResponse> {
    let out: Vec<ScenarioOut> = svc::scenarios(&app, &who.staff)?.into_iter().map(entry_out).collect();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(out))
}

/// Uploads a scenario (ka_siaga, tik_admin): the TOML itself as the body. A refusal is
/// `scenario_invalid` with the `field` and `line` at fault.
#[utoipa::path(post, path = "/api/v1/drills/scenarios", request_body(content = String, content_type = "application/toml", description = "the scenario's TOML"),
    responses((status = 201, body = ScenarioOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_scenario(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse> {
    let text = String::from_utf8(body.0.to_vec())
        .map_err(|_| ApiError::field("invalid_field", "text", "the scenario must be UTF-8 TOML"))?;
    let s = svc::upload(&app, &who.staff, &text, &client_addr(&req)).await?;
    let sop_matches = s.sop_version == app.sop().version;
    Ok(HttpResponse::Created().json(scenario_out(&s, false, sop_matches)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartIn {
    pub scenario: String,
    /// the posts to run it at (default: this one)
    #[serde(default)]
    pub posts: Option<Vec<String>>,
    /// drill time per real time (1.0: real time; 0.1 to 60)
    #[serde(default)]
    pub speed: Option<f64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrillActionIn {
    /// pause, resume or abort
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOut {
    pub id: String,
    pub ok: bool,
    pub actor: Option<String>,
    pub at: Option<String>,
    pub took_s: Option<u64>,
    pub limit_s: Option<u64>,
    pub miss: Option<String>,
    pub rule: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InjectScoreOut {
    pub n: usize,
    pub ticket: Option<String>,
    pub arrived_at: Option<String>,
    pub checks: Vec<CheckOut>,
    pub escalations: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantOut {
    pub user: String,
    pub points: u32,
    pub max_points: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissOut {
    pub inject: usize,
    pub check: String,
    pub actor: Option<String>,
    /// what went wrong (Bahasa Indonesia)
    pub text: String,
    /// the SOP rule it broke (Bahasa Indonesia)
    pub rule: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardOut {
    pub points: u32,
    pub max_points: u32,
    pub score_percent: u32,
    pub escalations: u32,
    pub injects: Vec<InjectScoreOut>,
    pub participants: Vec<ParticipantOut>,
    pub misses: Vec<MissOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatLineOut {
    pub inject: usize,
    pub ticket: Option<String>,
    /// `in` (the reporter) or `out` (what banpol would send; never sent)
    pub dir: String,
    pub at: Option<String>,
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DrillOut {
    pub id: String,
    pub node: String,
    pub state: String,
    pub state_label: String,
    pub started_by: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub speed: f64,
    /// drill time elapsed, seconds
    pub elapsed_s: u64,
    pub scenario: ScenarioOut,
    /// per inject: its ticket once it came
    pub tickets: Vec<Option<String>>,
    pub scorecard: ScorecardOut,
    pub chat: Vec<ChatLineOut>,
    #[schema(value_type = Vec<Object>)]
    pub log: Vec<serde_json::Value>,
    /// the hub drill this is this post's part of (started by the hub)
    pub hub_drill: Option<String>,
}

/// One post's part of a hub drill, as the post last told.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostDrillOut {
    pub post: String,
    /// the post's own drill id once it started its part
    pub drill_id: Option<String>,
    /// `waiting` (the post has not taken it yet), `refused`, or the post's drill state
    pub state: String,
    /// why the post did not run it (`drill_running`, `scenario_invalid`, `drill_aborted`)
    pub refused: Option<RefusedOut>,
    pub score_percent: Option<u32>,
    pub points: Option<u32>,
    pub max_points: Option<u32>,
    pub escalations: Option<u32>,
    pub participants: Vec<ParticipantOut>,
    pub misses: Vec<MissOut>,
    /// per inject: its ticket at the post
    pub tickets: Vec<Option<String>>,
    /// when the post made the report
    pub reported_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedOut {
    pub code: String,
    pub message: String,
}

/// A drill a hub started for chosen posts: each post's part and scorecard.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubDrillOut {
    pub id: String,
    /// `hub` (a post's own drill answers `DrillOut`, without `kind`)
    pub kind: String,
    pub node: String,
    pub state: String,
    pub state_label: String,
    pub started_by: String,
    pub started_at: String,
    pub speed: f64,
    pub scenario: ScenarioOut,
    pub posts: Vec<PostDrillOut>,
    #[schema(value_type = Vec<Object>)]
    pub log: Vec<serde_json::Value>,
}

/// The posts a hub can start a drill for, and its drills for posts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubDrillsOut {
    pub posts: Vec<String>,
    pub drills: Vec<HubDrillOut>,
}

fn post_out(post: &str, r: Option<&PostReport>) -> PostDrillOut {
    let Some(r) = r else {
        return PostDrillOut {
            post: post.to_owned(),
            drill_id: None,
            state: "waiting".into(),
            refused: None,
            score_percent: None,
            points: None,
            max_points: None,
            escalations: None,
            participants: Vec::new(),
            misses: Vec::new(),
            tickets: Vec::new(),
            reported_at: None,
        };
    };
    let scored = r.drill_id.is_some();
    PostDrillOut {
        post: post.to_owned(),
        drill_id: r.drill_id.clone(),
        state: match (&r.refused, r.state) {
            (Some(_), _) => "refused".into(),
            (None, Some(s)) => s.as_str().into(),
            (None, None) => "waiting".into(),
        },
        refused: r.refused.as_ref().map(|x| RefusedOut { code: x.code.clone(), message: x.message.clone() }),
        score_percent: scored.then_some(r.score_percent),
        points: scored.then_some(r.points),
        max_points: scored.then_some(r.max_points),
        escalations: scored.then_some(r.escalations),
        participants: r
            .participants
            .iter()
            .map(|p| ParticipantOut { user: p.user.clone(), points: p.points, max_points: p.max_points })
            .collect(),
        misses: r
            .misses
            .iter()
            .map(|m| MissOut {
                inject: m.inject,
                check: m.check.clone(),
                actor: m.actor.clone(),
                text: m.text.clone(),
                rule: m.rule.clone(),
            })
            .collect(),
        tickets: r.tickets.iter().map(|t| t.as_ref().map(|t| t.to_string())).collect(),
        reported_at: Some(wib(r.at)),
    }
}

fn hub_out(app: &App, h: HubDrill) -> HubDrillOut {
    let state = h.state();
    let sop_matches = h.scenario.sop_version == app.sop().version;
    HubDrillOut {
        kind: "hub".into(),
        node: app.node.to_string(),
        state: state.as_str().into(),
        state_label: state.label_id().into(),
        started_by: h.started_by.clone(),
        started_at: wib(h.started_at),
        speed: h.speed,
        scenario: scenario_out(&h.scenario, false, sop_matches),
        posts: h.posts.iter().map(|p| post_out(p.post.as_str(), p.report.as_ref())).collect(),
        log: h
            .log
            .iter()
            .map(|(at, who, what)| serde_json::json!({"at": wib(*at), "by": who, "action": what}))
            .collect(),
        id: h.id,
    }
}

fn viewed_out(app: &App, v: Viewed) -> HttpResponse {
    let mut r = HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).take();
    match v {
        Viewed::Post(v) => r.json(drill_out(app, *v)),
        Viewed::Hub(h) => r.json(hub_out(app, *h)),
    }
}

fn check_out(c: &Check) -> CheckOut {
    CheckOut {
        id: c.id.to_owned(),
        ok: c.ok,
        actor: c.actor.clone(),
        at: c.at.map(wib),
        took_s: c.took_ms.map(|t| t / 1000),
        limit_s: c.limit_ms.map(|t| t / 1000),
        miss: c.miss.clone(),
        rule: c.rule.clone(),
    }
}

fn drill_out(app: &App, v: DrillView) -> DrillOut {
    let r = &v.record;
    let s = &v.score;
    let sop_matches = r.scenario.sop_version == app.sop().version;
    DrillOut {
        id: r.id.clone(),
        node: r.node.to_string(),
        state: r.state.as_str().to_owned(),
        state_label: r.state.label_id().to_owned(),
        started_by: r.started_by.clone(),
        started_at: wib(r.clock.started),
        ended_at: r.ended_at.map(wib),
        speed: r.clock.speed,
        elapsed_s: v.elapsed_ms / 1000,
        scenario: scenario_out(&r.scenario, false, sop_matches),
        tickets: r.fired.iter().map(|f| f.as_ref().map(|(t, _)| t.to_string())).collect(),
        scorecard: ScorecardOut {
            points: s.points,
            max_points: s.max_points,
            score_percent: s.score_percent,
            escalations: s.escalations,
            injects: s
                .injects
                .iter()
                .map(|i| InjectScoreOut {
                    n: i.n,
                    ticket: i.ticket.as_ref().map(|t| t.to_string()),
                    arrived_at: i.arrived.map(wib),
                    checks: i.checks.iter().map(check_out).collect(),
                    escalations: i.escalations,
                })
                .collect(),
            participants: s
                .participants
                .iter()
                .map(|p| ParticipantOut { user: p.user.clone(), points: p.points, max_points: p.max_points })
                .collect(),
            misses: s
                .misses()
                .map(|(n, c)| MissOut {
                    inject: n,
                    check: c.id.to_owned(),
                    actor: c.actor.clone(),
                    text: c.miss.clone().unwrap_or_default(),
                    rule: c.rule.clone().unwrap_or_default(),
                })
                .collect(),
        },
        chat: v
            .chat
            .iter()
            .map(|c| ChatLineOut {
                inject: c.inject,
                ticket: c.ticket.as_ref().map(|t| t.to_string()),
                dir: c.dir.to_owned(),
                at: c.at.map(wib),
                text: c.text.clone(),
            })
            .collect(),
        log: r
            .log
            .iter()
            .map(|(at, who, what)| serde_json::json!({"at": wib(*at), "by": who, "action": what}))
            .collect(),
        hub_drill: r.hub.as_ref().map(|h| h.id.clone()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartedOut {
    pub id: String,
    pub node: String,
    pub state: String,
}

/// Starts a drill (ka_siaga, pa_siaga, tik_admin): `{"scenario", "posts"?, "speed"?}` → 201
/// `{"id"}`. At this post, or at a hub for the posts enrolled below it that `posts` names (a
/// post not enrolled here: 422 `unknown_post`).
#[utoipa::path(post, path = "/api/v1/drills", request_body = StartIn,
    responses((status = 201, body = StartedOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    req: HttpRequest,
    body: JsonBody<StartIn>,
) -> Result<HttpResponse> {
    let b = body.0;
    let mut posts = Vec::new();
    for p in b.posts.unwrap_or_default() {
        posts.push(NodeCode::parse(&p).map_err(|e| ApiError::field("invalid_field", "posts", e.to_string()))?);
    }
    let r = svc::start(&app, &who.staff, &b.scenario, b.speed, &posts, &client_addr(&req)).await?;
    Ok(HttpResponse::Created().json(StartedOut { id: r.id, node: r.node.to_string(), state: r.state.as_str().into() }))
}

/// At a hub: the posts enrolled below it (a drill can be started for them) and the drills it
/// started for posts, newest first, each with every post's part and scorecard.
#[utoipa::path(get, path = "/api/v1/drills/hub",
    responses((status = 200, body = HubDrillsOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn hub_list(app: web::Data<App>, who: Authed<AnyStaff>) -> Result<HttpResponse> {
    let (posts, drills) = svc::hub::list(&app, &who.staff)?;
    let out = HubDrillsOut {
        posts: posts.iter().map(|p| p.to_string()).collect(),
        drills: drills.into_iter().map(|h| hub_out(&app, h)).collect(),
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(out))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DrillsQuery {
    /// only the drills this officer took part in
    pub user: Option<String>,
}

/// This node's drills, newest first, each with its scorecard: the history per post and officer.
#[utoipa::path(get, path = "/api/v1/drills", params(DrillsQuery),
    responses((status = 200, body = Vec<DrillOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(app: web::Data<App>, who: Authed<AnyStaff>, q: web::Query<DrillsQuery>) -> Result<HttpResponse> {
    let user = q.user.as_deref().filter(|u| !u.is_empty());
    let out: Vec<DrillOut> = svc::list(&app, &who.staff, user)?.into_iter().map(|v| drill_out(&app, v)).collect();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(out))
}

/// One drill: its state, injects, simulated WhatsApp chat and scorecard (`score_percent`). A
/// drill a hub started for posts answers `HubDrillOut`: each post's part and scorecard.
#[utoipa::path(get, path = "/api/v1/drills/{id}", params(("id" = String, Path)),
    responses((status = 200, body = DrillOut, description = "a post's drill; a hub's drill for posts: HubDrillOut"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(app: web::Data<App>, who: Authed<AnyStaff>, path: web::Path<String>) -> Result<HttpResponse> {
    let v = svc::view(&app, &who.staff, &path)?;
    Ok(viewed_out(&app, v))
}

/// Pauses, resumes or aborts a drill (ka_siaga, pa_siaga, tik_admin); at a hub, a drill it
/// started for posts (each post follows at its next hello).
#[utoipa::path(post, path = "/api/v1/drills/{id}/actions", params(("id" = String, Path)), request_body = DrillActionIn,
    responses((status = 200, body = DrillOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn action(
    app: web::Data<App>,
    who: Authed<AnyStaff>,
    path: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<DrillActionIn>,
) -> Result<HttpResponse> {
    let a = DrillAction::parse(&body.0.action).ok_or_else(|| {
        ApiError::field(
            "unknown_action",
            "action",
            format!("action {:?} is unknown: pause, resume or abort", body.0.action),
        )
    })?;
    svc::act(&app, &who.staff, &path, a, &client_addr(&req)).await?;
    let v = svc::view(&app, &who.staff, &path)?;
    Ok(viewed_out(&app, v))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(scenarios, upload_scenario, start, hub_list, list, get, action),
    components(schemas(
        ScenarioOut,
        InjectOut,
        StartIn,
        StartedOut,
        DrillActionIn,
        DrillOut,
        ScorecardOut,
        CheckOut,
        InjectScoreOut,
        ParticipantOut,
        MissOut,
        ChatLineOut,
        HubDrillOut,
        HubDrillsOut,
        PostDrillOut,
        RefusedOut
    ))
)]
pub struct DrillDoc;
