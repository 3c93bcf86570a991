//! The case workflow: a closed set of states, a closed set of moves between them
//! ([`CaseAction`]) and a pure transition function.
//!
//! [`CaseAction`] is what happens to a case (the workflow's alphabet); `model::role::Action` is
//! what a role may do, which also covers things that are no move of a case (reading cases, taking
//! calls, managing users). They are kept apart so that `transition` matches exhaustively over the
//! moves alone; [`CaseAction::permission`] maps each move to the permission it needs. The string
//! form (`"verify"`, ...) exists only at the edge: the API's `allowed_actions` and messages.

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
        /// shown to the reporter on public tracking
        public: bool,
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
    /// The workflow move this command makes.
    pub fn action(&self) -> CaseAction {
        match self {
            Self::Verify { .. } => CaseAction::Verify,
            Self::Reject { .. } | Self::LinkDuplicate { .. } => CaseAction::Reject,
            Self::Dispatch { .. } => CaseAction::Dispatch,
            Self::Acknowledge { .. } => CaseAction::Acknowledge,
            Self::Progress { .. } => CaseAction::Progress,
            Self::Resolve { .. } => CaseAction::Resolve,
            Self::Close { .. } => CaseAction::Close,
            Self::Reopen { .. } => CaseAction::Reopen,
            Self::Note { .. } => CaseAction::Note,
        }
    }
    pub fn name(&self) -> &'static str {
        self.action().as_str()
    }
}

/// A move of a case through the workflow (a note moves nothing but is checked the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseAction {
    Verify,
    Reject,
    Dispatch,
    Acknowledge,
    Progress,
    Resolve,
    Close,
    Reopen,
    Note,
}

impl CaseAction {
    pub const ALL: [CaseAction; 9] = [
        Self::Verify,
        Self::Reject,
        Self::Dispatch,
        Self::Acknowledge,
        Self::Progress,
        Self::Resolve,
        Self::Close,
        Self::Reopen,
        Self::Note,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Dispatch => "dispatch",
            Self::Acknowledge => "acknowledge",
            Self::Progress => "progress",
            Self::Resolve => "resolve",
            Self::Close => "close",
            Self::Reopen => "reopen",
            Self::Note => "note",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
    /// The role permission this move needs.
    pub fn permission(self) -> super::role::Action {
        use super::role::Action as P;
        match self {
            Self::Verify => P::Verify,
            Self::Reject => P::Reject,
            Self::Dispatch => P::Dispatch,
            Self::Acknowledge => P::Acknowledge,
            Self::Progress => P::Progress,
            Self::Resolve => P::Resolve,
            Self::Close => P::Close,
            Self::Reopen => P::Reopen,
            Self::Note => P::Note,
        }
    }
    fn past_tense(self) -> &'static str {
        match self {
            Self::Verify => "verified",
            Self::Reject => "rejected",
            Self::Dispatch => "dispatched",
            Self::Acknowledge => "acknowledged",
            Self::Progress => "given progress",
            Self::Resolve => "resolved",
            Self::Close => "closed",
            Self::Reopen => "reopened",
            Self::Note => "changed",
        }
    }
    /// What to do instead, when the move is refused.
    fn hint(self) -> &'static str {
        match self {
            Self::Verify | Self::Reject => "only new reports are verified or rejected",
            Self::Dispatch => "verify the report first",
            Self::Acknowledge => "only a dispatched case is acknowledged by its unit",
            Self::Progress => "the unit acknowledges the case first",
            Self::Resolve => "record the follow-up (progress) first",
            Self::Close => "only a resolved case is closed",
            Self::Reopen => "only a resolved case is reopened",
            Self::Note => "reload the case and check its status",
        }
    }
}

impl std::fmt::Display for CaseAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot be {action}: {hint}")]
pub struct TransitionError {
    pub from: &'static str,
    pub action: &'static str,
    pub hint: &'static str,
}

/// The state after `action` on a case in `from`, or why not.
pub fn transition(from: State, action: CaseAction) -> Result<State, TransitionError> {
    use CaseAction as A;
    use State::*;
    let to = match (action, from) {
        (A::Verify, New) => Verified,
        // late verification of an emergency dispatched before it was verified
        (A::Verify, s @ (Dispatched | Acknowledged | InProgress)) => s,
        (A::Reject, New) => Rejected,
        // from New only for an emergency crime report (`Case::decide` checks); re-dispatch
        // (redisposisi) when the first unit is not the right one
        (A::Dispatch, New | Verified | Dispatched | Acknowledged) => Dispatched,
        (A::Acknowledge, Dispatched) => Acknowledged,
        (A::Progress, Acknowledged | InProgress) => InProgress,
        (A::Resolve, InProgress) => Resolved,
        (A::Close, Resolved) => Closed,
        (A::Reopen, Resolved) => InProgress,
        (A::Note, s) => s,
        (A::Verify | A::Reject | A::Dispatch | A::Acknowledge | A::Progress | A::Resolve | A::Close | A::Reopen, _) => {
            return Err(TransitionError { from: from.as_str(), action: action.past_tense(), hint: action.hint() })
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseAction as A;
    use State::*;

    #[test]
    fn transition_table() {
        // (from, action) -> Some(to) for every allowed pair; everything else is refused
        let allowed = [
            (New, A::Verify, Verified),
            (New, A::Reject, Rejected),
            (Dispatched, A::Verify, Dispatched),
            (Acknowledged, A::Verify, Acknowledged),
            (InProgress, A::Verify, InProgress),
            (New, A::Dispatch, Dispatched),
            (Verified, A::Dispatch, Dispatched),
            (Dispatched, A::Dispatch, Dispatched),
            (Acknowledged, A::Dispatch, Dispatched),
            (Dispatched, A::Acknowledge, Acknowledged),
            (Acknowledged, A::Progress, InProgress),
            (InProgress, A::Progress, InProgress),
            (InProgress, A::Resolve, Resolved),
            (Resolved, A::Close, Closed),
            (Resolved, A::Reopen, InProgress),
        ];
        for from in State::ALL {
            for action in CaseAction::ALL {
                let want = if action == A::Note {
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
        let e = transition(Verified, A::Acknowledge).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a case that is verified cannot be acknowledged: only a dispatched case is acknowledged by its unit"
        );
        assert!(transition(Closed, A::Reopen).is_err());
        assert!(transition(Rejected, A::Verify).is_err());
    }

    #[test]
    fn names_round_trip_and_map_to_permissions() {
        use crate::model::role::Role;
        for a in CaseAction::ALL {
            assert_eq!(CaseAction::parse(a.as_str()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
            // each move needs its own permission, held by at least one role
            assert!(Role::ALL.into_iter().any(|r| r.may(a.permission())), "{a}: nobody may");
        }
        assert_eq!(CaseAction::parse("link_duplicate"), None, "a UI action, not a workflow move");
        // ALL is every variant, in declaration order, so the table test above is exhaustive
        assert_eq!(CaseAction::ALL.len(), CaseAction::Note as usize + 1);
        assert!(CaseAction::ALL.iter().enumerate().all(|(i, a)| *a as usize == i));
    }
}
