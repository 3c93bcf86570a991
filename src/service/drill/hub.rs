//! Drills a hub starts for chosen posts. The hub keeps one record (`hub:ID` in `Kv::Drill`,
//! id `SUMSEL-261202-H1`) listing the posts and, once they told, each post's drill id, state and
//! scorecard. Nothing is pushed: each post's sync client asks its parent at every hello
//! (`GET /sync/v1/drills`, [`orders_for`]) and gets the hub's word on each drill it is part of
//! (the scenario's text, the speed, who started it, and the state the hub wants with a revision
//! that counts the hub's pauses, resumes and aborts). The post ([`take_orders`]) starts its part
//! once, keyed by the hub drill's id (`hubref:ID`: its own drill id or its refusal, the hub's
//! revision it followed, and whether the hub holds its final report), so retries and restarts
//! start nothing twice; a post already running a drill refuses, and the hub shows why. The post
//! sends its part up ([`reports`], `POST /sync/v1/drills`) until the hub holds it over.

use super::{may, scenario, view_of, HubRef, Live, Record, ServiceError, Staff, DRILL};
use crate::model::drill::{follow_hub, hub_state, next_state, DrillAction, DrillState, Scenario};
use crate::model::{Action, Millis, NodeCode, Ticket};
use crate::service::{now, sync as ss, App};
use crate::store::{Kv, Txn};
use serde::{Deserialize, Serialize};

const HUB: &str = "hub:";
const LINK: &str = "hubref:";
/// At most this many misses of a post go up (a report fits one sync control body).
const MISSES_UP: usize = 60;
/// A post reports on its newest this many links to hub drills.
const RECENT: usize = 100;
/// The hub offers its word on the newest this many hub drills (each hello of each post reads
/// them: bounded).
const RECENT_ORDERS: usize = 20;

/// A drill the hub started for chosen posts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubDrill {
    pub id: String,
    pub scenario: Scenario,
    /// the scenario as written: it travels down, so a post runs it without having it uploaded
    pub text: String,
    pub speed: f64,
    pub started_by: String,
    pub started_at: Millis,
    /// what the hub asked for last: running, paused or aborted
    pub wanted: DrillState,
    /// how many times the hub asked (0: the start)
    pub rev: u64,
    /// who asked last
    pub by: String,
    pub posts: Vec<PostPart>,
    /// who did what, when: `start`, `pause`, `resume`, `abort`
    pub log: Vec<(Millis, String, String)>,
}

/// One post's part of a hub drill: nothing until the post told.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostPart {
    pub post: NodeCode,
    pub report: Option<PostReport>,
}

impl PostPart {
    /// The post refused, or its drill is over.
    pub fn over(&self) -> bool {
        self.report.as_ref().is_some_and(PostReport::is_final)
    }
}

impl HubDrill {
    /// Its state as the hub shows it (`model::drill::hub_state`).
    pub fn state(&self) -> DrillState {
        let over: Vec<bool> = self.posts.iter().map(PostPart::over).collect();
        hub_state(self.wanted, &over)
    }
}

/// Why a post did not run its part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportParticipant {
    pub user: String,
    pub points: u32,
    pub max_points: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMiss {
    pub inject: usize,
    pub check: String,
    pub actor: Option<String>,
    pub text: String,
    pub rule: String,
}

/// What a post tells its hub of its part of a hub drill (`POST /sync/v1/drills`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostReport {
    pub hub_id: String,
    pub post: NodeCode,
    /// the post's own drill id (`BAS-261202-L3`), unless it refused
    pub drill_id: Option<String>,
    pub refused: Option<Refusal>,
    pub state: Option<DrillState>,
    pub points: u32,
    pub max_points: u32,
    pub score_percent: u32,
    pub escalations: u32,
    pub participants: Vec<ReportParticipant>,
    pub misses: Vec<ReportMiss>,
    /// per inject: its ticket at the post once it came
    pub tickets: Vec<Option<Ticket>>,
    /// when the post made the report
    pub at: Millis,
}

