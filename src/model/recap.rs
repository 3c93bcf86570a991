//! Recaps (alat ukur): the SOP's figures for a period, computed from one compact row per case
//! (`Fact`), which the store keeps beside the case summary in the same staged write. Pure: the
//! caller reads the facts of the period and passes the clock.
//!
//! Definitions (also in ARCHITECTURE.md and in the recap itself, `DEFINITIONS`):
//! - A recap of the period `[from, to)` covers the reports **received** in it (created, WIB);
//!   each is followed up to the period end `E = min(to, now)`.
//! - A case's **status** is the state it was in at `E`.
//! - A **step** (verify, dispatch, acknowledge, first_action, resolve) is pending while the case
//!   is in the state that awaits it (`Step::pending_in`); it is **done** when the case leaves that
//!   state (by whatever action), at or before `E`. Its **duration** runs from the moment the
//!   case entered that state to the event that made it leave.
//! - **Within deadline**: done with duration ≤ the SOP's deadline for the case's category,
//!   priority and step. **Missed**: done late, or still pending at `E` with its deadline passed
//!   (**overdue**). A step pending at `E` within its deadline is **not yet done** and counts in
//!   neither. Share within = within / (done + overdue).
//! - Median and p90 are exact nearest-rank percentiles of the done durations (no sketch).
//! - Escalations per rung, verified, rejected (by reason), duplicates linked, emergencies
//!   dispatched before verification and reopenings count what happened at or before `E`;
//!   conflicts count the case's conflicts as now known. Prank rate = rejected as prank /
//!   received.
//! - Per duty officer: the steps each person completed (the actor of the event that ended the
//!   step), with their count, median and p90.

use super::case::Case;
use super::event::{Actor, Channel};
use super::sop::{Category, Priority, Sop, Step};
use super::time::Millis;
use super::workflow::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The definitions a recap carries (the UI and the print view show them).
pub const DEFINITIONS: &str = "Covers reports received in the period (WIB), followed up to the period end \
(or now, if earlier). Status: the state at the period end. A step is done when the case leaves the state that \
awaits it; its duration runs from entering that state to that event. Within deadline: done within the SOP \
deadline of the case's category, priority and step. Missed: done late, or still pending past its deadline at \
the period end (overdue); a step pending within its deadline is not yet done. Share within = within / (done + \
overdue). Median and p90: exact nearest-rank percentiles of the done durations. Prank rate = rejected as prank \
/ received.";

/// The longest period one recap may cover.
pub const MAX_DAYS: u64 = 400;

/// What a case's history records for measurement, maintained by `Case::apply` (part of the fold).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Trail {
    /// every state the case entered: state, when, by whom (username; empty for citizen/system)
    pub entries: Vec<(State, Millis, String)>,
    /// the first verification
    pub verified_at: Option<Millis>,
    /// escalations recorded: rung, when
    pub escalations: Vec<(u8, Millis)>,
}

/// The username behind an actor, or empty.
pub fn actor_user(a: &Actor) -> String {
    match a {
        Actor::Staff { user, .. } => user.clone(),
        _ => String::new(),
    }
}

