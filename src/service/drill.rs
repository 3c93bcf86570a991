//! Latihan (drills): scenarios (embedded in `data/drills/`, or uploaded), a drill's life at this
//! post, its injects filed on schedule through intake (`intake::submit_drill`: a `LAT-` ticket,
//! the drill id on every event), and its scorecard. A drill's record lives in `Kv::Drill`
//! (`drill:ID`), so it survives a restart; the scheduler's tick calls [`tick`].
//!
//! Never mixed with real work: the board, `/metrics`, recaps, prank history and figures, rate
//! limits, the blocklist, public tracking and the WhatsApp outbox leave drill cases out (each
//! place is marked "Latihan"); a finished drill's cases leave the queue ([`ended_tickets`]).
//!
//! A hub starts a drill for chosen posts ([`hub`]): the start and its pauses travel down the sync
//! tree, each post runs its part as its own drill, and its scorecard goes back up.

pub mod hub;

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::drill::{self, next_state, DrillAction, DrillClock, DrillState, Scenario, Scorecard};
use crate::model::event::Channel;
use crate::model::{Action, Event, EventKind, Millis, NodeCode, State, Ticket};
use crate::store::Kv;
pub use hub::{HubDrill, Order, PostReport};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::RwLock;

/// The scenarios built in (`data/drills/`).
pub const EMBEDDED: [&str; 4] = [
    include_str!("../../data/drills/malam-iseng.toml"),
    include_str!("../../data/drills/curanmor-duplikat.toml"),
    include_str!("../../data/drills/lakalantas-korban.toml"),
    include_str!("../../data/drills/propam-keluhan.toml"),
];

const SCN: &str = "scn:";
const DRILL: &str = "drill:";

/// A drill as this node keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub scenario: Scenario,
    pub node: NodeCode,
    pub started_by: String,
    pub clock: DrillClock,
    pub state: DrillState,
    pub ended_at: Option<Millis>,
    /// per inject: its ticket once filed, and when
    pub fired: Vec<Option<(Ticket, Millis)>>,
    /// who did what to the drill, when: `start`, `pause`, `resume`, `abort`, `finish`
    pub log: Vec<(Millis, String, String)>,
    /// the hub drill this is this post's part of (started by the hub)
    #[serde(default)]
    pub hub: Option<HubRef>,
}

/// The hub drill a post's drill is its part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubRef {
    pub id: String,
    pub node: NodeCode,
}

impl Record {
    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.fired.iter().flatten().map(|(t, _)| t)
    }
}

/// What this node knows of its drills in memory: the running ones (the tick's work) and the
/// tickets of ended ones (they left the queue). Loaded from the store at start.
#[derive(Debug, Default)]
pub struct Live {
    running: RwLock<Vec<String>>,
    ended: RwLock<HashSet<Ticket>>,
}

impl Live {
    fn note(&self, r: &Record) {
        let mut running = self.running.write().unwrap_or_else(|e| e.into_inner());
        running.retain(|id| id != &r.id);
        if r.state.is_over() {
            self.ended.write().unwrap_or_else(|e| e.into_inner()).extend(r.tickets().cloned());
        } else {
            running.push(r.id.clone());
        }
    }
}

/// Loads the drills' state at start.
pub fn load(app: &App) -> Result<(), ServiceError> {
    for r in all(app)? {
        app.drills.note(&r);
    }
    for h in hub::all(app)? {
        app.drills.note_hub(&h);
    }
    Ok(())
}

/// The tickets of ended drills: they are out of the queue (still in `lane=drill`).
pub fn ended_tickets(app: &App) -> HashSet<Ticket> {
    app.drills.ended.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn all(app: &App) -> Result<Vec<Record>, ServiceError> {
    // by prefix: the tree also holds scenarios (`scn:`) and hub drills (`hub:`, `hubref:`)
    let mut out: Vec<Record> =
        app.store.kv_last::<Record>(Kv::Drill, DRILL.as_bytes(), usize::MAX)?.into_iter().map(|(_, r)| r).collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.clock.started));
    Ok(out)
}