impl PostReport {
    /// Nothing will change any more: the post refused, or its drill is over.
    pub fn is_final(&self) -> bool {
        self.refused.is_some() || self.state.is_some_and(DrillState::is_over)
    }
}

/// The hub's word on one drill, as it travels down (`GET /sync/v1/drills`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub hub_id: String,
    /// the node that started it
    pub hub: NodeCode,
    pub text: String,
    pub speed: f64,
    /// the account at the hub that started it
    pub started_by: String,
    pub wanted: DrillState,
    pub rev: u64,
    /// the account at the hub that asked for `wanted`
    pub by: String,
}

/// A post's link to a hub drill (`hubref:ID`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Link {
    drill_id: Option<String>,
    refused: Option<Refusal>,
    /// the hub's revision this post followed
    rev: u64,
    /// the hub holds this post's final report
    final_sent: bool,
}

impl Live {
    /// A hub drill's posts whose part is over: their drill cases (synced up) leave the queue.
    pub(super) fn note_hub(&self, h: &HubDrill) {
        let mut ended = self.ended.write().unwrap_or_else(|e| e.into_inner());
        for p in h.posts.iter().filter(|p| p.over()) {
            ended.extend(p.report.iter().flat_map(|r| r.tickets.iter().flatten().cloned()));
        }
    }
}

fn field(code: &'static str, message: String) -> ServiceError {
    ServiceError::Field(crate::model::report::FieldError { code, field: "posts", message })
}

// ----- at the hub --------------------------------------------------------------------------------

/// The posts enrolled directly below this node: those a drill can be started for.
pub fn children(app: &App) -> Result<Vec<NodeCode>, ServiceError> {
    let mut out: Vec<NodeCode> = ss::peers(app)?.into_iter().map(|p| p.code).collect();
    out.sort();
    Ok(out)
}

/// Starts `scenario_id` at `speed` for `posts` (each enrolled directly below this node): one
/// record here; the posts learn of it at their next hello.
pub(super) async fn start(
    app: &App,
    staff: &Staff,
    scenario_id: &str,
    speed: f64,
    posts: &[NodeCode],
    from: &str,
) -> Result<HubDrill, ServiceError> {
    let children = children(app)?;
    let below = ss::subtree(app);
    let mut chosen: Vec<NodeCode> = Vec::new();
    for p in posts {
        if !children.contains(p) {
            let message = if below.contains_key(p.as_str()) {
                format!("post {p} is enrolled below another post, not with {}: start its drill there", app.node)
            } else if children.is_empty() {
                format!("no post is enrolled below {}: it starts drills at {} only, not at {p}", app.node, app.node)
            } else {
                let names: Vec<&str> = children.iter().map(|c| c.as_str()).collect();
                format!("post {p} is not enrolled below {}: choose from {}", app.node, names.join(", "))
            };
            return Err(field("unknown_post", message));
        }
        if !chosen.contains(p) {
            chosen.push(p.clone());
        }
    }
    let entry = scenario(app, staff, scenario_id)?;
    let at = now();
    let sop = app.sop();
    let (h, d) = app.store.write(at, |tx| -> Result<HubDrill, ServiceError> {
        let day = tx.now().yymmdd(sop.offset);
        let n = tx.next_counter(&format!("hubdrill:{day}"))?;
        let h = HubDrill {
            id: format!("{}-{day}-H{n}", app.node),
            scenario: entry.scenario,
            text: entry.text,
            speed,
            started_by: staff.username.clone(),
            started_at: at,
            wanted: DrillState::Running,
            rev: 0,
            by: staff.username.clone(),
            posts: chosen.into_iter().map(|post| PostPart { post, report: None }).collect(),
            log: vec![(at, staff.username.clone(), "start".into())],
        };
        tx.kv_put(Kv::Drill, format!("{HUB}{}", h.id).as_bytes(), Some(&h));
        Ok(h)
    })?;
    app.store.durable(d).await?;
    let posts: Vec<&str> = h.posts.iter().map(|p| p.post.as_str()).collect();
    app.store.log_access(at, &staff.username, "start_drill", &format!("{} {}", h.id, posts.join(",")), from)?;
    tracing::info!(drill = %h.id, posts = ?posts, "hub drill started; the posts take it at their next hello");
    Ok(h)
}