/// One case as the recap sees it. Stored per case (keyed by creation time), rewritten whenever
/// the case changes; a pure function of the case and its SOP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    #[serde(rename = "t")]
    pub ticket: String,
    /// the node the report was received at (the ticket's origin)
    #[serde(rename = "n")]
    pub node: String,
    #[serde(rename = "u", default)]
    pub unit: Option<String>,
    #[serde(rename = "c")]
    pub category: Category,
    #[serde(rename = "p")]
    pub priority: Priority,
    #[serde(rename = "h")]
    pub channel: Channel,
    #[serde(rename = "r")]
    pub regency: String,
    /// the kecamatan's official code (`model::wilayah`), when the report gave one; absent in
    /// rows written before it was kept
    #[serde(rename = "dc", default)]
    pub district: Option<String>,
    #[serde(rename = "at")]
    pub created: u64,
    /// state index, when (ms), by whom
    #[serde(rename = "e")]
    pub entries: Vec<(u8, u64, String)>,
    #[serde(rename = "v", default)]
    pub verified_at: Option<u64>,
    #[serde(rename = "x", default)]
    pub escalations: Vec<(u8, u64)>,
    #[serde(rename = "j", default)]
    pub reject_reason: Option<String>,
    #[serde(rename = "d", default)]
    pub duplicate: bool,
    #[serde(rename = "eu", default)]
    pub emergency_unverified: bool,
    #[serde(rename = "k", default)]
    pub conflicts: u32,
    /// the SOP deadline of each step (`Step::ALL` order), ms
    #[serde(rename = "dl")]
    pub deadlines: [Option<u64>; 5],
}

impl Fact {
    pub fn of(c: &Case, sop: Option<&Sop>) -> Fact {
        let deadlines = Step::ALL.map(|s| sop.and_then(|sop| sop.deadline_ms(c.category, s, c.priority)));
        Fact {
            ticket: c.ticket.as_str().to_owned(),
            node: c.holders.first().unwrap_or(&c.owner).as_str().to_owned(),
            unit: c.unit.as_ref().map(|u| u.as_str().to_owned()),
            category: c.category,
            priority: c.priority,
            channel: c.channel,
            regency: c.location.regency.clone(),
            district: c.location.district_code.clone(),
            created: c.created.0,
            entries: c.trail.entries.iter().map(|(s, at, by)| (s.index(), at.0, by.clone())).collect(),
            verified_at: c.trail.verified_at.map(|m| m.0),
            escalations: c.trail.escalations.iter().map(|(r, at)| (*r, at.0)).collect(),
            reject_reason: c.reject_reason.clone(),
            duplicate: c.duplicate_of.is_some(),
            emergency_unverified: c.dispatched_unverified,
            conflicts: c.conflicts.len() as u32,
            deadlines,
        }
    }

    fn dim(&self, d: Dim) -> String {
        match d {
            Dim::Node => self.node.clone(),
            Dim::Unit => self.unit.clone().unwrap_or_default(),
            Dim::Category => self.category.as_str().to_owned(),
            Dim::Priority => self.priority.as_str().to_owned(),
            Dim::Channel => self.channel.as_str().to_owned(),
            Dim::Regency => self.regency.clone(),
            Dim::District => self.district.clone().unwrap_or_default(),
        }
    }
}

/// What a recap may be grouped and filtered by. A new dimension is one more variant here, in
/// `ALL`, `as_str` and `Fact::dim`. `District` is the kecamatan's code (empty when not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dim {
    Node,
    Unit,
    Category,
    Priority,
    Channel,
    Regency,
    District,
}

impl Dim {
    pub const ALL: [Dim; 7] =
        [Dim::Node, Dim::Unit, Dim::Category, Dim::Priority, Dim::Channel, Dim::Regency, Dim::District];
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Node => "node",
            Dim::Unit => "unit",
            Dim::Category => "category",
            Dim::Priority => "priority",
            Dim::Channel => "channel",
            Dim::Regency => "regency",
            Dim::District => "district",
        }
    }
    pub fn parse(s: &str) -> Option<Dim> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Where a case stands on one step at the period end (the drill-down from a step's figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Done,
    Within,
    Late,
    Overdue,
    NotYet,
    /// late or overdue
    Missed,
}

impl StepStatus {
    pub const ALL: [StepStatus; 6] = [Self::Done, Self::Within, Self::Late, Self::Overdue, Self::NotYet, Self::Missed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Within => "within",
            Self::Late => "late",
            Self::Overdue => "overdue",
            Self::NotYet => "not_yet",
            Self::Missed => "missed",
        }
    }
    pub fn parse(s: &str) -> Option<StepStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What to compute: the period, the grouping, the filters (all must match), and whether to
