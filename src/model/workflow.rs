//! The case workflow: a closed set of states and a pure transition function.

use super::ids::UnitCode;
use super::sop::Priority;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    New,
    Verified,
    Rejected,
    Dispatched,
    Acknowledged,
    InProgress,
    Resolved,
    Closed,
}

impl State {
    pub const ALL: [State; 8] = [
        Self::New,
        Self::Verified,
        Self::Rejected,
        Self::Dispatched,
        Self::Acknowledged,
        Self::InProgress,
        Self::Resolved,
        Self::Closed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
            Self::Dispatched => "dispatched",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The label the UI shows, in Bahasa Indonesia (from the reference SOP).
    pub fn label_id(self) -> &'static str {
        match self {
            Self::New => "Baru",
            Self::Verified => "Terverifikasi",
            Self::Rejected => "Ditolak",
            Self::Dispatched => "Didisposisi",
            Self::Acknowledged => "Diterima Satker",
            Self::InProgress => "Ditindaklanjuti",
            Self::Resolved => "Selesai",
            Self::Closed => "Ditutup",
        }
    }
    /// Still needs someone to act: the queue shows open cases.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Rejected | Self::Closed)
    }
    pub fn index(self) -> u8 {
        self as u8
    }
}

/// What a person asks the system to do to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Verify {
        method: String,
        priority: Option<Priority>,
    },
    Reject {
        reason: String,
        note: String,
    },
    /// reject as a duplicate of `original`, keeping the link (and both reporters)
    LinkDuplicate {
        original: super::ids::Ticket,
        note: String,
    },
    Dispatch {
        unit: UnitCode,
        note: String,
    },
    Acknowledge {
        note: String,
    },
    Progress {
        note: String,
    },
    Resolve {
        summary: String,
    },
    Close {
        note: String,
    },
    Reopen {
        reason: String,
    },
    Note {
        text: String,
        public: bool,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Verify { .. } => "verify",
            Self::Reject { .. } | Self::LinkDuplicate { .. } => "reject",
            Self::Dispatch { .. } => "dispatch",
            Self::Acknowledge { .. } => "acknowledge",
            Self::Progress { .. } => "progress",
            Self::Resolve { .. } => "resolve",
            Self::Close { .. } => "close",
            Self::Reopen { .. } => "reopen",
            Self::Note { .. } => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot be {action}: {hint}")]
pub struct TransitionError {
    pub from: &'static str,
    pub action: &'static str,
    pub hint: &'static str,
}

/// The state after `action` (a command name) on a case in `from`, or why not.
pub fn transition(from: State, action: &'static str) -> Result<State, TransitionError> {
    use State::*;
    let to = match (action, from) {
        ("verify", New) => Verified,
        // late verification of an emergency dispatched before it was verified
        ("verify", s @ (Dispatched | Acknowledged | InProgress)) => s,
        ("reject", New) => Rejected,
        // from New only for an emergency crime report (`Case::decide` checks); re-dispatch
        // (redisposisi) when the first unit is not the right one
        ("dispatch", New | Verified | Dispatched | Acknowledged) => Dispatched,
        ("acknowledge", Dispatched) => Acknowledged,
        ("progress", Acknowledged | InProgress) => InProgress,
        ("resolve", InProgress) => Resolved,
        ("close", Resolved) => Closed,
        ("reopen", Resolved) => InProgress,
        ("note", s) => s,
        _ => return Err(TransitionError { from: from.as_str(), action: past_tense(action), hint: hint(action) }),
    };
    Ok(to)
}

fn past_tense(action: &'static str) -> &'static str {
    match action {
        "verify" => "verified",
        "reject" => "rejected",
        "dispatch" => "dispatched",
        "acknowledge" => "acknowledged",
        "progress" => "given progress",
        "resolve" => "resolved",
        "close" => "closed",
        "reopen" => "reopened",
        _ => "changed",
    }
}

fn hint(action: &'static str) -> &'static str {
    match action {
        "verify" | "reject" => "only new reports are verified or rejected",
        "dispatch" => "verify the report first",
        "acknowledge" => "only a dispatched case is acknowledged by its unit",
        "progress" => "the unit acknowledges the case first",
        "resolve" => "record the follow-up (progress) first",
        "close" => "only a resolved case is closed",
        "reopen" => "only a resolved case is reopened",
        _ => "reload the case and check its status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;

    #[test]
    fn transition_table() {
        let actions = ["verify", "reject", "dispatch", "acknowledge", "progress", "resolve", "close", "reopen", "note"];
        // (from, action) -> Some(to) for every allowed pair; everything else is refused
        let allowed = [
            (New, "verify", Verified),
            (New, "reject", Rejected),
            (Dispatched, "verify", Dispatched),
            (Acknowledged, "verify", Acknowledged),
            (InProgress, "verify", InProgress),
            (New, "dispatch", Dispatched),
            (Verified, "dispatch", Dispatched),
            (Dispatched, "dispatch", Dispatched),
            (Acknowledged, "dispatch", Dispatched),
            (Dispatched, "acknowledge", Acknowledged),
            (Acknowledged, "progress", InProgress),
            (InProgress, "progress", InProgress),
            (InProgress, "resolve", Resolved),
            (Resolved, "close", Closed),
            (Resolved, "reopen", InProgress),
        ];
        for from in State::ALL {
            for action in actions {
                let want = if action == "note" {
                    Some(from)
                } else {
                    allowed.iter().find(|(f, a, _)| *f == from && *a == action).map(|x| x.2)
                };
                assert_eq!(transition(from, action).ok(), want, "{from:?} --{action}-->");
            }
        }
    }

    #[test]
    fn refusals_explain_themselves() {
        let e = transition(Verified, "acknowledge").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a case that is verified cannot be acknowledged: only a dispatched case is acknowledged by its unit"
        );
        assert!(transition(Closed, "reopen").is_err());
        assert!(transition(Rejected, "verify").is_err());
    }
}
