//! The SOP as data: categories, priorities, per-step deadlines, the escalation ladder, reject
//! reasons and prank thresholds, parsed from TOML and checked for completeness.

use super::prank::{PrankPolicy, Weights};
use super::time::{parse_duration, zone_offset, Millis};
use super::workflow::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::UtcOffset;

/// The four kinds of report the service takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Information,
    Feedback,
    Appreciation,
    Crime,
}

impl Category {
    pub const ALL: [Category; 4] = [Self::Information, Self::Feedback, Self::Appreciation, Self::Crime];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Information => "information",
            Self::Feedback => "feedback",
            Self::Appreciation => "appreciation",
            Self::Crime => "crime",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Emergency,
    High,
    Normal,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Self::Emergency, Self::High, Self::Normal];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emergency => "emergency",
            Self::High => "high",
            Self::Normal => "normal",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A step of the SOP that has a deadline, with the state whose entry starts its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Verify,
    Dispatch,
    Acknowledge,
    FirstAction,
    Resolve,
}

impl Step {
    pub const ALL: [Step; 5] = [Self::Verify, Self::Dispatch, Self::Acknowledge, Self::FirstAction, Self::Resolve];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Dispatch => "dispatch",
            Self::Acknowledge => "acknowledge",
            Self::FirstAction => "first_action",
            Self::Resolve => "resolve",
        }
    }
    /// The step whose deadline runs while a case is in `state`.
    pub fn pending_in(state: State) -> Option<Step> {
        match state {
            State::New => Some(Self::Verify),
            State::Verified => Some(Self::Dispatch),
            State::Dispatched => Some(Self::Acknowledge),
            State::Acknowledged => Some(Self::FirstAction),
            State::InProgress => Some(Self::Resolve),
            State::Rejected | State::Resolved | State::Closed => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySop {
    pub id: Category,
    pub label: String,
    pub default_unit_kind: String,
    pub priorities: Vec<Priority>,
    /// deadline in milliseconds per (step, priority)
    pub deadlines: BTreeMap<(Step, Priority), u64>,
    pub notify_reporter_on: Vec<State>,
    /// what the SOP says to do in each state that has a pending step (empty: deadlines only)
    pub guide: BTreeMap<State, Guide>,
    /// what the call-taker asks before filing a report of this category
    pub intake: Vec<Text>,
}

/// A text in Bahasa Indonesia, with its English rendering (empty when the SOP gives none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub id: String,
    pub en: String,
}

/// The SOP's guidance for one step: what to do, what to check, who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    pub instruction: Text,
    pub checklist: Vec<Text>,
    /// the roles that act in this step
    pub roles: Vec<String>,
}

/// Roles the SOP may name (ladder rungs, who acts): the account roles, and the Karo Ops, who is
/// reached by phone, not through an account.
pub fn known_role(name: &str) -> bool {
    name == "karo_ops" || super::role::Role::parse(name).is_some()
}

/// The states whose step the guide describes, with their TOML key.
pub const GUIDED_STATES: [State; 5] =
    [State::New, State::Verified, State::Dispatched, State::Acknowledged, State::InProgress];

/// A loaded, checked SOP. Its `version` is recorded on every case it governs.
#[derive(Debug, Clone, PartialEq)]
pub struct Sop {
    pub version: String,
    pub timezone: String,
    pub offset: UtcOffset,
    pub escalation_ladder: Vec<String>,
    pub reject_reasons: Vec<String>,
    pub categories: Vec<CategorySop>,
    pub prank: PrankPolicy,
    /// the duty shifts (`[[shifts]]`, optional: `recap::default_shifts` when none)
    pub shifts: Vec<super::recap::Shift>,
}

/// Why an SOP text was refused: the field at fault and, when it can be found, its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct SopError {
    /// a dotted path: `crime.verify.emergency`, `escalation_ladder`, `feedback.guide.new`
    pub field: String,
    pub line: Option<usize>,
    pub message: String,
}

impl SopError {
    fn toml(e: toml::de::Error, text: &str) -> SopError {
        let line = e.span().map(|r| line_of(text, r.start));
        let message = e.message().trim().to_owned();
        // toml names a field between backticks (unknown field `x`, missing field `y`)
        let field = message.split('`').nth(1).unwrap_or("").to_owned();
        SopError { field, line, message: format!("not valid SOP TOML: {message}") }
    }
}