/// compute the per-officer figures. `state` and `step` narrow the cases to those in that state at
/// the period end, or standing so on that step (the cases behind one figure).
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub from: Millis,
    pub to: Millis,
    pub now: Millis,
    pub group_by: Vec<Dim>,
    pub filter: Vec<(Dim, String)>,
    pub officers: bool,
    pub state: Option<State>,
    pub step: Option<(Step, StepStatus)>,
}

impl Query {
    pub fn end(&self) -> Millis {
        self.to.min(self.now)
    }
    fn matches(&self, f: &Fact) -> bool {
        f.created >= self.from.0 && f.created < self.to.0 && self.filter.iter().all(|(d, v)| &f.dim(*d) == v)
    }
}

/// The figures of one step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepFigures {
    pub step: Option<Step>,
    pub done: u64,
    pub within: u64,
    pub late: u64,
    /// pending at the period end past its deadline
    pub overdue: u64,
    /// pending at the period end within its deadline
    pub not_yet: u64,
    pub median_ms: Option<u64>,
    pub p90_ms: Option<u64>,
}

impl StepFigures {
    pub fn missed(&self) -> u64 {
        self.late + self.overdue
    }
    /// within / (done + overdue); `None` when nothing counts
    pub fn share_within(&self) -> Option<f64> {
        let n = self.done + self.overdue;
        (n > 0).then(|| self.within as f64 / n as f64)
    }
}

/// The figures of one group (or of all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub received: u64,
    /// state at the period end -> cases
    pub by_state: BTreeMap<&'static str, u64>,
    pub verified: u64,
    pub rejected: BTreeMap<String, u64>,
    pub duplicates: u64,
    pub steps: Vec<StepFigures>,
    pub escalations: BTreeMap<u8, u64>,
    pub emergency_unverified: u64,
    pub reopened: u64,
    pub conflicts: u64,
    pub pranks: u64,
}

impl Figures {
    pub fn prank_rate(&self) -> Option<f64> {
        (self.received > 0).then(|| self.pranks as f64 / self.received as f64)
    }
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// One person's completed steps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfficerFigures {
    pub user: String,
    pub cases: u64,
    /// per step (`Step::ALL` order): count, median, p90
    pub steps: Vec<(u64, Option<u64>, Option<u64>)>,
}

/// A computed recap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recap {
    pub total: Figures,
    /// group key (one value per `group_by` dimension) -> figures, in key order
    pub groups: Vec<(Vec<String>, Figures)>,
    pub officers: Vec<OfficerFigures>,
    /// tickets behind the recap (for drill-down), in ticket order
    pub tickets: Vec<String>,
}

/// Nearest-rank percentile (`p` in 1..=100) of sorted values.
pub fn percentile(sorted: &[u64], p: u64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as u64).div_ceil(100).max(1);
    sorted.get(rank as usize - 1).copied()
}

struct Acc {
    f: Figures,
    durations: [Vec<u64>; 5],
}

impl Default for Acc {
    /// Empty figures with a row per step.
    fn default() -> Acc {
        let steps = Step::ALL.iter().map(|s| StepFigures { step: Some(*s), ..Default::default() }).collect();
        Acc { f: Figures { steps, ..Default::default() }, durations: Default::default() }
    }
}

impl Acc {
    fn finish(mut self) -> Figures {
        for (i, d) in self.durations.iter_mut().enumerate() {
            d.sort_unstable();
            self.f.steps[i].median_ms = percentile(d, 50);
            self.f.steps[i].p90_ms = percentile(d, 90);
        }
        self.f
    }
}

/// What one case contributes, computed once and added to the total and its group.
struct Contribution<'a> {
    state: State,
    verified: bool,
    rejected: Option<String>,
    duplicate: bool,
    escalations: Vec<u8>,
    emergency_unverified: bool,
    reopened: u64,
    conflicts: u64,
    /// step index, duration, within, by
    done: Vec<(usize, u64, bool, &'a str)>,
    /// step index, overdue
    pending: Option<(usize, bool)>,
}