/// Pauses, resumes or aborts a hub drill: `false` when `id` is not one (a drill of this post).
pub(super) async fn act(
    app: &App,
    staff: &Staff,
    id: &str,
    action: DrillAction,
    from: &str,
) -> Result<bool, ServiceError> {
    let key = format!("{HUB}{id}");
    if app.store.kv_get::<HubDrill>(Kv::Drill, key.as_bytes())?.is_none() {
        return Ok(false);
    }
    let at = now();
    let (_, d) = app.store.write(at, |tx| -> Result<(), ServiceError> {
        let mut h: HubDrill = tx.kv_get(Kv::Drill, key.as_bytes())?.ok_or(ServiceError::NotFound)?;
        h.wanted = next_state(h.state(), action).map_err(|s| ServiceError::DrillState(s.as_str()))?;
        h.rev += 1;
        h.by = staff.username.clone();
        let name = match action {
            DrillAction::Pause => "pause",
            DrillAction::Resume => "resume",
            DrillAction::Abort => "abort",
        };
        h.log.push((at, staff.username.clone(), name.into()));
        tx.kv_put(Kv::Drill, key.as_bytes(), Some(&h));
        Ok(())
    })?;
    app.store.durable(d).await?;
    app.store.log_access(at, &staff.username, "drill_action", id, from)?;
    Ok(true)
}

/// A hub drill of this node.
pub fn get(app: &App, id: &str) -> Result<Option<HubDrill>, ServiceError> {
    Ok(app.store.kv_get(Kv::Drill, format!("{HUB}{id}").as_bytes())?)
}

/// This node's hub drills, newest first.
pub(super) fn all(app: &App) -> Result<Vec<HubDrill>, ServiceError> {
    let mut out: Vec<HubDrill> =
        app.store.kv_last::<HubDrill>(Kv::Drill, HUB.as_bytes(), usize::MAX)?.into_iter().map(|(_, h)| h).collect();
    out.sort_by_key(|h| std::cmp::Reverse(h.started_at));
    Ok(out)
}

/// The posts a drill can be started for here and the hub drills, newest first (`/latihan`).
pub fn list(app: &App, staff: &Staff) -> Result<(Vec<NodeCode>, Vec<HubDrill>), ServiceError> {
    may(staff, Action::ReadDrills, "read drills")?;
    Ok((children(app)?, all(app)?))
}

/// The hub's word on each recent drill `child` has a part in that is not over yet.
pub fn orders_for(app: &App, child: &NodeCode) -> Result<Vec<Order>, ServiceError> {
    let recent = app.store.kv_last::<HubDrill>(Kv::Drill, HUB.as_bytes(), RECENT_ORDERS)?;
    Ok(recent
        .into_iter()
        .rev()
        .map(|(_, h)| h)
        .filter(|h| h.posts.iter().any(|p| &p.post == child && !p.over()))
        .map(|h| Order {
            hub_id: h.id,
            hub: app.node.clone(),
            text: h.text,
            speed: h.speed,
            started_by: h.started_by,
            wanted: h.wanted,
            rev: h.rev,
            by: h.by,
        })
        .collect())
}

