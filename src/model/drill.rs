//! Drills (Latihan): scripted incidents injected into the real console and scored against the
//! SOP. Pure: a scenario is parsed and checked from TOML (`data/drills/*.toml`), the drill's
//! clock and life are functions of its record, and the scorecard is a function of the injects'
//! events and the SOP. The service (`service::drill`) does the I/O.

use super::event::{Actor, Channel, Event, EventKind};
use super::ids::{NodeCode, Ticket, UnitCode};
use super::report::{check, RawReport};
use super::sop::{Category, Priority, Sop, Step};
use super::time::Millis;
use super::units::{UnitKind, Units};
use serde::{Deserialize, Serialize};

/// Ticket prefix of drill cases: `LAT-PLG-261202-0001` (see `Ticket::drill`).
pub const TICKET_PREFIX: &str = "LAT-";
/// At most this many injects in one scenario.
pub const INJECTS_MAX: usize = 50;
/// A scenario text at most this long (bytes).
pub const SCENARIO_MAX: usize = 64 << 10;

/// A scenario refused: the field at fault (`inject[2].channel`), its 1-based line, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{field}: {message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ScenarioError {
    pub field: String,
    pub line: Option<usize>,
    pub message: String,
}

/// What the trainee should decide on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Verify,
    Reject,
}

/// The expected handling of one inject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expect {
    pub decision: Decision,
    /// the reject reason (an SOP `reject_reasons` entry)
    pub reason: Option<String>,
    /// for `reason = "duplicate"`: the 1-based number of the earlier inject it repeats
    pub duplicate_of: Option<usize>,
    pub priority: Option<Priority>,
    pub unit: Option<UnitCode>,
    /// an emergency that must be dispatched before it is verified
    pub dispatch_first: bool,
}

/// One scripted incident: when it arrives (drill time from the start), through which channel,
/// the report itself, and what the trainee should do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inject {
    /// offset from the drill's start, drill time (ms)
    pub t_ms: u64,
    pub channel: Channel,
    pub category: Category,
    pub text: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub regency: String,
    pub district: Option<String>,
    pub address: String,
    /// what the trainer reads out (a 110 call, a walk-in) or plays as the caller on a callback
    pub script: Option<String>,
    /// WhatsApp messages the reporter sends before the report is filed (the simulated chat)
    pub chat: Vec<String>,
    /// the trap it sets, for the trainer: `prankster`, `duplicate`, `emergency`, `propam`, ...
    pub trap: Option<String>,
    /// a 110 call or walk-in: the priority the call-taker's form files it with (what the caller
    /// makes plain, e.g. an emergency); a web or WhatsApp report gets the SOP's default
    pub intake_priority: Option<Priority>,
    pub expect: Expect,
}

