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
    /// Bid Hukum: reviews the legal material of SOP drafts (comments, returns, approves); never
    /// case contents
    Legal,
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
    /// block a reporter's number by hand
    BlockNumber,
    /// lift a block before its time (Propam reviews every block)
    LiftBlock,
    /// write and submit SOP drafts (at the hub)
    DraftSop,
    /// review an SOP draft's legal material: comment, return, approve (Bid Hukum)
    ReviewSop,
    /// ratify an approved SOP version (a leader whose account is marked as ratifier)
    RatifySop,
    /// the recaps (alat ukur): SOP compliance figures per period
    ReadRecaps,
    /// the recaps' figures per duty officer
    ReadOfficerRecaps,
    /// add the handover note to a shift's recap snapshot
    NoteHandover,
    /// Latihan: start, pause, resume and abort a drill at this post
    RunDrill,
    /// Latihan: upload a drill scenario
    WriteScenario,
    /// Latihan: the drills' scorecards and their history (per post, per officer)
    ReadDrills,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Self::Operator,
        Self::PaSiaga,
        Self::KaSiaga,
        Self::UnitOfficer,
        Self::Leader,
        Self::Auditor,
        Self::Propam,
        Self::TikAdmin,
        Self::Legal,
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
            Self::Legal => "legal",
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
            Operator => matches!(action, ReadCases | TakeCall | Verify | Reject | Dispatch | Close | Reopen | Note),
            PaSiaga => matches!(
                action,
                ReadCases
                    | TakeCall
                    | Verify
                    | Reject
                    | Dispatch
                    | Close
                    | Reopen
                    | Note
                    | BlockNumber
                    | ReadRecaps
                    | RunDrill
                    | ReadDrills
            ),
            KaSiaga => matches!(
                action,
                ReadCases
                    | TakeCall
                    | Verify
                    | Reject
                    | Dispatch
                    | Close
                    | Reopen
                    | Note
                    | ConfirmAccounts
                    | BlockNumber
                    | DraftSop
                    | ReadRecaps
                    | ReadOfficerRecaps
                    | NoteHandover
                    | RunDrill
                    | WriteScenario
                    | ReadDrills
            ),
            UnitOfficer => matches!(action, ReadCases | Acknowledge | Progress | Resolve | Note | ReadRecaps),
            Leader => matches!(
                action,
                ReadCases
                    | Dispatch
                    | Close
                    | Reopen
                    | Note
                    | ConfirmAccounts
                    | BlockNumber
                    | DraftSop
                    | RatifySop
                    | ReadRecaps
                    | ReadOfficerRecaps
                    | ReadDrills
            ),
            Auditor => matches!(
                action,
                ReadCases | VerifyIntegrity | ReadAccessLog | ReadRecaps | ReadOfficerRecaps | ReadDrills
            ),
            Propam => matches!(action, ReadCases | Note | BlockNumber | LiftBlock | ReadRecaps | ReadOfficerRecaps),
            // Bid TIK guides the shifts in using the system: it runs drills (drill cases hold no
            // real personal data) but still reads no real case
            TikAdmin => matches!(action, ManageUsers | VerifyIntegrity | RunDrill | WriteScenario | ReadDrills),
            Legal => matches!(action, ReviewSop),
        }
    }

    /// Every action the role may take, for the UI to offer (`may` in `GET /api/v1/me`).
    pub fn actions(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.may(*a))
    }

    /// The staff pages the role may open: the one list the UI's navigation and page gate follow.
    pub fn pages(self) -> impl Iterator<Item = Page> {
        Page::ALL.into_iter().filter(move |p| p.open_to(self))
    }
}

impl Action {
    pub const ALL: [Action; 26] = [
        Self::ReadCases,
        Self::TakeCall,
        Self::Verify,
        Self::Reject,
        Self::Dispatch,
        Self::Acknowledge,
        Self::Progress,
        Self::Resolve,
        Self::Close,
        Self::Reopen,
        Self::Note,
        Self::ManageUsers,
        Self::ConfirmAccounts,
        Self::VerifyIntegrity,
        Self::ReadAccessLog,
        Self::BlockNumber,
        Self::LiftBlock,
        Self::DraftSop,
        Self::ReviewSop,
        Self::RatifySop,
        Self::ReadRecaps,
        Self::ReadOfficerRecaps,
        Self::NoteHandover,
        Self::RunDrill,
        Self::WriteScenario,
        Self::ReadDrills,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadCases => "read_cases",
            Self::TakeCall => "take_call",
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Dispatch => "dispatch",
            Self::Acknowledge => "acknowledge",
            Self::Progress => "progress",
            Self::Resolve => "resolve",
            Self::Close => "close",
            Self::Reopen => "reopen",
            Self::Note => "note",
            Self::ManageUsers => "manage_users",
            Self::ConfirmAccounts => "confirm_accounts",
            Self::VerifyIntegrity => "verify_integrity",
            Self::ReadAccessLog => "read_access_log",
            Self::BlockNumber => "block_number",
            Self::LiftBlock => "lift_block",
            Self::DraftSop => "draft_sop",
            Self::ReviewSop => "review_sop",
            Self::RatifySop => "ratify_sop",
            Self::ReadRecaps => "read_recaps",
            Self::ReadOfficerRecaps => "read_officer_recaps",
            Self::NoteHandover => "note_handover",
            Self::RunDrill => "run_drill",
            Self::WriteScenario => "write_scenario",
            Self::ReadDrills => "read_drills",
        }
    }
}