/// A post's report on its part, sent by `child`: kept on the hub drill that lists that post
/// (`false`: no such drill or post here). The caller checked that `child` speaks for the post.
pub async fn receive(app: &App, child: &NodeCode, r: PostReport) -> Result<bool, ServiceError> {
    if !ss::may_send(app, child, &r.post) {
        return Ok(false);
    }
    let key = format!("{HUB}{}", r.hub_id);
    let (h, d) = app.store.write(now(), |tx| -> Result<Option<HubDrill>, ServiceError> {
        let Some(mut h) = tx.kv_get::<HubDrill>(Kv::Drill, key.as_bytes())? else { return Ok(None) };
        let Some(part) = h.posts.iter_mut().find(|p| p.post == r.post) else { return Ok(None) };
        // a final report stays; an older one or the same again (each hello sends it) changes nothing
        let same = |old: &PostReport| PostReport { at: old.at, ..r.clone() } == *old;
        if part.report.as_ref().is_some_and(|old| old.is_final() || old.at > r.at || same(old)) {
            return Ok(Some(h));
        }
        part.report = Some(r.clone());
        tx.kv_put(Kv::Drill, key.as_bytes(), Some(&h));
        Ok(Some(h))
    })?;
    app.store.durable(d).await?;
    match h {
        Some(h) => {
            app.drills.note_hub(&h);
            Ok(true)
        }
        None => {
            tracing::warn!(%child, drill = %r.hub_id, post = %r.post, "a report on a hub drill this node does not hold");
            Ok(false)
        }
    }
}

// ----- at a post ---------------------------------------------------------------------------------

fn link_key(hub_id: &str) -> Vec<u8> {
    format!("{LINK}{hub_id}").into_bytes()
}

/// Links this post's new drill to the hub drill it is its part of (in the drill's own write).
pub(super) fn link_started(tx: &mut Txn, hub_id: &str, drill_id: &str) {
    let l = Link { drill_id: Some(drill_id.to_owned()), refused: None, rev: 0, final_sent: false };
    tx.kv_put(Kv::Drill, &link_key(hub_id), Some(&l));
}

/// Follows the parent's word on each hub drill this post is part of: starts its part once,
/// then pauses, resumes or aborts it as the hub asked since. A failure is logged; the next hello
/// tries again.
pub async fn take_orders(app: &App, orders: Vec<Order>) {
    for o in orders {
        if let Err(e) = take(app, &o).await {
            tracing::warn!(drill = %o.hub_id, error = %e, "the hub's word on a drill not followed; retrying at the next hello");
        }
    }
}

async fn refuse(app: &App, o: &Order, code: &str, message: String) -> Result<(), ServiceError> {
    tracing::info!(drill = %o.hub_id, %code, %message, "refused the hub's drill");
    let l =
        Link { drill_id: None, refused: Some(Refusal { code: code.into(), message }), rev: o.rev, final_sent: false };
    let (_, d) = app.store.write(now(), |tx| -> Result<(), ServiceError> {
        tx.kv_put(Kv::Drill, &link_key(&o.hub_id), Some(&l));
        Ok(())
    })?;
    Ok(app.store.durable(d).await?)
}