fn contribution(f: &Fact, end: Millis) -> Contribution<'_> {
    let state_of = |i: u8| State::ALL.get(usize::from(i)).copied().unwrap_or(State::New);
    let entries: Vec<(State, u64, &str)> =
        f.entries.iter().filter(|e| e.1 <= end.0).map(|(s, at, by)| (state_of(*s), *at, by.as_str())).collect();
    let mut done = Vec::new();
    let mut reopened = 0;
    for w in entries.windows(2) {
        let ((s0, t0, _), (s1, t1, by)) = (w[0], w[1]);
        if s0 == State::Resolved && s1 == State::InProgress {
            reopened += 1;
        }
        if let Some(step) = Step::pending_in(s0) {
            let i = step_index(step);
            let d = t1.saturating_sub(t0);
            let within = f.deadlines[i].is_none_or(|dl| d <= dl);
            done.push((i, d, within, by));
        }
    }
    let (state, since) = entries.last().map(|(s, t, _)| (*s, *t)).unwrap_or((State::New, f.created));
    let pending = Step::pending_in(state).map(|step| {
        let i = step_index(step);
        let overdue = f.deadlines[i].is_some_and(|dl| since.saturating_add(dl) < end.0);
        (i, overdue)
    });
    let rejected = (state == State::Rejected).then(|| f.reject_reason.clone().unwrap_or_default());
    Contribution {
        state,
        verified: f.verified_at.is_some_and(|v| v <= end.0),
        duplicate: rejected.is_some() && f.duplicate,
        rejected,
        escalations: f.escalations.iter().filter(|(_, at)| *at <= end.0).map(|(r, _)| *r).collect(),
        emergency_unverified: f.emergency_unverified
            && entries.windows(2).any(|w| w[0].0 == State::New && w[1].0 == State::Dispatched),
        reopened,
        conflicts: u64::from(f.conflicts),
        done,
        pending,
    }
}

/// Whether a case's contribution stands so on step `i`.
fn stands(c: &Contribution<'_>, i: usize, st: StepStatus) -> bool {
    let done = |within: Option<bool>| c.done.iter().any(|d| d.0 == i && within.is_none_or(|w| w == d.2));
    match st {
        StepStatus::Done => done(None),
        StepStatus::Within => done(Some(true)),
        StepStatus::Late => done(Some(false)),
        StepStatus::Overdue => c.pending == Some((i, true)),
        StepStatus::NotYet => c.pending == Some((i, false)),
        StepStatus::Missed => done(Some(false)) || c.pending == Some((i, true)),
    }
}