/// A staff page of the web UI, at `/{as_str}`. The pages hold no data: each reads the API, which
/// checks every request; the page list only keeps people out of pages that would refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// the queue, a case, the call-taker form
    Konsol,
    /// the Command Center board
    Pantau,
    /// every case read-only, the access log, the hash chains
    Audit,
    /// accounts, and the accounts waiting for a confirmation
    Admin,
    /// the recaps (alat ukur)
    Rekap,
    /// the SOP in force as a document, its versions, drafting, legal review and ratification
    Sop,
    /// Latihan: drills, their trainer's screen and scorecards
    Latihan,
}

impl Page {
    pub const ALL: [Page; 7] =
        [Self::Konsol, Self::Pantau, Self::Audit, Self::Admin, Self::Rekap, Self::Sop, Self::Latihan];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Konsol => "konsol",
            Self::Pantau => "pantau",
            Self::Audit => "audit",
            Self::Admin => "admin",
            Self::Sop => "sop",
            Self::Rekap => "rekap",
            Self::Latihan => "latihan",
        }
    }
    /// Whether the page has something for `role`: what it shows is what the role may read or do.
    fn open_to(self, role: Role) -> bool {
        match self {
            Self::Konsol | Self::Pantau => role.may(Action::ReadCases),
            Self::Audit => role.may(Action::ReadAccessLog),
            Self::Admin => role.may(Action::ManageUsers) || role.may(Action::ConfirmAccounts),
            // the SOP is every officer's guide, and Bid Hukum's and the auditors' work
            Self::Sop => true,
            Self::Rekap => role.may(Action::ReadRecaps),
            Self::Latihan => role.may(Action::ReadDrills),
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

    #[test]
    fn each_role_opens_the_pages_of_its_duty() {
        use Page::*;
        let table: [(Role, &[Page]); 9] = [
            (Role::Operator, &[Konsol, Pantau, Sop]),
            (Role::PaSiaga, &[Konsol, Pantau, Rekap, Sop, Latihan]),
            (Role::KaSiaga, &[Konsol, Pantau, Admin, Rekap, Sop, Latihan]),
            (Role::UnitOfficer, &[Konsol, Pantau, Rekap, Sop]),
            (Role::Leader, &[Konsol, Pantau, Admin, Rekap, Sop, Latihan]),
            (Role::Auditor, &[Konsol, Pantau, Audit, Rekap, Sop, Latihan]),
            (Role::Propam, &[Konsol, Pantau, Rekap, Sop]),
            (Role::TikAdmin, &[Admin, Sop, Latihan]),
            (Role::Legal, &[Sop]),
        ];
        for (role, want) in table {
            assert_eq!(role.pages().collect::<Vec<_>>(), want, "{role:?}");
        }
        let names: std::collections::HashSet<_> = Action::ALL.into_iter().map(Action::as_str).collect();
        assert_eq!(names.len(), Action::ALL.len(), "action names are distinct");
        assert!(Role::Operator.actions().any(|a| a == Action::TakeCall));
        assert!(!Role::UnitOfficer.actions().any(|a| a == Action::TakeCall));
        let blocks: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may(Action::BlockNumber)).collect();
        assert_eq!(
            blocks,
            [Role::PaSiaga, Role::KaSiaga, Role::Leader, Role::Propam],
            "duty officers and Propam block"
        );
        let lifts: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may(Action::LiftBlock)).collect();
        assert_eq!(lifts, [Role::Propam], "only Propam lifts a block");
        let drills: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may(Action::RunDrill)).collect();
        assert_eq!(drills, [Role::PaSiaga, Role::KaSiaga, Role::TikAdmin], "the shift's heads and Bid TIK run drills");
        assert!(!Role::TikAdmin.may(Action::ReadCases), "a drill does not open real cases to tik_admin");
    }
}