async fn take(app: &App, o: &Order) -> Result<(), ServiceError> {
    let from = format!("sync:{}", o.hub);
    let link = match app.store.kv_get::<Link>(Kv::Drill, &link_key(&o.hub_id))? {
        Some(l) => l,
        None => {
            if o.wanted == DrillState::Aborted {
                let message = format!("{} aborted the drill before it reached {}", o.hub, app.node);
                return refuse(app, o, "drill_aborted", message).await;
            }
            let scenario = match Scenario::parse(&o.text, &app.sop(), &app.units) {
                Ok(s) => s.at_post(&app.units, &app.node),
                Err(e) => return refuse(app, o, "scenario_invalid", e.to_string()).await,
            };
            let by = format!("{}@{}", o.started_by, o.hub);
            let part_of = HubRef { id: o.hub_id.clone(), node: o.hub.clone() };
            let speed =
                o.speed.clamp(*crate::model::drill::SPEED_RANGE.start(), *crate::model::drill::SPEED_RANGE.end());
            match super::begin(app, scenario, speed, &by, Some(part_of)).await {
                Ok(rec) => {
                    app.store.log_access(rec.clock.started, &by, "start_drill", &rec.id, &from)?;
                    tracing::info!(drill = %rec.id, hub_drill = %o.hub_id, "started this post's part of a hub drill");
                }
                Err(ServiceError::DrillRunning(other)) => {
                    let message =
                        format!("drill {other} is still running at {}: end it before starting another", app.node);
                    return refuse(app, o, "drill_running", message).await;
                }
                Err(e) => return Err(e),
            }
            app.store.kv_get::<Link>(Kv::Drill, &link_key(&o.hub_id))?.ok_or(ServiceError::NotFound)?
        }
    };
    let Some(id) = link.drill_id.as_deref() else { return Ok(()) };
    if o.rev <= link.rev {
        return Ok(());
    }
    let rec: Record = app.store.kv_get(Kv::Drill, format!("{DRILL}{id}").as_bytes())?.ok_or(ServiceError::NotFound)?;
    if let Some(a) = follow_hub(rec.state, o.wanted) {
        super::act_as(app, &format!("{}@{}", o.by, o.hub), id, a, &from).await?;
    }
    let (_, d) = app.store.write(now(), |tx| -> Result<(), ServiceError> {
        tx.kv_put(Kv::Drill, &link_key(&o.hub_id), Some(&Link { rev: o.rev, ..link.clone() }));
        Ok(())
    })?;
    Ok(app.store.durable(d).await?)
}

/// This post's reports on its parts of hub drills the hub does not hold final yet.
pub fn reports(app: &App) -> Result<Vec<PostReport>, ServiceError> {
    let at = now();
    let mut out = Vec::new();
    for (k, l) in app.store.kv_last::<Link>(Kv::Drill, LINK.as_bytes(), RECENT)? {
        if l.final_sent {
            continue;
        }
        let hub_id = String::from_utf8_lossy(&k[LINK.len()..]).into_owned();
        let mut r = PostReport {
            hub_id,
            post: app.node.clone(),
            drill_id: l.drill_id.clone(),
            refused: l.refused.clone(),
            state: None,
            points: 0,
            max_points: 0,
            score_percent: 0,
            escalations: 0,
            participants: Vec::new(),
            misses: Vec::new(),
            tickets: Vec::new(),
            at,
        };
        if let Some(id) = &l.drill_id {
            let Some(rec) = app.store.kv_get::<Record>(Kv::Drill, format!("{DRILL}{id}").as_bytes())? else {
                continue;
            };
            let v = view_of(app, rec, at)?;
            let s = &v.score;
            r.state = Some(v.record.state);
            (r.points, r.max_points, r.score_percent, r.escalations) =
                (s.points, s.max_points, s.score_percent, s.escalations);
            r.participants = s
                .participants
                .iter()
                .map(|p| ReportParticipant { user: p.user.clone(), points: p.points, max_points: p.max_points })
                .collect();
            r.misses = s
                .misses()
                .take(MISSES_UP)
                .map(|(n, c)| ReportMiss {
                    inject: n,
                    check: c.id.to_owned(),
                    actor: c.actor.clone(),
                    text: c.miss.clone().unwrap_or_default(),
                    rule: c.rule.clone().unwrap_or_default(),
                })
                .collect();
            r.tickets = v.record.fired.iter().map(|f| f.as_ref().map(|(t, _)| t.clone())).collect();
        }
        out.push(r);
    }
    Ok(out)
}

/// The parent took `r`: a final report is not sent again.
pub async fn reported(app: &App, r: &PostReport) -> Result<(), ServiceError> {
    if !r.is_final() {
        return Ok(());
    }
    let key = link_key(&r.hub_id);
    let (_, d) = app.store.write(now(), |tx| -> Result<(), ServiceError> {
        if let Some(mut l) = tx.kv_get::<Link>(Kv::Drill, &key)? {
            l.final_sent = true;
            tx.kv_put(Kv::Drill, &key, Some(&l));
        }
        Ok(())
    })?;
    Ok(app.store.durable(d).await?)
}