impl Inject {
    /// The report as intake takes it.
    pub fn raw(&self) -> RawReport {
        RawReport {
            category: Some(self.category.as_str().to_owned()),
            description: Some(self.text.clone()),
            reporter_name: Some(self.reporter_name.clone()),
            reporter_phone: Some(self.reporter_phone.clone()),
            regency: Some(self.regency.clone()),
            district: self.district.clone(),
            address: Some(self.address.clone()),
            priority: self.intake_priority.map(|p| p.as_str().to_owned()),
            ..RawReport::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// the SOP version the scenario was written for
    pub sop_version: String,
    /// drill time after which it ends even if cases are left (ms)
    pub duration_ms: u64,
    pub injects: Vec<Inject>,
}

// ----- parsing ----------------------------------------------------------------------------------

use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    summary: String,
    sop_version: String,
    duration: Option<Spanned<toml::Value>>,
    #[serde(default)]
    inject: Vec<RawInject>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInject {
    t: Spanned<toml::Value>,
    channel: Spanned<String>,
    category: Spanned<String>,
    text: Spanned<String>,
    reporter: Spanned<RawReporter>,
    place: Spanned<RawPlace>,
    script: Option<String>,
    #[serde(default)]
    chat: Vec<String>,
    trap: Option<String>,
    intake_priority: Option<Spanned<String>>,
    expect: Spanned<RawExpect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReporter {
    name: String,
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlace {
    regency: String,
    district: Option<String>,
    address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    decision: Spanned<String>,
    reason: Option<Spanned<String>>,
    duplicate_of: Option<Spanned<i64>>,
    priority: Option<Spanned<String>>,
    unit: Option<Spanned<String>>,
    #[serde(default)]
    dispatch_first: Option<Spanned<bool>>,
}

/// The 1-based line of byte `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// An offset or duration: `"90s"`, `"5m"`, `"1h"` or a number of minutes. Negative: refused.
fn offset_ms(v: &toml::Value) -> Result<u64, String> {
    let bad = || format!("{v} is not an offset like \"0m\", \"90s\", \"5m\" or \"1h\"");
    match v {
        toml::Value::Integer(n) if *n < 0 => Err(format!("{n} is negative: an inject cannot come before the start")),
        toml::Value::Integer(n) => Ok((*n as u64).saturating_mul(60_000)),
        toml::Value::String(s) => {
            let s = s.trim();
            if s.starts_with('-') {
                return Err(format!("{s:?} is negative: an inject cannot come before the start"));
            }
            let unit = s.chars().last().ok_or_else(bad)?;
            let n: u64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
            let mult = match unit {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                _ => return Err(bad()),
            };
            n.checked_mul(mult).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

const CHANNELS: [(&str, Channel); 4] =
    [("web", Channel::Web), ("whatsapp", Channel::Whatsapp), ("phone", Channel::Phone), ("walk_in", Channel::WalkIn)];

impl Scenario {
    /// Parses and checks a scenario against the SOP and the units directory. A refusal names the
    /// field (`inject[2].expect.unit`) and its line.
    pub fn parse(text: &str, sop: &Sop, units: &Units) -> Result<Scenario, ScenarioError> {
        let at = |field: String, span: std::ops::Range<usize>, message: String| ScenarioError {
            field,
            line: Some(line_of(text, span.start)),
            message,
        };
        if text.len() > SCENARIO_MAX {
            return Err(ScenarioError {
                field: String::new(),
                line: None,
                message: format!("the scenario is longer than {} KiB", SCENARIO_MAX >> 10),
            });
        }
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            let field = message.split('`').nth(1).unwrap_or("").to_owned();
            ScenarioError { field, line: e.span().map(|r| line_of(text, r.start)), message }
        })?;
        let id = raw.id.get_ref().trim().to_owned();
        let id_ok = (2..=40).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && id.as_bytes()[0].is_ascii_lowercase();
        if !id_ok {
            return Err(at("id".into(), raw.id.span(), format!("{id:?}: use 2-40 lower-case letters, digits or '-'")));
        }
        if raw.inject.is_empty() {
            return Err(ScenarioError {
                field: "inject".into(),
                line: None,
                message: "a scenario needs at least one [[inject]]".into(),
            });
        }
        if raw.inject.len() > INJECTS_MAX {
            return Err(ScenarioError {
                field: "inject".into(),
                line: None,
                message: format!("at most {INJECTS_MAX} injects in one scenario"),
            });
        }
        let mut injects: Vec<Inject> = Vec::with_capacity(raw.inject.len());
        for (i, r) in raw.inject.into_iter().enumerate() {
            let n = i + 1;
            let f = |name: &str| format!("inject[{n}].{name}");
            let t_ms = offset_ms(r.t.get_ref()).map_err(|m| at(f("t"), r.t.span(), m))?;
            let channel = CHANNELS
                .iter()
                .find(|(s, _)| *s == r.channel.get_ref().as_str())
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    at(
                        f("channel"),
                        r.channel.span(),
                        format!("channel {:?} is unknown: use web, whatsapp, phone or walk_in", r.channel.get_ref()),
                    )
                })?;
            let category = Category::parse(r.category.get_ref()).ok_or_else(|| {
                at(
                    f("category"),
                    r.category.span(),
                    format!(
                        "category {:?} is unknown: use information, feedback, appreciation or crime",
                        r.category.get_ref()
                    ),
                )
            })?;
            let (reporter_span, place_span) = (r.reporter.span(), r.place.span());
            let (reporter, place) = (r.reporter.into_inner(), r.place.into_inner());
            let inject_span = r.text.span();
            let text_s = r.text.into_inner();
            let exp_span = r.expect.span();
            let e = r.expect.into_inner();
            let decision = match e.decision.get_ref().as_str() {
                "verify" => Decision::Verify,
                "reject" => Decision::Reject,
                other => {
                    return Err(at(
                        f("expect.decision"),
                        e.decision.span(),
                        format!("decision {other:?} is unknown: use verify or reject"),
                    ))
                }
            };
            let reason = match &e.reason {
                None if decision == Decision::Reject => {
                    return Err(at(
                        f("expect.reason"),
                        exp_span,
                        format!("a reject needs a reason: {}", sop.reject_reasons.join(", ")),
                    ))
                }
                None => None,
                Some(_) if decision == Decision::Verify => {
                    return Err(at(
                        f("expect.reason"),
                        exp_span,
                        "a reason goes with decision = \"reject\" only".into(),
                    ))
                }
                Some(s) if !sop.reject_reasons.iter().any(|x| x == s.get_ref()) => {
                    return Err(at(
                        f("expect.reason"),
                        s.span(),
                        format!("reason {:?} is not in the SOP: use {}", s.get_ref(), sop.reject_reasons.join(", ")),
                    ))
                }
                Some(s) => Some(s.get_ref().clone()),
            };
            let duplicate_of = match (&e.duplicate_of, reason.as_deref()) {
                (None, Some("duplicate")) => {
                    return Err(at(
                        f("expect.duplicate_of"),
                        exp_span,
                        "a duplicate names the inject it repeats: duplicate_of = N".into(),
                    ))
                }
                (None, _) => None,
                (Some(d), r) if r != Some("duplicate") => {
                    return Err(at(
                        f("expect.duplicate_of"),
                        d.span(),
                        "duplicate_of goes with reason = \"duplicate\" only".into(),
                    ))
                }
                (Some(d), _) => {
                    let k = *d.get_ref();
                    let earlier = k >= 1 && (k as usize) < n && injects[k as usize - 1].t_ms <= t_ms;
                    if !earlier {
                        return Err(at(
                            f("expect.duplicate_of"),
                            d.span(),
                            format!("inject {k} is not an earlier inject: a duplicate repeats one that came before it"),
                        ));
                    }
                    Some(k as usize)
                }
            };
            let priority = match &e.priority {
                None => None,
                Some(p) => Some(
                    Priority::parse(p.get_ref()).filter(|x| sop.allows_priority(category, *x)).ok_or_else(|| {
                        let allowed: Vec<_> = sop.category(category).priorities.iter().map(|p| p.as_str()).collect();
                        at(
                            f("expect.priority"),
                            p.span(),
                            format!(
                                "priority {:?} is not allowed for {}: use {}",
                                p.get_ref(),
                                category.as_str(),
                                allowed.join(", ")
                            ),
                        )
                    })?,
                ),
            };
            let unit = match &e.unit {
                None => None,
                Some(u) => {
                    Some(UnitCode::parse(u.get_ref()).ok().filter(|c| units.get(c).is_some()).ok_or_else(|| {
                        at(f("expect.unit"), u.span(), format!("unit {:?} is not in the units directory", u.get_ref()))
                    })?)
                }
            };
            let intake_priority = match &r.intake_priority {
                None => None,
                Some(p) if !matches!(channel, Channel::Phone | Channel::WalkIn) => {
                    return Err(at(
                        f("intake_priority"),
                        p.span(),
                        "only a 110 call or a walk-in is filed with a priority: the call-taker sets it".into(),
                    ))
                }
                Some(p) => Some(
                    Priority::parse(p.get_ref()).filter(|x| sop.allows_priority(category, *x)).ok_or_else(|| {
                        at(
                            f("intake_priority"),
                            p.span(),
                            format!("priority {:?} is not allowed for {}", p.get_ref(), category.as_str()),
                        )
                    })?,
                ),
            };
            let dispatch_first = e.dispatch_first.as_ref().is_some_and(|d| *d.get_ref());
            if dispatch_first && (decision != Decision::Verify || unit.is_none() || category != Category::Crime) {
                return Err(at(
                    f("expect.dispatch_first"),
                    exp_span,
                    "dispatch_first is for a crime to verify and dispatch: set decision = \"verify\" and unit".into(),
                ));
            }
            if dispatch_first && intake_priority != Some(Priority::Emergency) {
                return Err(at(
                    f("intake_priority"),
                    exp_span,
                    "an emergency dispatched first comes in as one: set intake_priority = \"emergency\"".into(),
                ));
            }
            if decision == Decision::Reject && (priority.is_some() || unit.is_some()) {
                return Err(at(f("expect"), exp_span, "a rejected report has no priority or unit to expect".into()));
            }
            let inject = Inject {
                t_ms,
                channel,
                category,
                text: text_s,
                reporter_name: reporter.name,
                reporter_phone: reporter.phone,
                regency: place.regency,
                district: place.district,
                address: place.address,
                script: r.script,
                chat: r.chat,
                trap: r.trap,
                intake_priority,
                expect: Expect { decision, reason, duplicate_of, priority, unit, dispatch_first },
            };
            // the report must pass intake as it is written
            check(inject.raw(), channel, sop, units).map_err(|e| {
                let (name, span) = match e.field {
                    "description" => ("text".to_owned(), inject_span.clone()),
                    f if f.starts_with("reporter.") => (f.to_owned(), reporter_span.clone()),
                    f => (f.replace("location.", "place."), place_span.clone()),
                };
                at(f(&name), span, e.message)
            })?;
            injects.push(inject);
        }
        let last = injects.iter().map(|i| i.t_ms).max().unwrap_or(0);
        let duration_ms = match &raw.duration {
            None => last + 30 * 60_000,
            Some(d) => {
                let ms = offset_ms(d.get_ref()).map_err(|m| at("duration".into(), d.span(), m))?;
                if ms < last {
                    return Err(at("duration".into(), d.span(), "the drill ends before its last inject".into()));
                }
                ms
            }
        };
        Ok(Scenario { id, title: raw.title, summary: raw.summary, sop_version: raw.sop_version, duration_ms, injects })
    }
}

impl Scenario {
    /// The scenario as `post` runs it: an expected Polres (or Polrestabes) of another post reads
    /// as this post's own, so a scenario written for Palembang trains Banyuasin too (a drill
    /// case dispatched to another post's unit would move to that post). Satker stay as written.
    pub fn at_post(mut self, units: &Units, post: &NodeCode) -> Scenario {
        let is_polres = |k: UnitKind| matches!(k, UnitKind::Polres | UnitKind::Polrestabes);
        let Some(own) = units.units.iter().find(|u| &u.node == post && is_polres(u.kind)).map(|u| u.code.clone())
        else {
            return self;
        };
        for i in &mut self.injects {
            let other =
                i.expect.unit.as_ref().and_then(|u| units.get(u)).is_some_and(|u| is_polres(u.kind) && &u.node != post);
            if other {
                i.expect.unit = Some(own.clone());
            }
        }
        self
    }
}

// ----- the drill's life and clock ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillState {
    Running,
    Paused,
    /// every inject came and was handled, or the scenario's duration passed
    Finished,
    Aborted,
}

impl DrillState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Finished => "finished",
            Self::Aborted => "aborted",
        }
    }
    pub fn label_id(self) -> &'static str {
        match self {
            Self::Running => "Berjalan",
            Self::Paused => "Dijeda",
            Self::Finished => "Selesai",
            Self::Aborted => "Dibatalkan",
        }
    }
    pub fn is_over(self) -> bool {
        matches!(self, Self::Finished | Self::Aborted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillAction {
    Pause,
    Resume,
    Abort,
}

impl DrillAction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            "abort" => Some(Self::Abort),
            _ => None,
        }
    }
}