fn may(staff: &Staff, action: Action, what: &'static str) -> Result<(), ServiceError> {
    if staff.role.may(action) {
        Ok(())
    } else {
        Err(ServiceError::RoleMayNot { role: staff.role, action: what })
    }
}

// ----- scenarios --------------------------------------------------------------------------------

/// A scenario offered to start, as checked against this node's SOP and units now.
pub struct ScenarioEntry {
    pub scenario: Scenario,
    pub embedded: bool,
    /// the SOP in force is the version the scenario was written for
    pub sop_matches: bool,
    /// the scenario as written (a hub sends it down with the start)
    pub text: String,
}

/// Every scenario: the embedded ones, then the uploaded ones. One that no longer checks (the SOP
/// changed) is left out with a warning.
pub fn scenarios(app: &App, staff: &Staff) -> Result<Vec<ScenarioEntry>, ServiceError> {
    may(staff, Action::ReadDrills, "read drills")?;
    let sop = app.sop();
    let mut out = Vec::new();
    let mut uploaded = app.store.kv_last::<String>(Kv::Drill, SCN.as_bytes(), usize::MAX)?;
    uploaded.reverse();
    let texts = EMBEDDED.iter().map(|t| (true, t.to_string())).chain(uploaded.into_iter().map(|(_, t)| (false, t)));
    for (embedded, text) in texts {
        match Scenario::parse(&text, &sop, &app.units) {
            Ok(scenario) => {
                let sop_matches = scenario.sop_version == sop.version;
                out.push(ScenarioEntry { scenario, embedded, sop_matches, text })
            }
            Err(e) => tracing::warn!(error = %e, "a drill scenario no longer checks against the SOP in force"),
        }
    }
    Ok(out)
}

fn scenario(app: &App, staff: &Staff, id: &str) -> Result<ScenarioEntry, ServiceError> {
    scenarios(app, staff)?.into_iter().find(|e| e.scenario.id == id).ok_or_else(|| {
        ServiceError::Field(crate::model::report::FieldError {
            code: "unknown_scenario",
            field: "scenario",
            message: format!("there is no drill scenario {id:?} (GET /api/v1/drills/scenarios)"),
        })
    })
}

/// Uploads a scenario (ka_siaga, tik_admin): checked, then kept under its id. An uploaded one
/// may be replaced; an embedded one may not.
pub async fn upload(app: &App, staff: &Staff, text: &str, from: &str) -> Result<Scenario, ServiceError> {
    may(staff, Action::WriteScenario, "upload drill scenarios")?;
    let s = Scenario::parse(text, &app.sop(), &app.units).map_err(ServiceError::ScenarioInvalid)?;
    let sop = app.sop();
    if EMBEDDED.iter().any(|t| Scenario::parse(t, &sop, &app.units).is_ok_and(|e| e.id == s.id)) {
        return Err(ServiceError::ScenarioExists(s.id));
    }
    let now = super::now();
    let key = format!("{SCN}{}", s.id);
    let ((), d) = app.store.write(now, |tx| -> Result<(), ServiceError> {
        tx.kv_put(Kv::Drill, key.as_bytes(), Some(&text.to_owned()));
        Ok(())
    })?;
    app.store.durable(d).await?;
    app.store.log_access(now, &staff.username, "upload_scenario", &s.id, from)?;
    Ok(s)
}

// ----- a drill's life ---------------------------------------------------------------------------

/// A drill started: at this post, or at the posts a hub chose (`hub::start`).
pub struct Started {
    pub id: String,
    pub node: NodeCode,
    pub state: DrillState,
}

fn bad_speed(speed: Option<f64>) -> Result<f64, ServiceError> {
    let speed = speed.unwrap_or(1.0);
    if !speed.is_finite() || !drill::SPEED_RANGE.contains(&speed) {
        return Err(ServiceError::Field(crate::model::report::FieldError {
            code: "invalid_field",
            field: "speed",
            message: format!("speed {speed} is outside 0.1 to 60"),
        }));
    }
    Ok(speed)
}