fn step_index(s: Step) -> usize {
    Step::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

fn add(a: &mut Acc, c: &Contribution<'_>) {
    let f = &mut a.f;
    f.received += 1;
    *f.by_state.entry(c.state.as_str()).or_default() += 1;
    f.verified += u64::from(c.verified);
    if let Some(r) = &c.rejected {
        *f.rejected.entry(r.clone()).or_default() += 1;
        f.pranks += u64::from(r == "prank");
    }
    f.duplicates += u64::from(c.duplicate);
    for r in &c.escalations {
        *f.escalations.entry(*r).or_default() += 1;
    }
    f.emergency_unverified += u64::from(c.emergency_unverified);
    f.reopened += c.reopened;
    f.conflicts += c.conflicts;
    for (i, d, within, _) in &c.done {
        let s = &mut f.steps[*i];
        s.done += 1;
        if *within {
            s.within += 1;
        } else {
            s.late += 1;
        }
        a.durations[*i].push(*d);
    }
    if let Some((i, overdue)) = c.pending {
        if overdue {
            f.steps[i].overdue += 1;
        } else {
            f.steps[i].not_yet += 1;
        }
    }
}

/// Computes the recap of `q` over `facts` (any order; those outside the period or the filter
/// are skipped).
pub fn compute<'a>(facts: impl IntoIterator<Item = &'a Fact>, q: &Query) -> Recap {
    let end = q.end();
    let mut total = Acc::default();
    let mut groups: BTreeMap<Vec<String>, Acc> = BTreeMap::new();
    // per officer: the cases they completed a step of, and each step's durations
    let mut officers: BTreeMap<&str, (u64, [Vec<u64>; 5])> = BTreeMap::new();
    let mut tickets = Vec::new();
    for f in facts.into_iter().filter(|f| q.matches(f)) {
        let c = contribution(f, end);
        if q.state.is_some_and(|s| s != c.state) || q.step.is_some_and(|(s, st)| !stands(&c, step_index(s), st)) {
            continue;
        }
        add(&mut total, &c);
        if !q.group_by.is_empty() {
            let key: Vec<String> = q.group_by.iter().map(|d| f.dim(*d)).collect();
            add(groups.entry(key).or_default(), &c);
        }
        if q.officers {
            let mut counted: Vec<&str> = Vec::new();
            for (i, d, _, by) in c.done.iter().filter(|x| !x.3.is_empty()) {
                let o = officers.entry(by).or_default();
                if !counted.contains(by) {
                    counted.push(by);
                    o.0 += 1;
                }
                o.1[*i].push(*d);
            }
        }
        tickets.push(f.ticket.as_str());
    }
    tickets.sort_unstable();
    Recap {
        total: total.finish(),
        groups: groups.into_iter().map(|(k, a)| (k, a.finish())).collect(),
        officers: officers
            .into_iter()
            .map(|(user, (cases, mut ds))| OfficerFigures {
                user: user.to_owned(),
                cases,
                steps: ds
                    .iter_mut()
                    .map(|d| {
                        d.sort_unstable();
                        (d.len() as u64, percentile(d, 50), percentile(d, 90))
                    })
                    .collect(),
            })
            .collect(),
        tickets: tickets.into_iter().map(str::to_owned).collect(),
    }
}

/// A duty shift from the SOP (`[[shifts]]`): a name and its WIB start; it runs to the next
/// shift's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub name: String,
    /// minutes after local midnight
    pub start_min: u32,
}

/// The shifts when the SOP names none: Pagi 07:00-19:00, Malam 19:00-07:00.
pub fn default_shifts() -> Vec<Shift> {
    vec![Shift { name: "Pagi".into(), start_min: 7 * 60 }, Shift { name: "Malam".into(), start_min: 19 * 60 }]
}

/// The `[start, end)` of shift `name` starting on the local day whose midnight is `midnight`.
pub fn shift_range(shifts: &[Shift], name: &str, midnight: Millis) -> Option<(Millis, Millis)> {
    let mut sorted: Vec<&Shift> = shifts.iter().collect();
    sorted.sort_by_key(|s| s.start_min);
    let i = sorted.iter().position(|s| s.name == name)?;
    let start = u64::from(sorted[i].start_min) * 60_000;
    let end = match sorted.get(i + 1) {
        Some(n) => u64::from(n.start_min) * 60_000,
        None => 24 * 3_600_000 + u64::from(sorted[0].start_min) * 60_000,
    };
    Some((midnight.plus(start), midnight.plus(end)))
}

/// The most tickets a handover snapshot lists of its open and of its overdue cases (the counts
/// are whole).
pub const HANDOVER_LIST: usize = 100;