/// The state an action leads to, or why not (`Err`: the state it cannot leave that way).
pub fn next_state(state: DrillState, action: DrillAction) -> Result<DrillState, DrillState> {
    use DrillAction as A;
    use DrillState as St;
    match (state, action) {
        (St::Running, A::Pause) => Ok(St::Paused),
        (St::Paused, A::Resume) => Ok(St::Running),
        (St::Running | St::Paused, A::Abort) => Ok(St::Aborted),
        (s, _) => Err(s),
    }
}

/// A drill the hub started for chosen posts: its state as the hub shows it. Aborted once the hub
/// aborted it; finished once every post's part is over (or was refused); else what the hub asked
/// for last (running or paused). `posts`: per post, whether its part is over.
pub fn hub_state(wanted: DrillState, posts: &[bool]) -> DrillState {
    if wanted == DrillState::Aborted {
        DrillState::Aborted
    } else if !posts.is_empty() && posts.iter().all(|over| *over) {
        DrillState::Finished
    } else {
        wanted
    }
}

/// What a post does with the hub's latest word on a drill it runs: the action that brings its
/// part from `local` to `wanted`, if any (a part that is over stays over).
pub fn follow_hub(local: DrillState, wanted: DrillState) -> Option<DrillAction> {
    use DrillState as St;
    match (local, wanted) {
        (St::Running, St::Paused) => Some(DrillAction::Pause),
        (St::Paused, St::Running) => Some(DrillAction::Resume),
        (St::Running | St::Paused, St::Aborted) => Some(DrillAction::Abort),
        _ => None,
    }
}