/// The 1-based line of byte `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// The line where `field` (a dotted path, first part a category id or a top-level key) is written,
/// found by reading the text as a person would: the category's `id = ".."` line, then the first
/// line after it that sets the key (or opens its table).
fn locate(text: &str, field: &str) -> Option<usize> {
    let parts: Vec<&str> = field.split('.').collect();
    let lines: Vec<&str> = text.lines().collect();
    let is_cat = Category::parse(parts[0]).is_some();
    let start = if is_cat {
        lines.iter().position(|l| {
            let t = l.trim_start();
            t.starts_with("id") && t.contains(&format!("\"{}\"", parts[0]))
        })?
    } else {
        0
    };
    let keys: Vec<&str> = if is_cat { parts[1..].to_vec() } else { parts.clone() };
    let Some(first) = keys.first() else { return Some(start + 1) };
    let sets = |l: &str, k: &str| {
        let t = l.trim_start();
        t.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with('=') || r.starts_with('.'))
            || (t.starts_with('[') && (t.contains(&format!(".{k}")) || t.trim_start_matches('[').starts_with(k)))
    };
    let end = if is_cat {
        lines.iter().enumerate().skip(start + 1).find(|(_, l)| l.trim() == "[[category]]").map(|(i, _)| i)
    } else {
        None
    };
    let range = start..end.unwrap_or(lines.len());
    let mut at = range.clone().find(|i| sets(lines[*i], first))?;
    // the next parts: a table header further down (`[category.guide.new]`), a key below it, or a
    // key inside an inline table on the same line (`verify = { normal = .. }`)
    for k in &keys[1..] {
        let hit = |l: &str| {
            l.contains(&format!(".{k}]"))
                || l.contains(&format!(" {k} ="))
                || l.trim_start().starts_with(&format!("{k} "))
        };
        if let Some(i) = (at..range.end).find(|i| hit(lines[*i])) {
            at = i;
        }
    }
    Some(at + 1)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSop {
    version: String,
    timezone: String,
    escalation_ladder: Vec<String>,
    reject_reasons: Vec<String>,
    category: Vec<RawCategory>,
    prank: RawPrank,
    #[serde(default)]
    shifts: Vec<RawShift>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShift {
    name: String,
    /// WIB start, `HH:MM`
    start: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: String,
    label: String,
    default_unit_kind: String,
    priorities: Vec<String>,
    verify: BTreeMap<String, String>,
    dispatch: BTreeMap<String, String>,
    acknowledge: BTreeMap<String, String>,
    first_action: BTreeMap<String, String>,
    resolve: BTreeMap<String, String>,
    notify_reporter_on: Vec<String>,
    #[serde(default)]
    guide: BTreeMap<String, RawGuide>,
    #[serde(default)]
    intake: Vec<String>,
    #[serde(default)]
    intake_en: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    instruction: String,
    #[serde(default)]
    instruction_en: String,
    #[serde(default)]
    checklist: Vec<String>,
    #[serde(default)]
    checklist_en: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrank {
    repeat_window: String,
    block_after: u32,
    block_review_by: String,
    duplicate_window: String,
    // optional: the reference draft does not set these; defaults in `PrankPolicy` docs
    block_for: Option<String>,
    burst_window: Option<String>,
    burst_count: Option<u32>,
    similarity: Option<f64>,
    mark_at: Option<u32>,
    weights: Option<RawWeights>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeights {
    confirmed_prank: Option<u32>,
    burst: Option<u32>,
    duplicate_same_reporter: Option<u32>,
    duplicate_similar_text: Option<u32>,
    outside_territory: Option<u32>,
    no_coordinates: Option<u32>,
    empty_description: Option<u32>,
    blocked: Option<u32>,
}

/// An SOP text that is not yet located: the field and what is wrong (the line is found later).
struct Bad(String, String);

fn invalid(field: impl Into<String>, msg: impl Into<String>) -> Bad {
    Bad(field.into(), msg.into())
}

fn duration(what: &str, s: &str) -> Result<u64, Bad> {
    parse_duration(s)
        .ok_or_else(|| invalid(what, format!("{what}: {s:?} is not a duration like 15m, 2h or 3d (above zero)")))
}

/// Pairs Indonesian texts with their English renderings (absent: empty).
fn texts(field: &str, id: Vec<String>, en: Vec<String>) -> Result<Vec<Text>, Bad> {
    if !en.is_empty() && en.len() != id.len() {
        return Err(invalid(
            format!("{field}_en"),
            format!("{field}_en has {} entries but {field} has {}: one English text per item", en.len(), id.len()),
        ));
    }
    if let Some(i) = id.iter().position(|t| t.trim().is_empty()) {
        return Err(invalid(field, format!("{field}: item {} is empty", i + 1)));
    }
    Ok(id.into_iter().enumerate().map(|(i, id)| Text { id, en: en.get(i).cloned().unwrap_or_default() }).collect())
}

impl Sop {
    /// Parses and checks an SOP text; a refusal names the field and, where found, its line.
    pub fn parse(text: &str) -> Result<Sop, SopError> {
        let raw: RawSop = toml::from_str(text).map_err(|e| SopError::toml(e, text))?;
        Self::check(raw).map_err(|Bad(field, message)| SopError { line: locate(text, &field), field, message })
    }

    fn check(raw: RawSop) -> Result<Sop, Bad> {
        if raw.version.trim().is_empty() {
            return Err(invalid("version", "version must not be empty"));
        }
        let offset = zone_offset(&raw.timezone).ok_or_else(|| {
            invalid(
                "timezone",
                format!(
                    "timezone {:?} is not an Indonesian zone (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)",
                    raw.timezone
                ),
            )
        })?;
        if raw.escalation_ladder.len() < 2 {
            return Err(invalid("escalation_ladder", "escalation_ladder needs at least two rungs"));
        }
        if let Some(r) = raw.escalation_ladder.iter().find(|r| !known_role(r)) {
            return Err(invalid("escalation_ladder", format!("escalation_ladder: unknown role {r:?}")));
        }
        if raw.reject_reasons.is_empty() {
            return Err(invalid("reject_reasons", "reject_reasons must not be empty"));
        }
        let guided = raw.category.iter().any(|c| !c.guide.is_empty());
        let mut categories = Vec::new();
        for c in raw.category {
            let id =
                Category::parse(&c.id).ok_or_else(|| invalid("category.id", format!("unknown category {:?}", c.id)))?;
            if categories.iter().any(|x: &CategorySop| x.id == id) {
                return Err(invalid(c.id.clone(), format!("category {:?} appears twice", c.id)));
            }
            let priorities = c
                .priorities
                .iter()
                .map(|p| {
                    Priority::parse(p).ok_or_else(|| {
                        invalid(format!("{}.priorities", c.id), format!("{}: unknown priority {p:?}", c.id))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if priorities.is_empty() {
                return Err(invalid(format!("{}.priorities", c.id), format!("{}: no priorities", c.id)));
            }
            let mut deadlines = BTreeMap::new();
            for (step, table) in [
                (Step::Verify, &c.verify),
                (Step::Dispatch, &c.dispatch),
                (Step::Acknowledge, &c.acknowledge),
                (Step::FirstAction, &c.first_action),
                (Step::Resolve, &c.resolve),
            ] {
                for key in table.keys() {
                    if !c.priorities.contains(key) {
                        return Err(invalid(
                            format!("{}.{}.{key}", c.id, step.as_str()),
                            format!("{}.{}: {key:?} is not one of its priorities", c.id, step.as_str()),
                        ));
                    }
                }
                for p in &priorities {
                    let field = format!("{}.{}.{}", c.id, step.as_str(), p.as_str());
                    let s = table.get(p.as_str()).ok_or_else(|| {
                        invalid(
                            format!("{}.{}", c.id, step.as_str()),
                            format!("{}.{} has no deadline for priority {}", c.id, step.as_str(), p.as_str()),
                        )
                    })?;
                    let d = duration(&field, s)?;
                    // the rungs fall at 1, 2, 3.. times the deadline: a positive deadline that does not
                    // overflow keeps them strictly increasing
                    if d.checked_mul(raw.escalation_ladder.len() as u64).is_none() {
                        return Err(invalid(field, format!("{s:?} is too long for the escalation ladder")));
                    }
                    deadlines.insert((step, *p), d);
                }
            }
            let notify_reporter_on = c
                .notify_reporter_on
                .iter()
                .map(|s| {
                    State::parse(s).ok_or_else(|| {
                        invalid(
                            format!("{}.notify_reporter_on", c.id),
                            format!("{}: unknown state {s:?} in notify_reporter_on", c.id),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut guide = BTreeMap::new();
            for (key, g) in c.guide {
                let field = format!("{}.guide.{key}", c.id);
                let state = State::parse(&key).filter(|s| GUIDED_STATES.contains(s)).ok_or_else(|| {
                    invalid(
                        field.clone(),
                        format!("{field}: {key:?} is not a state with a step (new, verified, dispatched, acknowledged, in_progress)"),
                    )
                })?;
                if g.instruction.trim().is_empty() {
                    return Err(invalid(format!("{field}.instruction"), format!("{field}.instruction is empty")));
                }
                if let Some(r) = g.roles.iter().find(|r| !known_role(r)) {
                    return Err(invalid(format!("{field}.roles"), format!("{field}.roles: unknown role {r:?}")));
                }
                let checklist = texts(&format!("{field}.checklist"), g.checklist, g.checklist_en)?;
                let instruction = Text { id: g.instruction, en: g.instruction_en };
                guide.insert(state, Guide { instruction, checklist, roles: g.roles });
            }
            if guided {
                if let Some(s) = GUIDED_STATES.iter().find(|s| !guide.contains_key(s)) {
                    return Err(invalid(
                        format!("{}.guide", c.id),
                        format!(
                            "{}: the guide has no step for state {} (every category needs every step)",
                            c.id,
                            s.as_str()
                        ),
                    ));
                }
            }
            let intake = texts(&format!("{}.intake", c.id), c.intake, c.intake_en)?;
            categories.push(CategorySop {
                id,
                label: c.label,
                default_unit_kind: c.default_unit_kind,
                priorities,
                deadlines,
                notify_reporter_on,
                guide,
                intake,
            });
        }
        for id in Category::ALL {
            if !categories.iter().any(|c| c.id == id) {
                return Err(invalid("category", format!("category {:?} is missing", id.as_str())));
            }
        }
        let rp = raw.prank;
        let d = Weights::default();
        let weights = match rp.weights {
            None => d,
            Some(w) => Weights {
                confirmed_prank: w.confirmed_prank.unwrap_or(d.confirmed_prank),
                burst: w.burst.unwrap_or(d.burst),
                duplicate_same_reporter: w.duplicate_same_reporter.unwrap_or(d.duplicate_same_reporter),
                duplicate_similar_text: w.duplicate_similar_text.unwrap_or(d.duplicate_similar_text),
                outside_territory: w.outside_territory.unwrap_or(d.outside_territory),
                no_coordinates: w.no_coordinates.unwrap_or(d.no_coordinates),
                empty_description: w.empty_description.unwrap_or(d.empty_description),
                blocked: w.blocked.unwrap_or(d.blocked),
            },
        };
        let similarity = rp.similarity.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&similarity) {
            return Err(invalid(
                "prank.similarity",
                format!("prank.similarity must be between 0 and 1, got {similarity}"),
            ));
        }
        if rp.block_after == 0 {
            return Err(invalid("prank.block_after", "prank.block_after must be at least 1"));
        }
        let prank = PrankPolicy {
            repeat_window_ms: duration("prank.repeat_window", &rp.repeat_window)?,
            block_after: rp.block_after,
            block_review_by: rp.block_review_by,
            duplicate_window_ms: duration("prank.duplicate_window", &rp.duplicate_window)?,
            block_for_ms: duration("prank.block_for", rp.block_for.as_deref().unwrap_or("30d"))?,
            burst_window_ms: duration("prank.burst_window", rp.burst_window.as_deref().unwrap_or("10m"))?,
            burst_count: rp.burst_count.unwrap_or(3).max(2),
            similarity,
            mark_at: rp.mark_at.unwrap_or(40),
            weights,
        };
        let mut shifts = Vec::new();
        for sh in raw.shifts {
            let start_min = sh
                .start
                .split_once(':')
                .and_then(|(h, m)| Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
                .filter(|(h, m)| *h < 24 && *m < 60 && sh.start.len() == 5)
                .map(|(h, m)| h * 60 + m)
                .ok_or_else(|| {
                    invalid(
                        "shifts.start",
                        format!("shift {:?}: start {:?} is not a time like 07:00", sh.name, sh.start),
                    )
                })?;
            if sh.name.trim().is_empty() || shifts.iter().any(|x: &super::recap::Shift| x.name == sh.name) {
                return Err(invalid(
                    "shifts.name",
                    format!("shift names must be distinct and not empty: {:?}", sh.name),
                ));
            }
            shifts.push(super::recap::Shift { name: sh.name, start_min });
        }
        if shifts.is_empty() {
            shifts = super::recap::default_shifts();
        }
        Ok(Sop {
            shifts,
            version: raw.version,
            timezone: raw.timezone,
            offset,
            escalation_ladder: raw.escalation_ladder,
            reject_reasons: raw.reject_reasons,
            categories,
            prank,
        })
    }

    pub fn category(&self, id: Category) -> &CategorySop {
        // `parse` guarantees every category is present
        self.categories.iter().find(|c| c.id == id).expect("every category is in a parsed SOP")
    }

    /// The priority a new report gets before a person looks at it: the lowest the category has.
    pub fn default_priority(&self, id: Category) -> Priority {
        *self.category(id).priorities.last().expect("a parsed category has priorities")
    }

    pub fn allows_priority(&self, id: Category, p: Priority) -> bool {
        self.category(id).priorities.contains(&p)
    }

    pub fn deadline_ms(&self, id: Category, step: Step, p: Priority) -> Option<u64> {
        self.category(id).deadlines.get(&(step, p)).copied()
    }

    /// The due time of escalation rung `rung` (1-based) of a step whose clock started at `since`:
    /// rung k falls due at k times the step's deadline. `None` past the top of the ladder.
    pub fn rung_due(&self, id: Category, step: Step, p: Priority, since: Millis, rung: u8) -> Option<Millis> {
        if rung == 0 || usize::from(rung) >= self.escalation_ladder.len() {
            return None;
        }
        let d = self.deadline_ms(id, step, p)?;
        Some(since.plus(d.saturating_mul(u64::from(rung))))
    }

    pub fn ladder_role(&self, rung: u8) -> &str {
        let i = usize::from(rung).min(self.escalation_ladder.len() - 1);
        &self.escalation_ladder[i]
    }

    /// The guidance for a case of category `id` in `state`, if this SOP version writes one.
    pub fn guide(&self, id: Category, state: State) -> Option<&Guide> {
        self.category(id).guide.get(&state)
    }

    /// Whether this version carries guidance (a version without shows the deadlines only).
    pub fn has_guide(&self) -> bool {
        self.categories.iter().any(|c| !c.guide.is_empty())
    }
}

// ----- the life of an SOP version -------------------------------------------------------------

/// Where a version stands. `draft → legal_review → approved → ratified`; a ratified version is
/// `in_force` from its `effective_from` until a later one takes over (`superseded`): those two
/// are derived from the schedule (`in_force`), never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Draft,
    LegalReview,
    /// Bid Hukum approved the legal material; the ratifier may ratify it
    Approved,
    Ratified,
    InForce,
    Superseded,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::LegalReview => "legal_review",
            Self::Approved => "approved",
            Self::Ratified => "ratified",
            Self::InForce => "in_force",
            Self::Superseded => "superseded",
        }
    }
}

/// A move in a version's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifeAction {
    /// the drafter sends the draft to Bid Hukum
    Submit,
    /// Bid Hukum sends it back to the drafter, with a comment
    Return,
    /// Bid Hukum approves the legal material
    Approve,
    /// the Kapolda's delegate ratifies it, from a date
    Ratify,
}

impl LifeAction {
    pub const ALL: [LifeAction; 4] = [Self::Submit, Self::Return, Self::Approve, Self::Ratify];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Return => "return",
            Self::Approve => "approve",
            Self::Ratify => "ratify",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Who asks for a move: their role and whether the account is marked as a ratifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mover {
    pub role: super::role::Role,
    pub ratifier: bool,
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifeError {
    #[error("role {} may not {} an SOP version", .0.as_str(), .1.as_str())]
    RoleMayNot(super::role::Role, LifeAction),
    #[error("only a leader marked as ratifier may ratify")]
    NotRatifier,
    #[error("a version must pass legal review (Bid Hukum approves it) before it is ratified")]
    NeedsLegalReview,
    #[error("a version in stage {} cannot be {}", .0.as_str(), .1.as_str())]
    WrongStage(Stage, LifeAction),
    #[error("returning a version needs a comment saying what to correct")]
    CommentRequired,
}

/// Who may draft at the hub: the head of shift and leaders.
pub fn may_draft(role: super::role::Role) -> bool {
    role.may(super::role::Action::DraftSop)
}

/// The pure life-cycle rule: the stage after `action` by `who` on a version in `stage`.
pub fn next_stage(stage: Stage, action: LifeAction, who: Mover, comment: &str) -> Result<Stage, LifeError> {
    use super::role::Action;
    use LifeAction as A;
    let role_ok = match action {
        A::Submit => who.role.may(Action::DraftSop),
        A::Return | A::Approve => who.role.may(Action::ReviewSop),
        A::Ratify => who.role.may(Action::RatifySop),
    };
    if !role_ok {
        return Err(LifeError::RoleMayNot(who.role, action));
    }
    if action == A::Ratify && !who.ratifier {
        return Err(LifeError::NotRatifier);
    }
    if action == A::Return && comment.trim().is_empty() {
        return Err(LifeError::CommentRequired);
    }
    match (stage, action) {
        (Stage::Draft, A::Submit) => Ok(Stage::LegalReview),
        (Stage::LegalReview, A::Return) => Ok(Stage::Draft),
        (Stage::LegalReview, A::Approve) => Ok(Stage::Approved),
        (Stage::Approved, A::Ratify) => Ok(Stage::Ratified),
        (Stage::Draft | Stage::LegalReview, A::Ratify) => Err(LifeError::NeedsLegalReview),
        (s, a) => Err(LifeError::WrongStage(s, a)),
    }
}

/// One ratified version as the schedule sees it: its serial (the hub numbers ratifications
/// 1, 2, ..; a locally loaded file is 0) and the moment it takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub serial: u64,
    pub effective_from: Millis,
}

/// Which slot is in force at `now`: the highest serial whose date has come. `None` when none has.
pub fn in_force(slots: &[Slot], now: Millis) -> Option<usize> {
    slots.iter().enumerate().filter(|(_, s)| s.effective_from <= now).max_by_key(|(_, s)| s.serial).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const REFERENCE: &str = include_str!("../../data/sop-reference.toml");

    #[test]
    fn reference_sop_parses() {
        let sop = Sop::parse(REFERENCE).unwrap();
        assert_eq!(sop.version, "draft-2026-12");
        assert_eq!(sop.offset, crate::model::time::WIB);
        assert_eq!(sop.deadline_ms(Category::Crime, Step::Verify, Priority::Emergency), Some(120_000));
        assert_eq!(sop.deadline_ms(Category::Information, Step::Resolve, Priority::Normal), Some(86_400_000));
        assert_eq!(sop.deadline_ms(Category::Information, Step::Resolve, Priority::High), None);
        assert_eq!(sop.default_priority(Category::Crime), Priority::Normal);
        assert_eq!(sop.category(Category::Crime).notify_reporter_on.len(), 4);
        assert_eq!(sop.prank.block_after, 3);
        assert_eq!(sop.prank.block_for_ms, 30 * 86_400_000, "default when the SOP does not say");
        assert_eq!(sop.prank.weights, Weights::default());
        let tuned =
            REFERENCE.replace("block_after = 3", "block_after = 3\nblock_for = \"2s\"\nweights = { burst = 7 }");
        let tuned = Sop::parse(&tuned).unwrap();
        assert_eq!((tuned.prank.block_for_ms, tuned.prank.weights.burst, tuned.prank.weights.blocked), (2000, 7, 30));
    }

    #[test]
    fn escalation_rungs_fall_at_multiples_of_the_deadline() {
        let sop = Sop::parse(REFERENCE).unwrap();
        let since = Millis(1_000_000);
        let due = |rung| sop.rung_due(Category::Crime, Step::Verify, Priority::Emergency, since, rung);
        assert_eq!(due(0), None);
        assert_eq!(due(1), Some(Millis(1_000_000 + 120_000)));
        assert_eq!(due(2), Some(Millis(1_000_000 + 240_000)));
        assert_eq!(due(3), Some(Millis(1_000_000 + 360_000)));
        assert_eq!(due(4), None, "the ladder has four rungs: operator is rung 0");
        assert_eq!(sop.ladder_role(1), "pa_siaga");
        assert_eq!(sop.ladder_role(9), "karo_ops");
    }

    #[test]
    fn broken_sops_are_refused_with_a_reason() {
        let cases: [(&str, &str, &str); 6] = [
            ("version = \"draft-2026-12\"", "version = \"\"", "version must not be empty"),
            ("timezone = \"Asia/Jakarta\"", "timezone = \"Europe/Paris\"", "not an Indonesian zone"),
            ("verify       = { emergency = \"2m\",", "verify       = { emergency = \"2x\",", "not a duration"),
            ("verify       = { normal = \"1h\" }", "verify       = { }", "no deadline for priority normal"),
            ("block_after = 3", "block_after = 3\nsurprise = 1", "unknown field"),
            ("id = \"appreciation\"", "id = \"praise\"", "unknown category"),
        ];
        for (from, to, want) in cases {
            let text = REFERENCE.replacen(from, to, 1);
            assert_ne!(text, REFERENCE, "pattern {from:?} not found");
            let err = Sop::parse(&text).unwrap_err().to_string();
            assert!(err.contains(want), "{from:?} -> {err}");
        }
    }

    #[test]
    fn the_reference_guides_every_step_of_every_category() {
        let sop = Sop::parse(REFERENCE).unwrap();
        assert!(sop.has_guide());
        for c in Category::ALL {
            for st in GUIDED_STATES {
                let g = sop.guide(c, st).unwrap_or_else(|| panic!("{c:?} {st:?}"));
                assert!(!g.instruction.id.is_empty() && !g.instruction.en.is_empty());
                assert!(!g.checklist.is_empty() && g.checklist.iter().all(|t| !t.en.is_empty()));
            }
            assert!(!sop.category(c).intake.is_empty());
        }
        let verify = sop.guide(Category::Crime, State::New).unwrap();
        let items: Vec<&str> = verify.checklist.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(items, ["hubungi balik pelapor", "pastikan lokasi", "tanyakan korban luka"]);
        assert_eq!(sop.guide(Category::Crime, State::Closed), None);
    }

    #[test]
    fn an_sop_without_guidance_still_loads() {
        let old: String = REFERENCE
            .lines()
            .scan(false, |in_guide, l| {
                if l.starts_with("[category.guide.") {
                    *in_guide = true;
                } else if l.starts_with('[') {
                    *in_guide = false;
                }
                Some(if !*in_guide && !l.starts_with("intake") { format!("{l}\n") } else { String::new() })
            })
            .collect();
        let sop = Sop::parse(&old).unwrap();
        assert!(!sop.has_guide());
        assert_eq!(sop.deadline_ms(Category::Crime, Step::Verify, Priority::Emergency), Some(120_000));
    }

    /// Bad input is refused with the field and the line a person must correct.
    #[test]
    fn refusals_name_the_line_and_the_field() {
        let line_of_text = |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let cases: [(&str, &str, &str, &str); 6] = [
            // (from, to, field, line-marker in the changed text)
            (
                "dispatch     = { emergency = \"3m\",",
                "dispatch     = { emergency = \"0m\",",
                "crime.dispatch.emergency",
                "emergency = \"0m\"",
            ),
            (
                "verify       = { high = \"1h\", normal = \"4h\" }",
                "verify       = { high = \"1h\", normal = \"-4h\" }",
                "feedback.verify.normal",
                "normal = \"-4h\"",
            ),
            ("\"ka_siaga\", \"karo_ops\"]", "\"ka_siaga\", \"kapolri\"]", "escalation_ladder", "escalation_ladder ="),
            (
                "[category.guide.acknowledged]\ninstruction    = \"Siapkan",
                "[category.guide.acknowledgedx]\ninstruction    = \"Siapkan",
                "information.guide.acknowledgedx",
                "acknowledgedx]",
            ),
            (
                "roles          = [\"unit_officer\"]\n\n[[category]]\nid = \"feedback\"",
                "roles          = [\"unit_offcer\"]\n\n[[category]]\nid = \"feedback\"",
                "information.guide.in_progress.roles",
                "unit_offcer",
            ),
            ("block_after = 3", "block_after = 0", "prank.block_after", "block_after = 0"),
        ];
        for (from, to, field, marker) in cases {
            let text = REFERENCE.replacen(from, to, 1);
            assert_ne!(text, REFERENCE, "pattern {from:?} not found");
            let e = Sop::parse(&text).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert_eq!(e.line, Some(line_of_text(&text, marker)), "{field}: {e}");
        }
        // a step missing from one category's guide
        let text = REFERENCE.replacen("[category.guide.dispatched]", "[category.guide.dispatchedx]", 1);
        let e = Sop::parse(&text).unwrap_err();
        assert_eq!(e.field, "crime.guide.dispatchedx");
        let text = REFERENCE.replacen("[category.guide.dispatched]\n", "", 1).replacen(
            "instruction    = \"Satuan penerima",
            "# gone\ninstruction_x    = \"Satuan penerima",
            1,
        );
        let e = Sop::parse(&text).unwrap_err();
        assert!(e.line.is_some(), "{e}");
        // malformed TOML: the parser's line
        let text = REFERENCE.replacen("label = \"Informasi\"", "label = \"Informasi", 1);
        let e = Sop::parse(&text).unwrap_err();
        assert_eq!(e.line, Some(line_of_text(&text, "label = \"Informasi")), "{e}");
        // a category whose guide lacks one step, the others complete
        let mut cut = String::new();
        let mut skip = false;
        for l in REFERENCE.lines() {
            if l == "[category.guide.in_progress]" && !cut.contains("id = \"information\"") {
                skip = true;
            } else if l.is_empty() || l.starts_with('[') {
                skip = false;
            }
            if !skip {
                cut.push_str(l);
                cut.push('\n');
            }
        }
        let e = Sop::parse(&cut).unwrap_err();
        assert_eq!(e.field, "crime.guide");
        assert!(e.message.contains("in_progress"), "{e}");
        assert_eq!(e.line, Some(line_of_text(&cut, "[category.guide.new]")), "{e}");
    }

    #[test]
    fn the_life_of_a_version() {
        use super::super::role::Role;
        let m = |role, ratifier| Mover { role, ratifier };
        let (drafter, legal, kapolda) = (m(Role::KaSiaga, false), m(Role::Legal, false), m(Role::Leader, true));
        use LifeAction::*;
        use Stage::*;
        type Row<'a> = (Stage, LifeAction, Mover, &'a str, Result<Stage, LifeError>);
        let table: [Row; 11] = [
            (Draft, Submit, drafter, "", Ok(LegalReview)),
            (Draft, Submit, m(Role::Operator, false), "", Err(LifeError::RoleMayNot(Role::Operator, Submit))),
            (LegalReview, Return, legal, "pasal 3 kurang jelas", Ok(Draft)),
            (LegalReview, Return, legal, " ", Err(LifeError::CommentRequired)),
            (LegalReview, Approve, legal, "", Ok(Approved)),
            (LegalReview, Approve, drafter, "", Err(LifeError::RoleMayNot(Role::KaSiaga, Approve))),
            (Approved, Ratify, kapolda, "", Ok(Ratified)),
            (Approved, Ratify, legal, "", Err(LifeError::RoleMayNot(Role::Legal, Ratify))),
            (Approved, Ratify, m(Role::Leader, false), "", Err(LifeError::NotRatifier)),
            (LegalReview, Ratify, kapolda, "", Err(LifeError::NeedsLegalReview)),
            (Ratified, Submit, drafter, "", Err(LifeError::WrongStage(Ratified, Submit))),
        ];
        for (stage, action, who, comment, want) in table {
            assert_eq!(next_stage(stage, action, who, comment), want, "{stage:?} {action:?} {who:?}");
        }
    }

    #[test]
    fn the_newest_version_whose_date_has_come_is_in_force() {
        let slots = [
            Slot { serial: 0, effective_from: Millis(0) },
            Slot { serial: 2, effective_from: Millis(200) },
            Slot { serial: 1, effective_from: Millis(100) },
        ];
        assert_eq!(in_force(&slots, Millis(50)), Some(0));
        assert_eq!(in_force(&slots, Millis(100)), Some(2));
        assert_eq!(in_force(&slots, Millis(250)), Some(1));
        assert_eq!(in_force(&slots[1..], Millis(50)), None);
    }
}