/// A shift handover snapshot (`shift_recap`): the figures of the shift just ended, the cases
/// handed over, and the Ka Siaga's note. Taken by the node at the shift's end; synced up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftRecap {
    pub node: String,
    pub shift: String,
    pub from: Millis,
    pub to: Millis,
    /// when the node took it (at or after `to`)
    pub taken_at: Millis,
    pub figures: ShiftFigures,
    /// open cases at `taken_at`, most urgent first (at most `HANDOVER_LIST`), and how many
    pub open_total: u64,
    pub open: Vec<String>,
    /// the open cases whose pending step was past its deadline at `to`
    pub overdue_total: u64,
    pub overdue: Vec<String>,
    #[serde(default)]
    pub note: Option<HandoverNote>,
    /// the node's revision of this record (a note raises it); sync sends what the parent lacks
    pub rev: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoverNote {
    pub text: String,
    pub by: String,
    pub at: Millis,
}

/// The figures a handover snapshot keeps (those of `Figures`, in a stored form).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShiftFigures {
    pub received: u64,
    pub by_state: BTreeMap<String, u64>,
    pub verified: u64,
    pub rejected: u64,
    pub pranks: u64,
    pub duplicates: u64,
    pub escalations: u64,
    pub emergency_unverified: u64,
    pub reopened: u64,
    pub conflicts: u64,
    pub steps: Vec<ShiftStep>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShiftStep {
    pub step: String,
    pub done: u64,
    pub within: u64,
    pub late: u64,
    pub overdue: u64,
    pub not_yet: u64,
    pub median_ms: Option<u64>,
    pub p90_ms: Option<u64>,
}

impl ShiftFigures {
    pub fn of(f: &Figures) -> ShiftFigures {
        ShiftFigures {
            received: f.received,
            by_state: f.by_state.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            verified: f.verified,
            rejected: f.rejected_total(),
            pranks: f.pranks,
            duplicates: f.duplicates,
            escalations: f.escalations.values().sum(),
            emergency_unverified: f.emergency_unverified,
            reopened: f.reopened,
            conflicts: f.conflicts,
            steps: f
                .steps
                .iter()
                .map(|s| ShiftStep {
                    step: s.step.map(Step::as_str).unwrap_or_default().to_owned(),
                    done: s.done,
                    within: s.within,
                    late: s.late,
                    overdue: s.overdue,
                    not_yet: s.not_yet,
                    median_ms: s.median_ms,
                    p90_ms: s.p90_ms,
                })
                .collect(),
        }
    }
}