/// The drill's clock: real time since the start, less the pauses, times the speed factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrillClock {
    pub started: Millis,
    pub speed: f64,
    /// time paused so far (closed pauses)
    pub paused_ms: u64,
    /// the pause in progress
    pub paused_since: Option<Millis>,
}

impl DrillClock {
    /// Drill time elapsed at `now` (ms).
    pub fn elapsed(&self, now: Millis) -> u64 {
        let until = self.paused_since.unwrap_or(now).0.min(now.0);
        let real = until.saturating_sub(self.started.0).saturating_sub(self.paused_ms);
        (real as f64 * self.speed) as u64
    }
    /// The real time at which drill time reaches `t_ms` (assuming no further pause).
    pub fn real_at(&self, t_ms: u64) -> Millis {
        Millis(self.started.0 + self.paused_ms + (t_ms as f64 / self.speed).ceil() as u64)
    }
}

/// The speed factors a drill may run at.
pub const SPEED_RANGE: std::ops::RangeInclusive<f64> = 0.1..=60.0;

// ----- scoring ----------------------------------------------------------------------------------

/// One scored point of one inject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// `decision`, `priority`, `unit`, `dispatch_first`, `verify_time`, `dispatch_time`
    pub id: &'static str,
    pub ok: bool,
    /// who did it (the account), when someone did
    pub actor: Option<String>,
    pub at: Option<Millis>,
    /// for times: how long it took and the SOP's limit
    pub took_ms: Option<u64>,
    pub limit_ms: Option<u64>,
    /// a miss, explained (Bahasa Indonesia)
    pub miss: Option<String>,
    /// the SOP rule the miss broke (Bahasa Indonesia)
    pub rule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectScore {
    /// 1-based
    pub n: usize,
    pub ticket: Option<Ticket>,
    pub arrived: Option<Millis>,
    pub checks: Vec<Check>,
    pub escalations: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    pub user: String,
    pub points: u32,
    pub max_points: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub injects: Vec<InjectScore>,
    pub points: u32,
    pub max_points: u32,
    pub score_percent: u32,
    pub participants: Vec<Participant>,
    pub escalations: u32,
}

impl Scorecard {
    /// Every miss, in inject order: `(inject, check, explanation, rule)`.
    pub fn misses(&self) -> impl Iterator<Item = (usize, &Check)> {
        self.injects.iter().flat_map(|i| i.checks.iter().filter(|c| !c.ok).map(move |c| (i.n, c)))
    }
}

fn priority_id(p: Priority) -> &'static str {
    match p {
        Priority::Emergency => "darurat",
        Priority::High => "tinggi",
        Priority::Normal => "normal",
    }
}

