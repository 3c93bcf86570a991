//! The case projection: a pure, total, deterministic fold over a case's events, plus the
//! decisions made on it (commands and deadlines).

use super::event::{Actor, Channel, Event, EventKind, Location, Reporter};
use super::ids::{EventId, NodeCode, Ticket, UnitCode};
use super::prank::Assessment;
use super::sop::{Category, Priority, Sop, Step};
use super::time::{Hlc, Millis};
use super::units::Units;
use super::workflow::{transition, CaseAction, Command, State, TransitionError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicNote {
    pub at: Millis,
    pub text: String,
}

/// An event that was valid where it was written but not after a merge; kept and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub event: EventId,
    pub reason: String,
}

/// The next SOP deadline of a case: the step, the escalation rung it triggers and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub step: Step,
    pub rung: u8,
    pub due: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub ticket: Ticket,
    pub token_hash: String,
    pub category: Category,
    pub priority: Priority,
    pub state: State,
    pub description: String,
    pub reporter: Reporter,
    pub location: Location,
    pub channel: Channel,
    pub sop_version: String,
    /// the node that holds the current unit; the only one that accepts workflow commands
    pub owner: NodeCode,
    pub unit: Option<UnitCode>,
    pub suggested_unit: Option<UnitCode>,
    pub created: Millis,
    pub updated: Millis,
    /// when the case entered its current state (the clock of the pending step)
    pub state_since: Millis,
    /// escalation rungs already raised for the pending step
    pub escalation_rung: u8,
    pub escalations_total: u32,
    pub verification: Option<String>,
    pub reject_reason: Option<String>,
    pub resolution: Option<String>,
    pub public_notes: Vec<PublicNote>,
    pub conflicts: Vec<Conflict>,
    pub event_count: u32,
    pub last_hlc: Hlc,
    /// the prank score at intake and its reasons
    #[serde(default)]
    pub assessment: Assessment,
    /// an emergency dispatched before it was verified (flagged and counted, DESIGN §7)
    #[serde(default)]
    pub dispatched_unverified: bool,
    #[serde(default)]
    pub duplicate_of: Option<Ticket>,
    /// cases linked to this one as duplicates (their reporters are kept there)
    #[serde(default)]
    pub duplicates: Vec<Ticket>,
    /// media ids of photos sent with the report
    #[serde(default)]
    pub attachments: Vec<String>,
    /// every node that has held the case, first the one it was reported at: they all follow it
    /// (sync feeds them its events)
    #[serde(default)]
    pub holders: Vec<NodeCode>,
    /// state entries, verification and escalations with their times, for recaps
    #[serde(default)]
    pub trail: super::recap::Trail,
    /// the drill (Latihan) the case belongs to (its `LAT-` ticket); absent on real cases
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