/// Starts a drill of `scenario` at `speed` (1.0: real time): at this post when `posts` is empty
/// or names only this node; at a hub, for the posts enrolled below it that `posts` names (the
/// start travels down the sync tree, see [`hub`]). One drill runs at a time on a node.
pub async fn start(
    app: &App,
    staff: &Staff,
    scenario_id: &str,
    speed: Option<f64>,
    posts: &[NodeCode],
    from: &str,
) -> Result<Started, ServiceError> {
    may(staff, Action::RunDrill, "run drills")?;
    let speed = bad_speed(speed)?;
    if posts.iter().any(|p| *p != app.node) {
        if posts.contains(&app.node) {
            return Err(ServiceError::Field(crate::model::report::FieldError {
                code: "invalid_field",
                field: "posts",
                message: format!(
                    "posts names {} itself and other posts: start this node's own drill separately",
                    app.node
                ),
            }));
        }
        let h = hub::start(app, staff, scenario_id, speed, posts, from).await?;
        return Ok(Started { id: h.id, node: app.node.clone(), state: DrillState::Running });
    }
    let scenario = scenario(app, staff, scenario_id)?.scenario.at_post(&app.units, &app.node);
    let rec = begin(app, scenario, speed, &staff.username, None).await?;
    app.store.log_access(rec.clock.started, &staff.username, "start_drill", &rec.id, from)?;
    Ok(Started { id: rec.id, node: rec.node, state: rec.state })
}

/// Writes a new drill's record (and, for a hub's drill, this post's link to it in the same
/// write): refused while another drill runs here.
async fn begin(
    app: &App,
    scenario: Scenario,
    speed: f64,
    started_by: &str,
    part_of: Option<HubRef>,
) -> Result<Record, ServiceError> {
    let now = super::now();
    let sop = app.sop();
    let (rec, d) = app.store.write(now, |tx| -> Result<Record, ServiceError> {
        if let Some(id) = app.drills.running.read().unwrap_or_else(|e| e.into_inner()).first() {
            return Err(ServiceError::DrillRunning(id.clone()));
        }
        let day = tx.now().yymmdd(sop.offset);
        let n = tx.next_counter(&format!("drill:{day}"))?;
        let rec = Record {
            id: format!("{}-{day}-L{n}", app.node),
            fired: vec![None; scenario.injects.len()],
            scenario,
            node: app.node.clone(),
            started_by: started_by.to_owned(),
            clock: DrillClock { started: now, speed, paused_ms: 0, paused_since: None },
            state: DrillState::Running,
            ended_at: None,
            log: vec![(now, started_by.to_owned(), "start".into())],
            hub: part_of,
        };
        if let Some(h) = &rec.hub {
            hub::link_started(tx, &h.id, &rec.id);
        }
        tx.kv_put(Kv::Drill, format!("{DRILL}{}", rec.id).as_bytes(), Some(&rec));
        Ok(rec)
    })?;
    app.store.durable(d).await?;
    app.drills.note(&rec);
    Ok(rec)
}

/// Pauses, resumes or aborts a drill: this post's, or at a hub one it started for its posts
/// (the action travels down to them).
pub async fn act(app: &App, staff: &Staff, id: &str, action: DrillAction, from: &str) -> Result<(), ServiceError> {
    may(staff, Action::RunDrill, "run drills")?;
    if hub::act(app, staff, id, action, from).await? {
        return Ok(());
    }
    act_as(app, &staff.username, id, action, from).await.map(|_| ())
}

