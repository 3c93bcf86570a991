//! Roles and who may do what (DESIGN §8). Least privilege: each role gets only what its duty needs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// admin / operator on duty at the command post: takes calls, verifies, dispatches
    Operator,
    /// Perwira Siaga, the duty officer
    PaSiaga,
    /// Kepala Siaga, head of the duty shift
    KaSiaga,
    /// an officer of one unit; sees and acts only on that unit's cases
    UnitOfficer,
    /// leadership: reads everything, may dispatch, close and reopen
    Leader,
    /// Itwasda: reads everything, changes nothing
    Auditor,
    /// Bid Propam: reads everything, adds notes (complaints about officers)
    Propam,
    /// Bid TIK: users, nodes, updates; never case contents
    TikAdmin,
}

/// Everything a person can do that a role may or may not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ReadCases,
    TakeCall,
    Verify,
    Reject,
    Dispatch,
    Acknowledge,
    Progress,
    Resolve,
    Close,
    Reopen,
    Note,
    ManageUsers,
    /// confirm an account that tik_admin created or reset over the web (it reads case contents)
    ConfirmAccounts,
    VerifyIntegrity,
    ReadAccessLog,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Self::Operator,
        Self::PaSiaga,
        Self::KaSiaga,
        Self::UnitOfficer,
        Self::Leader,
        Self::Auditor,
        Self::Propam,
        Self::TikAdmin,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::PaSiaga => "pa_siaga",
            Self::KaSiaga => "ka_siaga",
            Self::UnitOfficer => "unit_officer",
            Self::Leader => "leader",
            Self::Auditor => "auditor",
            Self::Propam => "propam",
            Self::TikAdmin => "tik_admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Whether the role is tied to one unit.
    pub fn needs_unit(self) -> bool {
        self == Self::UnitOfficer
    }

    pub fn may(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match self {
            Operator | PaSiaga => {
                matches!(action, ReadCases | TakeCall | Verify | Reject | Dispatch | Close | Reopen | Note)
            }
            KaSiaga => matches!(
                action,
                ReadCases | TakeCall | Verify | Reject | Dispatch | Close | Reopen | Note | ConfirmAccounts
            ),
            UnitOfficer => matches!(action, ReadCases | Acknowledge | Progress | Resolve | Note),
            Leader => matches!(action, ReadCases | Dispatch | Close | Reopen | Note | ConfirmAccounts),
            Auditor => matches!(action, ReadCases | VerifyIntegrity | ReadAccessLog),
            Propam => matches!(action, ReadCases | Note),
            TikAdmin => matches!(action, ManageUsers | VerifyIntegrity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_privilege() {
        assert!(Role::Operator.may(Action::Dispatch));
        assert!(!Role::Operator.may(Action::Acknowledge));
        assert!(Role::UnitOfficer.may(Action::Resolve));
        assert!(!Role::UnitOfficer.may(Action::Verify));
        for a in [Action::TakeCall, Action::Verify, Action::Note, Action::Close, Action::ManageUsers] {
            assert!(!Role::Auditor.may(a), "auditor changes nothing: {a:?}");
        }
        assert!(!Role::TikAdmin.may(Action::ReadCases), "tik_admin sees no case contents");
        assert!(Role::TikAdmin.may(Action::ManageUsers));
        let confirms: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may(Action::ConfirmAccounts)).collect();
        assert_eq!(confirms, [Role::KaSiaga, Role::Leader], "only the head of shift and leaders confirm accounts");
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
