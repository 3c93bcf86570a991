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
}

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

#[derive(Debug, thiserror::Error)]
pub enum SopError {
    #[error("the SOP file is not valid TOML or has unknown keys: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("the SOP is incomplete: {0}")]
    Invalid(String),
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

fn invalid(msg: String) -> SopError {
    SopError::Invalid(msg)
}

fn duration(what: &str, s: &str) -> Result<u64, SopError> {
    parse_duration(s).ok_or_else(|| invalid(format!("{what}: {s:?} is not a duration like 15m, 2h or 3d")))
}

impl Sop {
    pub fn parse(text: &str) -> Result<Sop, SopError> {
        let raw: RawSop = toml::from_str(text)?;
        if raw.version.trim().is_empty() {
            return Err(invalid("version must not be empty".into()));
        }
        let offset = zone_offset(&raw.timezone).ok_or_else(|| {
            invalid(format!(
                "timezone {:?} is not an Indonesian zone (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)",
                raw.timezone
            ))
        })?;
        if raw.escalation_ladder.len() < 2 {
            return Err(invalid("escalation_ladder needs at least two rungs".into()));
        }
        if raw.reject_reasons.is_empty() {
            return Err(invalid("reject_reasons must not be empty".into()));
        }
        let mut categories = Vec::new();
        for c in raw.category {
            let id = Category::parse(&c.id).ok_or_else(|| invalid(format!("unknown category {:?}", c.id)))?;
            if categories.iter().any(|x: &CategorySop| x.id == id) {
                return Err(invalid(format!("category {:?} appears twice", c.id)));
            }
            let priorities = c
                .priorities
                .iter()
                .map(|p| Priority::parse(p).ok_or_else(|| invalid(format!("{}: unknown priority {p:?}", c.id))))
                .collect::<Result<Vec<_>, _>>()?;
            if priorities.is_empty() {
                return Err(invalid(format!("{}: no priorities", c.id)));
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
                        return Err(invalid(format!(
                            "{}.{}: {key:?} is not one of its priorities",
                            c.id,
                            step.as_str()
                        )));
                    }
                }
                for p in &priorities {
                    let s = table.get(p.as_str()).ok_or_else(|| {
                        invalid(format!("{}.{} has no deadline for priority {}", c.id, step.as_str(), p.as_str()))
                    })?;
                    deadlines.insert((step, *p), duration(&format!("{}.{}.{}", c.id, step.as_str(), p.as_str()), s)?);
                }
            }
            let notify_reporter_on = c
                .notify_reporter_on
                .iter()
                .map(|s| {
                    State::parse(s)
                        .ok_or_else(|| invalid(format!("{}: unknown state {s:?} in notify_reporter_on", c.id)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            categories.push(CategorySop {
                id,
                label: c.label,
                default_unit_kind: c.default_unit_kind,
                priorities,
                deadlines,
                notify_reporter_on,
            });
        }
        for id in Category::ALL {
            if !categories.iter().any(|c| c.id == id) {
                return Err(invalid(format!("category {:?} is missing", id.as_str())));
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
            return Err(invalid(format!("prank.similarity must be between 0 and 1, got {similarity}")));
        }
        if rp.block_after == 0 {
            return Err(invalid("prank.block_after must be at least 1".into()));
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
                    invalid(format!("shift {:?}: start {:?} is not a time like 07:00", sh.name, sh.start))
                })?;
            if sh.name.trim().is_empty() || shifts.iter().any(|x: &super::recap::Shift| x.name == sh.name) {
                return Err(invalid(format!("shift names must be distinct and not empty: {:?}", sh.name)));
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
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const REFERENCE: &str = include_str!("../../data/sop-reference.toml");

    #[test]
    fn reference_sop_parses() {
        let sop = Sop::parse(REFERENCE).unwrap();
        assert_eq!(sop.version, "draft-2022-12");
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
            ("version = \"draft-2022-12\"", "version = \"\"", "version must not be empty"),
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
}