/// [`act`] once the role is checked, as `who` (a local account, or `user@HUB`).
async fn act_as(app: &App, who: &str, id: &str, action: DrillAction, from: &str) -> Result<Record, ServiceError> {
    let now = super::now();
    let key = format!("{DRILL}{id}");
    let (rec, d) = app.store.write(now, |tx| -> Result<Record, ServiceError> {
        let mut r: Record = tx.kv_get(Kv::Drill, key.as_bytes())?.ok_or(ServiceError::NotFound)?;
        let next = next_state(r.state, action).map_err(|s| ServiceError::DrillState(s.as_str()))?;
        match action {
            DrillAction::Pause => r.clock.paused_since = Some(now),
            DrillAction::Resume | DrillAction::Abort => {
                if let Some(p) = r.clock.paused_since.take() {
                    r.clock.paused_ms += now.0.saturating_sub(p.0);
                }
            }
        }
        if next.is_over() {
            r.ended_at = Some(now);
        }
        r.state = next;
        let name = match action {
            DrillAction::Pause => "pause",
            DrillAction::Resume => "resume",
            DrillAction::Abort => "abort",
        };
        r.log.push((now, who.to_owned(), name.into()));
        tx.kv_put(Kv::Drill, key.as_bytes(), Some(&r));
        Ok(r)
    })?;
    app.store.durable(d).await?;
    app.drills.note(&rec);
    app.store.log_access(now, who, "drill_action", id, from)?;
    for t in rec.tickets() {
        app.changed(t);
    }
    Ok(rec)
}

/// The scheduler's tick: files each running drill's injects that have come due, and finishes a
/// drill whose injects all came and were handled (or whose time is up).
pub async fn tick(app: &App, now: Millis) {
    let running = app.drills.running.read().unwrap_or_else(|e| e.into_inner()).clone();
    for id in running {
        if let Err(e) = tick_one(app, &id, now).await {
            tracing::error!(drill = %id, error = %e, "a drill's tick failed; retrying next tick");
        }
    }
}

async fn tick_one(app: &App, id: &str, now: Millis) -> Result<(), ServiceError> {
    let key = format!("{DRILL}{id}");
    let Some(r) = app.store.kv_get::<Record>(Kv::Drill, key.as_bytes())? else { return Ok(()) };
    if r.state != DrillState::Running {
        return Ok(());
    }
    let elapsed = r.clock.elapsed(now);
    for (i, inj) in r.scenario.injects.iter().enumerate() {
        if r.fired[i].is_some() || inj.t_ms > elapsed {
            continue;
        }
        let receipt = super::intake::submit_drill(app, inj.raw(), inj.channel, id, |tx, ticket, _| {
            let mut fresh: Record = tx.kv_get(Kv::Drill, key.as_bytes())?.ok_or(ServiceError::NotFound)?;
            fresh.fired[i] = Some((ticket.clone(), tx.now()));
            tx.kv_put(Kv::Drill, key.as_bytes(), Some(&fresh));
            Ok(())
        })
        .await?;
        tracing::info!(drill = %id, inject = i + 1, case = %receipt.ticket, "drill inject filed");
    }
    let Some(r) = app.store.kv_get::<Record>(Kv::Drill, key.as_bytes())? else { return Ok(()) };
    let all_came = r.fired.iter().all(Option::is_some);
    let time_up = r.clock.elapsed(now) >= r.scenario.duration_ms;
    let all_handled = all_came
        && r.scenario.injects.iter().zip(&r.fired).all(|(inj, f)| {
            f.as_ref().is_some_and(|(t, _)| app.store.case_events(t).is_ok_and(|ev| drill::handled(inj, &ev)))
        });
    if (all_came && all_handled) || time_up {
        let (rec, d) = app.store.write(now, |tx| -> Result<Record, ServiceError> {
            let mut r: Record = tx.kv_get(Kv::Drill, key.as_bytes())?.ok_or(ServiceError::NotFound)?;
            if r.state == DrillState::Running {
                r.state = DrillState::Finished;
                r.ended_at = Some(now);
                r.log.push((now, "sistem".into(), "finish".into()));
                tx.kv_put(Kv::Drill, key.as_bytes(), Some(&r));
            }
            Ok(r)
        })?;
        app.store.durable(d).await?;
        app.drills.note(&rec);
        for t in rec.tickets() {
            app.changed(t);
        }
    }
    Ok(())
}

// ----- reading ----------------------------------------------------------------------------------

/// A line of the simulated WhatsApp chat (the trainer's screen): what the reporter sent and what
/// the node would have answered. Nothing of it goes to the Graph API.
#[derive(Debug, Clone)]
pub struct ChatLine {
    pub inject: usize,
    pub ticket: Option<Ticket>,
    /// `in`: from the reporter, `out`: what banpol would send
    pub dir: &'static str,
    pub at: Option<Millis>,
    pub text: String,
}