fn reason_id(r: &str) -> String {
    match r {
        "prank" => "laporan palsu (prank)".into(),
        "unverifiable" => "tidak dapat diverifikasi".into(),
        "duplicate" => "duplikat".into(),
        "out_of_scope" => "di luar kewenangan".into(),
        other => format!("{other:?}"),
    }
}

/// A duration as a person says it: `2 menit`, `1 jam 30 menit`, `45 detik`.
pub fn duration_id(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    for (n, unit) in [(d, "hari"), (h, "jam"), (m, "menit"), (sec, "detik")] {
        if n > 0 {
            parts.push(format!("{n} {unit}"));
        }
    }
    if parts.is_empty() {
        "0 detik".into()
    } else {
        parts.join(" ")
    }
}

fn staff_of(a: &Actor) -> Option<String> {
    match a {
        Actor::Staff { user, .. } => Some(user.clone()),
        _ => None,
    }
}

/// The SOP's guidance for a step, as the rule a miss broke.
fn guide_rule(sop: &Sop, c: Category, state: super::workflow::State) -> String {
    let label = &sop.category(c).label;
    match sop.guide(c, state) {
        Some(g) => {
            let what = g.instruction.id.trim_end_matches('.');
            format!("SOP {}, {label}, langkah {}: {what}", sop.version, state.label_id())
        }
        None => format!("SOP {}, {label}", sop.version),
    }
}

/// The handling found in one case's events.
struct Found<'a> {
    first_decision: Option<&'a Event>,
    verified: Option<&'a Event>,
    rejected: Option<&'a Event>,
    dispatched: Option<&'a Event>,
    escalations: u32,
}

fn found(events: &[Event]) -> Found<'_> {
    let mut f = Found { first_decision: None, verified: None, rejected: None, dispatched: None, escalations: 0 };
    for e in events {
        match &e.kind {
            EventKind::Verified { .. } if f.verified.is_none() => f.verified = Some(e),
            EventKind::Rejected { .. } if f.rejected.is_none() => f.rejected = Some(e),
            EventKind::Dispatched { .. } if f.dispatched.is_none() => f.dispatched = Some(e),
            EventKind::Escalated { .. } => f.escalations += 1,
            _ => {}
        }
        if f.first_decision.is_none()
            && matches!(e.kind, EventKind::Verified { .. } | EventKind::Rejected { .. } | EventKind::Dispatched { .. })
        {
            f.first_decision = Some(e);
        }
    }
    f
}

/// Whether an inject's case has been handled as far as the drill scores it: rejected, or
/// dispatched (verified, when no unit is expected).
pub fn handled(inject: &Inject, events: &[Event]) -> bool {
    let f = found(events);
    f.rejected.is_some()
        || f.dispatched.is_some() && (f.verified.is_some() || inject.expect.decision == Decision::Verify)
        || (f.verified.is_some() && inject.expect.unit.is_none())
}