/// How a report was verified (DESIGN §7): recorded on every verification. `caller_on_line`: the
/// call-taker heard the caller on the line while taking the call (the console's "Simpan &
/// disposisi" for an emergency).
pub const VERIFY_METHODS: [&str; 4] = ["callback_confirmed", "scene_confirmed", "caller_on_line", "not_reachable"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("this case is held by node {owner}; act on it there (or dispatch it back)")]
    NotOwner { owner: NodeCode },
    #[error("reject reason {0:?} is unknown: use one of {1}")]
    UnknownReason(String, String),
    #[error("unit {0} is unknown; pick one from GET /api/v1/units")]
    UnknownUnit(String),
    #[error("priority {0} does not exist for this category")]
    BadPriority(&'static str),
    #[error("{field} is required for this action")]
    MissingText { field: &'static str },
    #[error("{field} is too long: at most 4000 characters")]
    TooLong { field: &'static str },
    #[error("verification method {0:?} is unknown: use callback_confirmed, scene_confirmed, caller_on_line or not_reachable")]
    UnknownMethod(String),
    #[error("a case that is new cannot be dispatched before it is verified; only an emergency crime report may be")]
    NeedsVerification,
    #[error("this case is already verified")]
    AlreadyVerified,
    #[error("{0}")]
    BadDuplicate(String),
}

const TEXT_MAX: usize = 4000;

fn required(field: &'static str, s: &str) -> Result<String, DecideError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DecideError::MissingText { field });
    }
    optional(field, t)
}

fn optional(field: &'static str, s: &str) -> Result<String, DecideError> {
    let t = s.trim();
    if t.chars().count() > TEXT_MAX {
        return Err(DecideError::TooLong { field });
    }
    Ok(t.to_owned())
}

impl Case {
    /// The case a `reported` event opens; `None` for any other event.
    pub fn open(ev: &Event) -> Option<Case> {
        let EventKind::Reported(r) = &ev.kind else {
            return None;
        };
        let at = ev.hlc.millis();
        Some(Case {
            ticket: ev.case.clone(),
            token_hash: r.token_hash.clone(),
            category: r.category,
            priority: r.priority,
            state: State::New,
            description: r.description.clone(),
            reporter: r.reporter.clone(),
            location: r.location.clone(),
            channel: r.channel,
            sop_version: ev.sop_version.clone(),
            owner: ev.id.origin.clone(),
            unit: None,
            suggested_unit: r.suggested_unit.clone(),
            created: at,
            updated: at,
            state_since: at,
            escalation_rung: 0,
            escalations_total: 0,
            verification: None,
            reject_reason: None,
            resolution: None,
            public_notes: Vec::new(),
            conflicts: Vec::new(),
            event_count: 1,
            last_hlc: ev.hlc,
            assessment: r.assessment.clone(),
            dispatched_unverified: false,
            duplicate_of: None,
            duplicates: Vec::new(),
            attachments: r.attachments.clone(),
            holders: vec![ev.id.origin.clone()],
            trail: super::recap::Trail {
                entries: vec![(State::New, at, super::recap::actor_user(&ev.actor))],
                ..Default::default()
            },
            drill: ev.drill.clone(),
        })
    }

    /// Folds the events of one case, in any order. Total: events that do not apply are recorded
    /// as conflicts, never dropped. `None` when there is no `reported` event (yet).
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Case> {
        let mut evs: Vec<&Event> = events.into_iter().collect();
        evs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let first = evs.iter().position(|e| matches!(e.kind, EventKind::Reported(_)))?;
        let mut case = Case::open(evs[first])?;
        for (i, e) in evs.iter().enumerate() {
            if i != first {
                case.apply(e);
            }
        }
        Some(case)
    }

    /// Applies one more event (it must be the newest by HLC for the result to equal a fold).
    pub fn apply(&mut self, ev: &Event) {
        let at = ev.hlc.millis();
        self.event_count += 1;
        self.last_hlc = self.last_hlc.max(ev.hlc);
        self.updated = self.updated.max(at);
        let was = self.state;
        if let Some(action) = ev.kind.action() {
            let takeover = matches!(ev.kind, EventKind::Dispatched { takeover: true, .. });
            if ev.id.origin != self.owner && !takeover {
                return self.conflict(
                    ev,
                    format!("{action} written at {} while the case was held by {}", ev.id.origin, self.owner),
                );
            }
            match transition(self.state, action) {
                Ok(next) => {
                    if next != self.state {
                        self.trail.entries.push((next, at, super::recap::actor_user(&ev.actor)));
                    }
                    self.enter(next, at)
                }
                Err(e) => return self.conflict(ev, e.to_string()),
            }
        }
        match &ev.kind {
            EventKind::Reported(_) => self.conflict(ev, "a second report event for the same ticket".into()),
            EventKind::Verified { method, priority } => {
                self.trail.verified_at.get_or_insert(at);
                self.verification = Some(method.clone());
                self.priority = *priority;
            }
            EventKind::Rejected { reason, duplicate_of, .. } => {
                self.reject_reason = Some(reason.clone());
                self.duplicate_of = duplicate_of.clone();
            }
            EventKind::Dispatched { unit, node, .. } => {
                self.unit = Some(unit.clone());
                self.owner = node.clone();
                if !self.holders.contains(node) {
                    self.holders.push(node.clone());
                }
                if was == State::New {
                    self.dispatched_unverified = true;
                }
            }
            EventKind::DuplicateLinked { duplicate } => {
                if !self.duplicates.contains(duplicate) {
                    self.duplicates.push(duplicate.clone());
                }
            }
            EventKind::Resolved { summary } => {
                self.resolution = Some(summary.clone());
                self.public_notes.push(PublicNote { at, text: summary.clone() });
            }
            EventKind::Reopened { .. } => self.resolution = None,
            EventKind::Noted { text, public: true } | EventKind::Progressed { note: text, public: true } => {
                self.public_notes.push(PublicNote { at, text: text.clone() })
            }
            EventKind::Escalated { step, rung, .. } => {
                if Step::pending_in(self.state) == Some(*step) && *rung > self.escalation_rung {
                    self.escalation_rung = *rung;
                }
                self.escalations_total += 1;
                self.trail.escalations.push((*rung, at));
            }
            EventKind::Acknowledged { .. }
            | EventKind::Progressed { .. }
            | EventKind::Closed { .. }
            | EventKind::Noted { .. } => {}
        }
    }

    fn enter(&mut self, next: State, at: Millis) {
        // progress notes while in progress do not restart the resolve clock
        if next != self.state {
            self.state = next;
            self.state_since = at;
            self.escalation_rung = 0;
        }
    }

    fn conflict(&mut self, ev: &Event, reason: String) {
        self.conflicts.push(Conflict { event: ev.id.clone(), reason });
    }

    /// The next escalation this case will get if nobody acts, under the SOP that governs it.
    pub fn next_deadline(&self, sop: &Sop) -> Option<Deadline> {
        let step = Step::pending_in(self.state)?;
        let rung = self.escalation_rung.checked_add(1)?;
        let due = sop.rung_due(self.category, step, self.priority, self.state_since, rung)?;
        Some(Deadline { step, rung, due })
    }

    /// The time the pending step is due (its first deadline), for countdowns and measurement.
    pub fn step_due(&self, sop: &Sop) -> Option<(Step, Millis)> {
        let step = Step::pending_in(self.state)?;
        let d = sop.deadline_ms(self.category, step, self.priority)?;
        Some((step, self.state_since.plus(d)))
    }

    /// The escalations that have fallen due by `now` and are not yet recorded, in order.
    pub fn due_escalations(&self, sop: &Sop, now: Millis) -> Vec<EventKind> {
        let mut out = Vec::new();
        let mut probe = self.clone();
        while let Some(d) = probe.next_deadline(sop) {
            if d.due > now {
                break;
            }
            out.push(EventKind::Escalated {
                step: d.step,
                rung: d.rung,
                to_role: sop.ladder_role(d.rung).to_owned(),
                due: d.due,
            });
            probe.escalation_rung = d.rung;
        }
        out
    }

    /// Decides the event a command produces on this case at node `here`, or why it cannot.
    pub fn decide(&self, cmd: Command, here: &NodeCode, sop: &Sop, units: &Units) -> Result<EventKind, DecideError> {
        self.decide_at(cmd, here, false, sop, units)
    }

    /// `decide` at a node that may take cases back (the root, the Polda hub): a dispatch of a case
    /// held elsewhere becomes a takeover instead of being refused.
    pub fn decide_at(
        &self,
        cmd: Command,
        here: &NodeCode,
        is_root: bool,
        sop: &Sop,
        units: &Units,
    ) -> Result<EventKind, DecideError> {
        let action = cmd.action();
        let takeover = action == CaseAction::Dispatch && &self.owner != here && is_root;
        if action != CaseAction::Note && &self.owner != here && !takeover {
            return Err(DecideError::NotOwner { owner: self.owner.clone() });
        }
        transition(self.state, action)?;
        Ok(match cmd {
            Command::Verify { method, priority } => {
                if self.state != State::New && self.verification.is_some() {
                    return Err(DecideError::AlreadyVerified);
                }
                let method = required("method", &method)?;
                if !VERIFY_METHODS.contains(&method.as_str()) {
                    return Err(DecideError::UnknownMethod(method));
                }
                let priority = priority.unwrap_or(self.priority);
                if !sop.allows_priority(self.category, priority) {
                    return Err(DecideError::BadPriority(priority.as_str()));
                }
                EventKind::Verified { method, priority }
            }
            Command::Reject { reason, note } => {
                if !sop.reject_reasons.contains(&reason) {
                    return Err(DecideError::UnknownReason(reason, sop.reject_reasons.join(", ")));
                }
                EventKind::Rejected { reason, note: optional("note", &note)?, duplicate_of: None }
            }
            Command::LinkDuplicate { original, note } => {
                if original == self.ticket {
                    return Err(DecideError::BadDuplicate("a case cannot be a duplicate of itself".into()));
                }
                EventKind::Rejected {
                    reason: "duplicate".into(),
                    note: optional("note", &note)?,
                    duplicate_of: Some(original),
                }
            }
            Command::Dispatch { unit, note } => {
                if self.state == State::New && !self.is_emergency_crime() {
                    return Err(DecideError::NeedsVerification);
                }
                let u = units.get(&unit).ok_or_else(|| DecideError::UnknownUnit(unit.to_string()))?;
                EventKind::Dispatched { unit, node: u.node.clone(), note: optional("note", &note)?, takeover }
            }
            Command::Acknowledge { note } => EventKind::Acknowledged { note: optional("note", &note)? },
            Command::Progress { note, public } => EventKind::Progressed { note: required("note", &note)?, public },
            Command::Resolve { summary } => EventKind::Resolved { summary: required("summary", &summary)? },
            Command::Close { note } => EventKind::Closed { note: optional("note", &note)? },
            Command::Reopen { reason } => EventKind::Reopened { reason: required("reason", &reason)? },
            Command::Note { text, public } => EventKind::Noted { text: required("text", &text)?, public },
        })
    }

    /// The one kind of report that may be dispatched before it is verified.
    pub fn is_emergency_crime(&self) -> bool {
        self.category == Category::Crime && self.priority == Priority::Emergency
    }

    /// Whether `actor` is the citizen, staff or system: used for audit displays.
    pub fn actor_label(actor: &Actor) -> String {
        match actor {
            Actor::Citizen => "pelapor".into(),
            Actor::Staff { user, role, .. } => format!("{user} ({})", role.as_str()),
            Actor::System { node } => format!("sistem {node}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::ReportedCase;
    use super::*;
    use crate::model::ids::Phone;

    fn sop() -> Sop {
        Sop::parse(include_str!("../../data/sop-reference.toml")).unwrap()
    }
    fn units() -> Units {
        Units::parse(include_str!("../../data/polda-sumsel-units.toml")).unwrap()
    }
    fn node(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    struct Log {
        events: Vec<Event>,
        seq: u64,
    }

    impl Log {
        fn new() -> Log {
            let reported = EventKind::Reported(Box::new(ReportedCase {
                category: Category::Crime,
                priority: Priority::Normal,
                description: "Pencurian motor di pasar".into(),
                reporter: Reporter { name: "Budi".into(), phone: Phone::parse("081234567890").unwrap() },
                location: Location {
                    regency: "Kota Palembang".into(),
                    address: "Pasar 16".into(),
                    ..Default::default()
                },
                channel: Channel::Web,
                token_hash: "00".into(),
                suggested_unit: None,
                assessment: Assessment::default(),
                attachments: Vec::new(),
            }));
            let mut log = Log { events: Vec::new(), seq: 0 };
            log.push("PLG", 0, reported);
            log
        }
        fn push(&mut self, origin: &str, at_ms: u64, kind: EventKind) {
            self.seq += 1;
            self.events.push(Event {
                id: EventId { origin: node(origin), seq: self.seq },
                hlc: Hlc::new(1_000_000 + at_ms, 0),
                case: Ticket::parse("PLG-261128-0001").unwrap(),
                actor: Actor::System { node: node(origin) },
                sop_version: "draft-2022-12".into(),
                prev_hash: [0; 32],
                kind,
                checked: Vec::new(),
                drill: None,
            });
        }
        fn case(&self) -> Case {
            Case::fold(&self.events).unwrap()
        }
    }

    #[test]
    fn the_happy_path_folds_to_closed() {
        let mut log = Log::new();
        let plg = UnitCode::parse("PLG").unwrap();
        let steps = [
            (EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::High }, State::Verified),
            (
                EventKind::Dispatched { unit: plg.clone(), node: node("PLG"), note: String::new(), takeover: false },
                State::Dispatched,
            ),
            (EventKind::Acknowledged { note: String::new() }, State::Acknowledged),
            (EventKind::Progressed { note: "Tim meluncur".into(), public: false }, State::InProgress),
            (EventKind::Resolved { summary: "Pelaku ditangkap".into() }, State::Resolved),
            (EventKind::Closed { note: String::new() }, State::Closed),
        ];
        for (i, (kind, want)) in steps.into_iter().enumerate() {
            log.push("PLG", 1000 * (i as u64 + 1), kind);
            assert_eq!(log.case().state, want);
        }
        let c = log.case();
        assert_eq!(c.priority, Priority::High);
        assert_eq!(c.unit, Some(plg));
        assert_eq!(c.public_notes.len(), 1);
        assert!(c.conflicts.is_empty());
        assert_eq!(c.event_count, 7);
    }

    /// A progress note marked public reaches tracking; one not marked, and an event written
    /// before the flag existed (no `public` in its JSON), do not.
    #[test]
    fn public_progress_notes_reach_tracking() {
        let mut log = Log::new();
        let plg = UnitCode::parse("PLG").unwrap();
        log.push(
            "PLG",
            1,
            EventKind::Dispatched { unit: plg, node: node("PLG"), note: String::new(), takeover: false },
        );
        log.push("PLG", 2, EventKind::Acknowledged { note: String::new() });
        let old: EventKind = serde_json::from_str(r#"{"type":"progressed","note":"Tim meluncur"}"#).unwrap();
        assert_eq!(old, EventKind::Progressed { note: "Tim meluncur".into(), public: false });
        log.push("PLG", 3, old);
        log.push("PLG", 4, EventKind::Progressed { note: "Pelaku diamankan".into(), public: true });
        let c = log.case();
        assert_eq!(c.public_notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(), ["Pelaku diamankan"]);
        // a private note is stored as before the flag existed
        let private = EventKind::Progressed { note: "x".into(), public: false };
        assert_eq!(serde_json::to_string(&private).unwrap(), r#"{"type":"progressed","note":"x"}"#);
    }

    #[test]
    fn fold_is_order_independent_and_keeps_conflicts() {
        let mut log = Log::new();
        log.push("PLG", 10, EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::Normal });
        // two nodes both think they own the case: the hub's rejection loses and is kept as a conflict
        log.push("SUMSEL", 20, EventKind::Rejected { reason: "prank".into(), note: String::new(), duplicate_of: None });
        log.push(
            "PLG",
            30,
            EventKind::Dispatched {
                unit: UnitCode::parse("PLG").unwrap(),
                node: node("PLG"),
                note: String::new(),
                takeover: false,
            },
        );
        let forward = log.case();
        let mut reversed = log.events.clone();
        reversed.reverse();
        assert_eq!(Case::fold(&reversed).unwrap(), forward);
        assert_eq!(forward.state, State::Dispatched);
        assert_eq!(forward.conflicts.len(), 1);
        assert_eq!(forward.conflicts[0].event.origin.as_str(), "SUMSEL");
    }

    #[test]
    fn dispatch_to_another_node_moves_ownership() {
        let mut log = Log::new();
        log.push("PLG", 10, EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::Normal });
        let c = log.case();
        let ev = c
            .decide(
                Command::Dispatch { unit: UnitCode::parse("DITRESKRIMUM").unwrap(), note: String::new() },
                &node("PLG"),
                &sop(),
                &units(),
            )
            .unwrap();
        log.push("PLG", 20, ev);
        let c = log.case();
        assert_eq!(c.owner, node("SUMSEL"));
        let refused = c.decide(Command::Acknowledge { note: String::new() }, &node("PLG"), &sop(), &units());
        assert_eq!(refused, Err(DecideError::NotOwner { owner: node("SUMSEL") }));
        assert!(c
            .decide(Command::Note { text: "catatan".into(), public: false }, &node("PLG"), &sop(), &units())
            .is_ok());
    }

    /// The root may take a case back from a post; what the post did meanwhile, after the
    /// takeover in the fold order, is kept as a conflict. Any other node is refused.
    #[test]
    fn the_root_takes_a_case_back_and_late_commands_become_conflicts() {
        let mut log = Log::new();
        log.push("PLG", 10, EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::Normal });
        let c = log.case();
        let pull = Command::Dispatch { unit: UnitCode::parse("DITRESKRIMUM").unwrap(), note: String::new() };
        assert_eq!(
            c.decide_at(pull.clone(), &node("BAS"), false, &sop(), &units()),
            Err(DecideError::NotOwner { owner: node("PLG") })
        );
        let ev = c.decide_at(pull, &node("SUMSEL"), true, &sop(), &units()).unwrap();
        assert!(matches!(ev, EventKind::Dispatched { takeover: true, .. }));
        log.push("SUMSEL", 30, ev);
        // the post, cut off, dispatched it to its own unit a little later
        log.push(
            "PLG",
            40,
            EventKind::Dispatched {
                unit: UnitCode::parse("PLG").unwrap(),
                node: node("PLG"),
                note: String::new(),
                takeover: false,
            },
        );
        let c = log.case();
        assert_eq!((c.owner.as_str(), c.state), ("SUMSEL", State::Dispatched));
        assert_eq!(c.holders, vec![node("PLG"), node("SUMSEL")]);
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        assert_eq!(c.conflicts[0].event.origin.as_str(), "PLG");
    }

    #[test]
    fn decide_checks_its_inputs() {
        let c = Log::new().case();
        let (s, u, here) = (sop(), units(), node("PLG"));
        let table: Vec<(Command, &str)> = vec![
            (Command::Reject { reason: "boring".into(), note: String::new() }, "reject reason \"boring\" is unknown"),
            (Command::Verify { method: " ".into(), priority: None }, "method is required"),
            (Command::Verify { method: "callback_confirmed".into(), priority: Some(Priority::Emergency) }, ""),
            (Command::Dispatch { unit: UnitCode::parse("PLG").unwrap(), note: String::new() }, "before it is verified"),
            (Command::Verify { method: "gut_feeling".into(), priority: None }, "method \"gut_feeling\" is unknown"),
            (
                Command::LinkDuplicate { original: Ticket::parse("PLG-261128-0001").unwrap(), note: String::new() },
                "duplicate of itself",
            ),
            (Command::Note { text: "x".repeat(4001), public: false }, "too long"),
        ];
        for (cmd, want) in table {
            let r = c.decide(cmd.clone(), &here, &s, &u);
            match want {
                "" => assert!(r.is_ok(), "{cmd:?}"),
                w => assert!(r.unwrap_err().to_string().contains(w), "{cmd:?}"),
            }
        }
    }

    #[test]
    fn an_emergency_crime_may_be_dispatched_first_and_verified_later() {
        let (s, u, here) = (sop(), units(), node("PLG"));
        let mut log = Log::new();
        let plg = UnitCode::parse("PLG").unwrap();
        let dispatch = Command::Dispatch { unit: plg.clone(), note: String::new() };
        assert_eq!(log.case().decide(dispatch.clone(), &here, &s, &u), Err(DecideError::NeedsVerification));
        log.push("PLG", 5, EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::Emergency });
        // an emergency that is not yet verified: build one by hand
        let mut log = Log::new();
        let mut c = log.case();
        c.priority = Priority::Emergency;
        let ev = c.decide(dispatch, &here, &s, &u).unwrap();
        log.events[0].kind = match log.events[0].kind.clone() {
            EventKind::Reported(mut r) => {
                r.priority = Priority::Emergency;
                EventKind::Reported(r)
            }
            k => k,
        };
        log.push("PLG", 10, ev);
        let c = log.case();
        assert_eq!((c.state, c.dispatched_unverified, c.verification.clone()), (State::Dispatched, true, None));
        let late =
            c.decide(Command::Verify { method: "scene_confirmed".into(), priority: None }, &here, &s, &u).unwrap();
        log.push("PLG", 20, late);
        let c = log.case();
        assert_eq!(c.state, State::Dispatched, "late verification keeps the state");
        assert_eq!(c.verification.as_deref(), Some("scene_confirmed"));
        assert!(c.dispatched_unverified, "still counted as dispatched before verification");
        assert_eq!(
            c.decide(Command::Verify { method: "scene_confirmed".into(), priority: None }, &here, &s, &u),
            Err(DecideError::AlreadyVerified)
        );
    }

    #[test]
    fn every_verification_method_is_accepted_and_others_refused() {
        let (s, u, here) = (sop(), units(), node("PLG"));
        for m in VERIFY_METHODS {
            let ev = Log::new().case().decide(Command::Verify { method: m.into(), priority: None }, &here, &s, &u);
            assert!(matches!(ev, Ok(EventKind::Verified { ref method, .. }) if method == m), "{m}: {ev:?}");
        }
        assert!(VERIFY_METHODS.contains(&"caller_on_line"), "the call-taker's own verification");
        assert_eq!(
            Log::new().case().decide(Command::Verify { method: "on_the_phone".into(), priority: None }, &here, &s, &u),
            Err(DecideError::UnknownMethod("on_the_phone".into()))
        );
    }

    #[test]
    fn linking_a_duplicate_rejects_it_and_records_the_original() {
        let (s, u, here) = (sop(), units(), node("PLG"));
        let mut log = Log::new();
        let original = Ticket::parse("PLG-261128-0099").unwrap();
        let ev = log
            .case()
            .decide(Command::LinkDuplicate { original: original.clone(), note: String::new() }, &here, &s, &u)
            .unwrap();
        log.push("PLG", 10, ev);
        let c = log.case();
        assert_eq!(
            (c.state, c.reject_reason.as_deref(), c.duplicate_of.clone()),
            (State::Rejected, Some("duplicate"), Some(original))
        );
    }

    #[test]
    fn escalations_climb_the_ladder_at_multiples_of_the_deadline() {
        let s = sop();
        let mut log = Log::new();
        let c = log.case();
        let start = c.state_since;
        // crime/normal: verify within 15 minutes
        assert_eq!(c.next_deadline(&s), Some(Deadline { step: Step::Verify, rung: 1, due: start.plus(900_000) }));
        assert!(c.due_escalations(&s, start.plus(899_999)).is_empty());
        let due = c.due_escalations(&s, start.plus(1_800_000));
        assert_eq!(due.len(), 2, "1x and 2x have both passed");
        let roles: Vec<_> = due
            .iter()
            .map(|e| match e {
                EventKind::Escalated { to_role, .. } => to_role.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(roles, ["pa_siaga", "ka_siaga"]);
        for (i, e) in due.into_iter().enumerate() {
            log.push("PLG", 1_800_000 + i as u64, e);
        }
        let c = log.case();
        assert_eq!(c.escalation_rung, 2);
        assert_eq!(c.next_deadline(&s).unwrap().due, start.plus(2_700_000));
        // the top of the ladder ends the escalations
        log.push("PLG", 2_700_000, c.due_escalations(&s, start.plus(2_700_000)).remove(0));
        assert_eq!(log.case().next_deadline(&s), None);
        // acting resets the clock for the next step
        log.push(
            "PLG",
            2_800_000,
            EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::Normal },
        );
        let c = log.case();
        assert_eq!(c.escalation_rung, 0);
        assert_eq!(c.next_deadline(&s).unwrap().step, Step::Dispatch);
    }
}