/// The shift that ended last at or before `now`: its name and `[start, end)`. `midnight` is the
/// local midnight of `now`'s day (a shift that began yesterday may end today).
pub fn last_ended(shifts: &[Shift], midnight: Millis, now: Millis) -> Option<(String, Millis, Millis)> {
    let yesterday = Millis(midnight.0.saturating_sub(86_400_000));
    shifts
        .iter()
        .flat_map(|s| [yesterday, midnight].map(|day| (s, shift_range(shifts, &s.name, day))))
        .filter_map(|(s, r)| r.filter(|(_, end)| *end <= now).map(|(a, b)| (s.name.clone(), a, b)))
        .max_by_key(|(_, _, end)| *end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(entries: &[(State, u64, &str)], deadlines: [Option<u64>; 5]) -> Fact {
        Fact {
            ticket: "PLG-261101-0001".into(),
            node: "PLG".into(),
            unit: None,
            category: Category::Crime,
            priority: Priority::Normal,
            channel: Channel::Web,
            regency: "Kota Palembang".into(),
            district: None,
            created: entries[0].1,
            entries: entries.iter().map(|(s, t, b)| (s.index(), *t, (*b).to_owned())).collect(),
            verified_at: None,
            escalations: Vec::new(),
            reject_reason: None,
            duplicate: false,
            emergency_unverified: false,
            conflicts: 0,
            deadlines,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn steps_count_from_state_entry_and_open_cases_past_deadline_are_missed() {
        let m = 60_000;
        let dl = [Some(10 * m), Some(10 * m), Some(10 * m), None, None];
        // verified after 5 min (within), dispatched after 12 (late), then pending acknowledge
        let a = fact(&[(State::New, 0, ""), (State::Verified, 5 * m, "op"), (State::Dispatched, 17 * m, "op")], dl);
        // still new at the end, 30 minutes old: overdue
        let b = fact(&[(State::New, m, "")], dl);
        let q =
            Query { from: Millis(0), to: Millis(60 * m), now: Millis(31 * m), officers: true, ..Default::default() };
        let r = compute([&a, &b], &q);
        let s = &r.total.steps;
        assert_eq!((s[0].done, s[0].within, s[0].overdue), (1, 1, 1));
        assert_eq!((s[1].done, s[1].late), (1, 1));
        assert_eq!((s[2].done, s[2].not_yet, s[2].overdue), (0, 0, 1), "acknowledge due at 27 min, end at 31");
        assert_eq!(s[0].share_within(), Some(0.5));
        assert_eq!(r.total.by_state.get("new"), Some(&1));
        assert_eq!(r.officers[0].user, "op");
        assert_eq!(r.officers[0].steps[1], (1, Some(12 * m), Some(12 * m)));
        // seen at 14 minutes the dispatch (due at 15) is not yet due; at 16 it is overdue
        let r = compute([&a, &b], &Query { now: Millis(14 * m), ..q.clone() });
        assert_eq!(r.total.by_state.get("verified"), Some(&1));
        assert_eq!((r.total.steps[1].not_yet, r.total.steps[1].overdue), (1, 0));
        let r = compute([&a, &b], &Query { now: Millis(16 * m), ..q.clone() });
        assert_eq!((r.total.steps[1].not_yet, r.total.steps[1].overdue), (0, 1));
        // the cases behind a figure: verify missed is b (overdue), verify within is a
        let behind = |state: Option<State>, step: Option<(Step, StepStatus)>| {
            compute([&a, &b], &Query { state, step, ..q.clone() }).tickets.len()
        };
        let b_only = Fact { ticket: "PLG-261101-0002".into(), ..b.clone() };
        let r = compute([&a, &b_only], &Query { step: Some((Step::Verify, StepStatus::Missed)), ..q.clone() });
        assert_eq!(r.tickets, vec!["PLG-261101-0002".to_owned()]);
        assert_eq!(r.total.received, 1);
        assert_eq!(behind(None, Some((Step::Verify, StepStatus::Within))), 1);
        assert_eq!(behind(None, Some((Step::Dispatch, StepStatus::Late))), 1);
        assert_eq!(behind(None, Some((Step::Dispatch, StepStatus::Within))), 0);
        assert_eq!(behind(None, Some((Step::Acknowledge, StepStatus::Overdue))), 1);
        assert_eq!(behind(Some(State::New), None), 1);
        assert_eq!(behind(Some(State::Closed), None), 0);
    }

    #[test]
    fn shifts_wrap_past_midnight() {
        let s = default_shifts();
        let h = 3_600_000;
        assert_eq!(shift_range(&s, "Pagi", Millis(0)), Some((Millis(7 * h), Millis(19 * h))));
        assert_eq!(shift_range(&s, "Malam", Millis(0)), Some((Millis(19 * h), Millis(31 * h))));
        assert_eq!(shift_range(&s, "Siang", Millis(0)), None);
        // local midnight at 24 h: at 06:00 the night shift of the day before has not ended yet,
        // so the last to end is the day shift before it; at 07:00 the night shift has
        let day = Millis(24 * h);
        assert_eq!(last_ended(&s, day, Millis(30 * h)), Some(("Pagi".into(), Millis(7 * h), Millis(19 * h))));
        assert_eq!(last_ended(&s, day, Millis(31 * h)), Some(("Malam".into(), Millis(19 * h), Millis(31 * h))));
        assert_eq!(last_ended(&s, day, Millis(43 * h)), Some(("Pagi".into(), Millis(31 * h), Millis(43 * h))));
    }
}