/// Scores a drill: for each inject, its case's events (in fold order) under its SOP. A check not
/// done yet is a miss: the scorecard of a running drill is the score so far.
pub fn score(
    scenario: &Scenario,
    cases: &[Option<(Ticket, Vec<Event>)>],
    sop: &dyn Fn(&str) -> std::sync::Arc<Sop>,
) -> Scorecard {
    let tickets: Vec<Option<&Ticket>> = cases.iter().map(|c| c.as_ref().map(|(t, _)| t)).collect();
    let mut injects = Vec::new();
    for (i, inj) in scenario.injects.iter().enumerate() {
        let n = i + 1;
        let Some(Some((ticket, events))) = cases.get(i) else {
            injects.push(InjectScore { n, ticket: None, arrived: None, checks: Vec::new(), escalations: 0 });
            continue;
        };
        let reported = events.iter().find(|e| matches!(e.kind, EventKind::Reported(_)));
        let sop = sop(reported.map(|e| e.sop_version.as_str()).unwrap_or(&scenario.sop_version));
        let arrived = reported.map(|e| e.hlc.millis());
        let f = found(events);
        let x = &inj.expect;
        let who = |e: Option<&Event>| e.and_then(|e| staff_of(&e.actor));
        let at = |e: Option<&Event>| e.map(|e| e.hlc.millis());
        let head = format!("Inject {n} ({ticket})");
        let new_rule = guide_rule(&sop, inj.category, super::workflow::State::New);
        let mut checks = Vec::new();
        // the decision: verify, or reject with the right reason (and the right original)
        let decision = match x.decision {
            Decision::Verify => {
                let ok = f.rejected.is_none() && (f.verified.is_some() || f.dispatched.is_some());
                let miss = match (&f.rejected, ok) {
                    (_, true) => None,
                    (Some(r), _) => Some(format!(
                        "{head}: laporan ditolak ({}), seharusnya diverifikasi dan ditindaklanjuti",
                        match &r.kind {
                            EventKind::Rejected { reason, .. } => reason_id(reason),
                            _ => String::new(),
                        }
                    )),
                    (None, _) => Some(format!("{head}: laporan belum diverifikasi")),
                };
                let by = if ok { f.first_decision } else { f.rejected };
                Check {
                    id: "decision",
                    ok,
                    actor: who(by),
                    at: at(by),
                    took_ms: None,
                    limit_ms: None,
                    rule: miss.as_ref().map(|_| new_rule.clone()),
                    miss,
                }
            }
            Decision::Reject => {
                let want = x.reason.clone().unwrap_or_default();
                let original = x.duplicate_of.and_then(|k| tickets.get(k - 1).copied().flatten());
                let (ok, miss) = match f.rejected.map(|e| &e.kind) {
                    Some(EventKind::Rejected { reason, duplicate_of, .. }) => {
                        if *reason != want {
                            (
                                false,
                                Some(format!(
                                    "{head}: ditolak sebagai {}, seharusnya {}",
                                    reason_id(reason),
                                    reason_id(&want)
                                )),
                            )
                        } else if want == "duplicate" && duplicate_of.as_ref() != original {
                            (
                                false,
                                Some(format!(
                                    "{head}: ditautkan ke {}, seharusnya duplikat dari inject {} ({})",
                                    duplicate_of.as_ref().map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                                    x.duplicate_of.unwrap_or(0),
                                    original.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
                                )),
                            )
                        } else {
                            (true, None)
                        }
                    }
                    _ if f.first_decision.is_some() => (
                        false,
                        Some(format!(
                            "{head}: laporan ditindaklanjuti, seharusnya ditolak sebagai {}",
                            reason_id(&want)
                        )),
                    ),
                    _ => (false, Some(format!("{head}: laporan belum ditolak (seharusnya {})", reason_id(&want)))),
                };
                let rule = miss.as_ref().map(|_| {
                    let extra = match want.as_str() {
                        "prank" => format!(
                            "; laporan palsu ditolak dengan alasan prank, nomor yang {} kali iseng diblokir",
                            sop.prank.block_after
                        ),
                        "duplicate" => "; laporan yang sama ditautkan sebagai duplikat dari laporan pertama".into(),
                        "out_of_scope" => {
                            "; laporan di luar kewenangan Polri ditolak dengan alasan out_of_scope".into()
                        }
                        _ => String::new(),
                    };
                    format!("{new_rule}{extra}")
                });
                let by = f.rejected.or(f.first_decision);
                Check { id: "decision", ok, actor: who(by), at: at(by), took_ms: None, limit_ms: None, miss, rule }
            }
        };
        checks.push(decision);
        // the priority set at verification (or at a dispatch first)
        if let Some(want) = x.priority {
            let (got, by) = match f.verified.map(|e| (&e.kind, e)) {
                Some((EventKind::Verified { priority, .. }, e)) => (Some(*priority), Some(e)),
                _ => (None, None),
            };
            let got = got.or_else(|| {
                f.dispatched.and_then(|_| {
                    reported.and_then(|r| match &r.kind {
                        EventKind::Reported(rc) => Some(rc.priority),
                        _ => None,
                    })
                })
            });
            let ok = got == Some(want);
            let miss = (!ok).then(|| match got {
                Some(g) => format!("{head}: prioritas {}, seharusnya {}", priority_id(g), priority_id(want)),
                None => format!("{head}: prioritas belum ditetapkan (seharusnya {})", priority_id(want)),
            });
            let by = by.or(f.dispatched);
            checks.push(Check {
                id: "priority",
                ok,
                actor: who(by),
                at: at(by),
                took_ms: None,
                limit_ms: None,
                rule: miss.as_ref().map(|_| new_rule.clone()),
                miss,
            });
        }
        // the unit dispatched to
        if let Some(want) = &x.unit {
            let got = match f.dispatched.map(|e| &e.kind) {
                Some(EventKind::Dispatched { unit, .. }) => Some(unit),
                _ => None,
            };
            let ok = got == Some(want);
            let miss = (!ok).then(|| match got {
                Some(g) => format!("{head}: didisposisikan ke {g}, seharusnya ke {want}"),
                None => format!("{head}: belum didisposisikan (seharusnya ke {want})"),
            });
            let rule = miss.as_ref().map(|_| guide_rule(&sop, inj.category, super::workflow::State::Verified));
            checks.push(Check {
                id: "unit",
                ok,
                actor: who(f.dispatched),
                at: at(f.dispatched),
                took_ms: None,
                limit_ms: None,
                miss,
                rule,
            });
        }
        // an emergency is dispatched before it is verified
        if x.dispatch_first {
            let ok = match (f.dispatched, f.verified) {
                (Some(d), Some(v)) => d.order_key() < v.order_key(),
                (Some(_), None) => true,
                _ => false,
            };
            let miss = (!ok).then(|| match f.dispatched {
                Some(_) => format!(
                    "{head}: darurat diverifikasi dulu baru didisposisikan; seharusnya didisposisikan lebih dulu"
                ),
                None => format!("{head}: darurat belum didisposisikan"),
            });
            let rule = miss.as_ref().map(|_| {
                format!("{new_rule}; darurat (korban luka, pelaku di tempat) didisposisikan sebelum verifikasi selesai")
            });
            checks.push(Check {
                id: "dispatch_first",
                ok,
                actor: who(f.dispatched),
                at: at(f.dispatched),
                took_ms: None,
                limit_ms: None,
                miss,
                rule,
            });
        }
        // times against the SOP's deadlines
        let prio = x.priority.unwrap_or_else(|| sop.default_priority(inj.category));
        let label = sop.category(inj.category).label.clone();
        let mut timed = |id: &'static str, step: Step, from: Option<Millis>, done: Option<&Event>, what: &str| {
            let Some(limit) = sop.deadline_ms(inj.category, step, prio) else { return };
            let took = match (from, done) {
                (Some(a), Some(d)) => Some(d.hlc.millis().0.saturating_sub(a.0)),
                _ => None,
            };
            let ok = took.is_some_and(|t| t <= limit);
            let miss = (!ok).then(|| match took {
                Some(t) => {
                    format!("{head}: {what} {} setelah waktunya mulai, batas {}", duration_id(t), duration_id(limit))
                }
                None => format!("{head}: {what} belum dilakukan (batas {})", duration_id(limit)),
            });
            let rule = miss.as_ref().map(|_| {
                format!(
                    "SOP {}, {label}: langkah {what} prioritas {} paling lambat {}",
                    sop.version,
                    priority_id(prio),
                    duration_id(limit)
                )
            });
            checks.push(Check {
                id,
                ok,
                actor: who(done),
                at: at(done),
                took_ms: took,
                limit_ms: Some(limit),
                miss,
                rule,
            });
        };
        timed("verify_time", Step::Verify, arrived, f.first_decision, "verifikasi");
        if x.unit.is_some() {
            // the dispatch clock starts at verification, or at the report when dispatched first
            let from = match (f.verified, f.dispatched) {
                (Some(v), Some(d)) if v.order_key() < d.order_key() => Some(v.hlc.millis()),
                (Some(v), None) => Some(v.hlc.millis()),
                _ => arrived,
            };
            timed("dispatch_time", Step::Dispatch, from, f.dispatched, "disposisi");
        }
        injects.push(InjectScore { n, ticket: Some(ticket.clone()), arrived, checks, escalations: f.escalations });
    }
    let max_points: u32 = scenario
        .injects
        .iter()
        .map(|i| {
            let x = &i.expect;
            2 + u32::from(x.priority.is_some()) + 2 * u32::from(x.unit.is_some()) + u32::from(x.dispatch_first)
        })
        .sum();
    let points = injects.iter().flat_map(|i| &i.checks).filter(|c| c.ok).count() as u32;
    let mut people: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    for c in injects.iter().flat_map(|i| &i.checks) {
        if let Some(a) = &c.actor {
            let e = people.entry(a.clone()).or_default();
            e.0 += u32::from(c.ok);
            e.1 += 1;
        }
    }
    let participants =
        people.into_iter().map(|(user, (points, max_points))| Participant { user, points, max_points }).collect();
    let escalations = injects.iter().map(|i| i.escalations).sum();
    let score_percent = (points * 100 + max_points / 2).checked_div(max_points).unwrap_or(100);
    Scorecard { injects, points, max_points, score_percent, participants, escalations }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sop() -> Sop {
        Sop::parse(include_str!("../../data/sop-reference.toml")).unwrap()
    }
    fn units() -> Units {
        Units::parse(include_str!("../../data/polda-sumsel-units.toml")).unwrap()
    }
    const SCENARIOS: [&str; 4] = [
        include_str!("../../data/drills/malam-iseng.toml"),
        include_str!("../../data/drills/curanmor-duplikat.toml"),
        include_str!("../../data/drills/lakalantas-korban.toml"),
        include_str!("../../data/drills/propam-keluhan.toml"),
    ];

    #[test]
    fn the_embedded_scenarios_check() {
        for text in SCENARIOS {
            let s = Scenario::parse(text, &sop(), &units()).unwrap_or_else(|e| panic!("{e}"));
            assert!(s.injects.len() >= 3, "{}", s.id);
            assert_eq!(s.sop_version, "draft-2026-12");
        }
        let laka = Scenario::parse(SCENARIOS[2], &sop(), &units()).unwrap();
        assert!(laka.injects[0].expect.dispatch_first);
        assert_eq!(laka.injects[1].expect.duplicate_of, Some(1));
        assert_eq!(laka.injects[2].t_ms, 6 * 60_000);
    }

    /// Each bad input is refused naming the field and the line it is on.
    #[test]
    fn a_bad_scenario_names_the_line_and_field() {
        let base = SCENARIOS[1];
        let line_of_text = |needle: &str| base.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let table: [(&str, &str, &str, usize); 7] = [
            (
                "channel = \"whatsapp\"",
                "channel = \"telegram\"",
                "inject[2].channel",
                line_of_text("channel = \"whatsapp\""),
            ),
            ("unit = \"PLG\"", "unit = \"POLSEKX\"", "inject[1].expect.unit", line_of_text("unit = \"PLG\"")),
            (
                "category = \"information\"",
                "category = \"gossip\"",
                "inject[3].category",
                line_of_text("category = \"information\""),
            ),
            ("t = \"10m\"", "t = \"-10m\"", "inject[2].t", line_of_text("t = \"10m\"")),
            ("t = \"14m\"", "t = -3", "inject[3].t", line_of_text("t = \"14m\"")),
            ("duplicate_of = 1", "duplicate_of = 3", "inject[2].expect.duplicate_of", line_of_text("duplicate_of = 1")),
            (
                "reason = \"duplicate\"",
                "reason = \"boring\"",
                "inject[2].expect.reason",
                line_of_text("reason = \"duplicate\""),
            ),
        ];
        for (from, to, field, line) in table {
            assert!(base.contains(from), "{from}");
            let e = Scenario::parse(&base.replacen(from, to, 1), &sop(), &units()).unwrap_err();
            assert_eq!((e.field.as_str(), e.line), (field, Some(line)), "{from} -> {to}: {e}");
        }
        // the report itself must pass intake: a bad number is named as intake names it
        let e = Scenario::parse(&base.replacen("0812-7300-4512", "12", 1), &sop(), &units()).unwrap_err();
        assert_eq!(e.field, "inject[1].reporter.phone", "{e}");
        let e = Scenario::parse(&base.replacen("title =", "titel =", 1), &sop(), &units()).unwrap_err();
        assert_eq!(e.line, Some(line_of_text("title =")), "{e}");
    }

    #[test]
    fn the_drill_clock_stops_while_paused_and_runs_at_its_speed() {
        let mut c = DrillClock { started: Millis(1_000_000), speed: 2.0, paused_ms: 0, paused_since: None };
        assert_eq!(c.elapsed(Millis(1_060_000)), 120_000);
        c.paused_since = Some(Millis(1_060_000));
        assert_eq!(c.elapsed(Millis(1_900_000)), 120_000, "paused: drill time stands still");
        c.paused_since = None;
        c.paused_ms = 840_000;
        assert_eq!(c.elapsed(Millis(1_930_000)), 180_000);
        assert_eq!(c.real_at(180_000), Millis(1_930_000));
    }

    #[test]
    fn a_drill_moves_only_as_its_life_allows() {
        use DrillAction as A;
        use DrillState as S;
        assert_eq!(next_state(S::Running, A::Pause), Ok(S::Paused));
        assert_eq!(next_state(S::Paused, A::Resume), Ok(S::Running));
        assert_eq!(next_state(S::Paused, A::Abort), Ok(S::Aborted));
        assert_eq!(next_state(S::Running, A::Resume), Err(S::Running));
        assert_eq!(next_state(S::Finished, A::Abort), Err(S::Finished));
        assert_eq!(next_state(S::Aborted, A::Resume), Err(S::Aborted));
    }

    #[test]
    fn a_scenario_for_palembang_expects_the_own_polres_at_another_post() {
        let s = Scenario::parse(SCENARIOS[2], &sop(), &units()).unwrap();
        let bas = s.clone().at_post(&units(), &NodeCode::parse("BAS").unwrap());
        let unit = |s: &Scenario, i: usize| s.injects[i].expect.unit.as_ref().map(|u| u.to_string());
        assert_eq!((unit(&bas, 0), unit(&bas, 1), unit(&bas, 2)), (Some("BAS".into()), None, Some("BAS".into())));
        assert_eq!(s.clone().at_post(&units(), &NodeCode::parse("PLG").unwrap()), s, "at its own post: as written");
        assert_eq!(s.clone().at_post(&units(), &NodeCode::parse("SUMSEL").unwrap()), s, "the hub has no Polres");
        let propam = Scenario::parse(SCENARIOS[3], &sop(), &units()).unwrap();
        let at_bas = propam.clone().at_post(&units(), &NodeCode::parse("BAS").unwrap());
        assert_eq!(unit(&at_bas, 0), Some("BIDPROPAM".into()), "a satker stays");
    }

    #[test]
    fn a_hub_drill_is_over_when_every_post_is_and_posts_follow_the_hub() {
        use DrillAction as A;
        use DrillState as S;
        for (wanted, posts, want) in [
            (S::Running, vec![false, true], S::Running),
            (S::Paused, vec![false, false], S::Paused),
            (S::Running, vec![true, true], S::Finished),
            (S::Paused, vec![true, true], S::Finished),
            (S::Aborted, vec![true, false], S::Aborted),
            (S::Running, vec![], S::Running),
        ] {
            assert_eq!(hub_state(wanted, &posts), want, "{wanted:?} {posts:?}");
        }
        for (local, wanted, want) in [
            (S::Running, S::Paused, Some(A::Pause)),
            (S::Paused, S::Running, Some(A::Resume)),
            (S::Running, S::Aborted, Some(A::Abort)),
            (S::Paused, S::Aborted, Some(A::Abort)),
            (S::Running, S::Running, None),
            (S::Finished, S::Aborted, None),
            (S::Aborted, S::Running, None),
        ] {
            assert_eq!(follow_hub(local, wanted), want, "{local:?} -> {wanted:?}");
        }
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_id(120_000), "2 menit");
        assert_eq!(duration_id(5_400_000), "1 jam 30 menit");
        assert_eq!(duration_id(45_000), "45 detik");
    }
}