/// A drill with its scorecard and simulated chat.
pub struct DrillView {
    pub record: Record,
    pub score: Scorecard,
    pub chat: Vec<ChatLine>,
    /// drill time elapsed (ms)
    pub elapsed_ms: u64,
}

fn events_of(app: &App, t: &Ticket) -> Result<Vec<Event>, ServiceError> {
    let mut ev = app.store.case_events(t)?;
    ev.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Ok(ev)
}

fn view_of(app: &App, record: Record, now: Millis) -> Result<DrillView, ServiceError> {
    let mut cases = Vec::with_capacity(record.fired.len());
    for f in &record.fired {
        cases.push(match f {
            Some((t, _)) => Some((t.clone(), events_of(app, t)?)),
            None => None,
        });
    }
    let score = drill::score(&record.scenario, &cases, &|v| app.sop_for(v));
    let mut chat = Vec::new();
    for (i, (inj, case)) in record.scenario.injects.iter().zip(&cases).enumerate() {
        if inj.channel != Channel::Whatsapp {
            continue;
        }
        let Some((ticket, events)) = case else { continue };
        let at = events.first().map(|e| e.hlc.millis());
        let line = |dir, at, text: String| ChatLine { inject: i + 1, ticket: Some(ticket.clone()), dir, at, text };
        for m in inj.chat.iter().chain(std::iter::once(&inj.text)) {
            chat.push(line("in", at, m.clone()));
        }
        chat.push(line("out", at, format!("Laporan Anda tercatat dengan nomor {ticket}. Simpan nomor ini.")));
        // the notices the SOP's `notify_reporter_on` would send (as `whatsapp::queue_notice`)
        let sop = app.sop_for(events.first().map(|e| e.sop_version.as_str()).unwrap_or(""));
        let notify = &sop.category(inj.category).notify_reporter_on;
        let mut said: Vec<State> = Vec::new();
        let mut case = None::<crate::model::Case>;
        for e in events {
            match &mut case {
                None => case = crate::model::Case::open(e),
                Some(c) => c.apply(e),
            }
            let Some(c) = &case else { continue };
            if notify.contains(&c.state) && !said.contains(&c.state) && !matches!(e.kind, EventKind::Reported(_)) {
                said.push(c.state);
                chat.push(line("out", Some(e.hlc.millis()), format!("Laporan {ticket}: {}.", c.state.label_id())));
            }
        }
    }
    let elapsed_ms = record.clock.elapsed(record.ended_at.unwrap_or(now));
    Ok(DrillView { record, score, chat, elapsed_ms })
}

/// A drill as [`view`] finds it: this post's, or one a hub started for its posts.
pub enum Viewed {
    Post(Box<DrillView>),
    Hub(Box<hub::HubDrill>),
}

/// One drill, its scorecard so far (final once it ended) and its simulated chat; or, at a hub,
/// one it started for its posts with each post's part and scorecard.
pub fn view(app: &App, staff: &Staff, id: &str) -> Result<Viewed, ServiceError> {
    may(staff, Action::ReadDrills, "read drills")?;
    if let Some(h) = hub::get(app, id)? {
        return Ok(Viewed::Hub(Box::new(h)));
    }
    let r: Record = app.store.kv_get(Kv::Drill, format!("{DRILL}{id}").as_bytes())?.ok_or(ServiceError::NotFound)?;
    Ok(Viewed::Post(Box::new(view_of(app, r, super::now())?)))
}

/// Every drill of this node, newest first, with its score: the history per post and per officer
/// (`user`: the drills an officer took part in).
pub fn list(app: &App, staff: &Staff, user: Option<&str>) -> Result<Vec<DrillView>, ServiceError> {
    may(staff, Action::ReadDrills, "read drills")?;
    let now = super::now();
    let mut out = Vec::new();
    for r in all(app)? {
        let v = view_of(app, r, now)?;
        if user.is_none_or(|u| v.score.participants.iter().any(|p| p.user == u)) {
            out.push(v);
        }
    }
    Ok(out)
}
