//! What the export to PostgreSQL writes (`src/export/`), as pure data: an event's row (its fields
//! as JSON, reporters pseudonymised unless personal data is exported), a case's row (the current
//! projection) and its step rows (what the recap measures). No I/O; the caller reads the store
//! and writes the database.
//!
//! **Pseudonyms.** A reporter's phone number and name become `HMAC-SHA256(key, value)` in hex
//! (first 32 characters), `key` being the Polda's pseudonym key (`KEY_FILE` in the data dir:
//! made at the hub, handed down to its posts; `service::export`): the same phone gives the same
//! pseudonym in every row, at the hub and at its posts, so repeat reporters can be counted, and
//! without the key the phone cannot be recovered by trying the ~10^10 numbers there are. Free text
//! (description, address, notes, typed place names), coordinates, photos and the tracking
//! token's hash are left out.

use super::case::Case;
use super::event::{Actor, Event, EventKind};
use super::recap::Fact;
use super::sop::{Sop, Step};
use super::workflow::State;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};

/// The pseudonym key's file in the data dir (hex, 0600; in every backup).
pub const KEY_FILE: &str = "export-pseudonym.key";

/// Pseudonym of `value` under `key`: 32 hex characters (128 bits of HMAC-SHA256).
pub fn pseudonym(key: &[u8], value: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(value.as_bytes());
    let mut h = hex::encode(mac.finalize().into_bytes());
    h.truncate(32);
    h
}

/// How personal data leaves the node.
#[derive(Debug, Clone)]
pub struct Privacy {
    /// export phone, name, description, address and notes as they are
    pub personal: bool,
    /// the HMAC key of the pseudonyms
    pub key: Vec<u8>,
}

/// One row of `events`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// `ORIGIN:SEQ`, the primary key
    pub event_id: String,
    pub origin: String,
    pub seq: u64,
    pub epoch: u64,
    /// the HLC as stored (milliseconds << 16 | logical) and its milliseconds
    pub hlc: u64,
    pub at_ms: u64,
    pub ticket: String,
    pub kind: &'static str,
    /// citizen, staff or system
    pub actor_kind: &'static str,
    pub actor_role: Option<String>,
    pub actor_unit: Option<String>,
    pub sop_version: String,
    /// written by a drill (Latihan), not a real report: the event carries its drill id
    pub drill: bool,
    /// the event's fields as JSON text (`EventKind`, plus `checked`), scrubbed per `Privacy`
    pub fields: String,
}

/// Keys of free text (and places typed by a person) left out unless personal data is exported.
const FREE_TEXT: [&str; 4] = ["note", "text", "summary", "description"];

/// An event's row. `epoch` is the epoch of its origin's log the seq falls in.
pub fn event_row(ev: &Event, epoch: u64, p: &Privacy) -> EventRow {
    let fields = match &ev.kind {
        // the bulk of every export: written straight from the report, no `Value` built and dropped
        EventKind::Reported(r) if !p.personal => serde_json::to_string(&ScrubbedReport::of(r, &ev.checked, &p.key)),
        _ => serde_json::to_string(&fields_value(ev, p)),
    }
    .unwrap_or_else(|_| "null".into());
    let (actor_kind, actor_role, actor_unit) = match &ev.actor {
        Actor::Citizen => ("citizen", None, None),
        Actor::Staff { role, unit, .. } => {
            ("staff", Some(role.as_str().to_owned()), unit.as_ref().map(|u| u.to_string()))
        }
        Actor::System { .. } => ("system", None, None),
    };
    EventRow {
        event_id: format!("{}:{}", ev.id.origin, ev.id.seq),
        origin: ev.id.origin.to_string(),
        seq: ev.id.seq,
        epoch,
        hlc: ev.hlc.0,
        at_ms: ev.hlc.millis().0,
        ticket: ev.case.as_str().to_owned(),
        kind: ev.kind.name(),
        actor_kind,
        actor_role,
        actor_unit,
        sop_version: ev.sop_version.clone(),
        drill: ev.drill.is_some() || ev.case.is_drill(),
        fields,
    }
}

/// An event's fields as JSON (`EventKind` plus `checked`), scrubbed per `Privacy`.
fn fields_value(ev: &Event, p: &Privacy) -> Value {
    let mut fields = serde_json::to_value(&ev.kind).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut fields {
        if !ev.checked.is_empty() {
            m.insert("checked".into(), ev.checked.iter().map(|c| Value::String(c.clone())).collect());
        }
        if !p.personal {
            scrub(m, &ev.kind, &p.key);
        }
    }
    fields
}

/// A report's fields as `fields_value` leaves them without personal data (the same JSON, the keys
/// in another order, which `jsonb` does not keep): category, priority, the reporter's pseudonyms,
/// the place's name and codes, the channel, the suggested unit, the prank score without its
/// explanations, the ticked checklist. Test: `the_written_report_is_the_scrubbed_value`.
#[derive(serde::Serialize)]
struct ScrubbedReport<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    category: super::sop::Category,
    priority: super::sop::Priority,
    reporter: ReporterKeys,
    location: PlaceCodes<'a>,
    channel: super::event::Channel,
    suggested_unit: &'a Option<super::ids::UnitCode>,
    assessment: ScoreOnly<'a>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    checked: &'a [String],
}

#[derive(serde::Serialize)]
struct ReporterKeys {
    phone_key: String,
    name_key: String,
}

#[derive(serde::Serialize)]
struct PlaceCodes<'a> {
    regency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    regency_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    district_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    village_code: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct ScoreOnly<'a> {
    score: u32,
    reasons: Vec<Weight>,
    duplicate_candidates: &'a [super::ids::Ticket],
    blocked: bool,
}

#[derive(serde::Serialize)]
struct Weight {
    factor: super::prank::Factor,
    weight: u32,
}

impl<'a> ScrubbedReport<'a> {
    fn of(r: &'a super::event::ReportedCase, checked: &'a [String], key: &[u8]) -> Self {
        let l = &r.location;
        let a = &r.assessment;
        ScrubbedReport {
            kind: "reported",
            category: r.category,
            priority: r.priority,
            reporter: ReporterKeys {
                phone_key: pseudonym(key, r.reporter.phone.as_str()),
                name_key: pseudonym(key, r.reporter.name.trim()),
            },
            location: PlaceCodes {
                regency: &l.regency,
                regency_code: l.regency_code.as_deref(),
                district_code: l.district_code.as_deref(),
                village_code: l.village_code.as_deref(),
            },
            channel: r.channel,
            suggested_unit: &r.suggested_unit,
            assessment: ScoreOnly {
                score: a.score,
                reasons: a.reasons.iter().map(|x| Weight { factor: x.factor, weight: x.weight }).collect(),
                duplicate_candidates: &a.duplicate_candidates,
                blocked: a.blocked,
            },
            checked,
        }
    }
}

fn scrub(m: &mut Map<String, Value>, kind: &EventKind, key: &[u8]) {
    for k in FREE_TEXT {
        m.remove(k);
    }
    match kind {
        EventKind::Reported(r) => {
            m.insert(
                "reporter".into(),
                serde_json::json!({
                    "phone_key": pseudonym(key, r.reporter.phone.as_str()),
                    "name_key": pseudonym(key, r.reporter.name.trim()),
                }),
            );
            if let Some(Value::Object(loc)) = m.get_mut("location") {
                for k in ["address", "lat", "lon", "district", "village"] {
                    loc.remove(k);
                }
            }
            for k in ["attachments", "token_hash"] {
                m.remove(k);
            }
            if let Some(Value::Array(reasons)) = m.get_mut("assessment").and_then(|a| a.get_mut("reasons")) {
                for r in reasons.iter_mut().filter_map(Value::as_object_mut) {
                    r.remove("detail");
                }
            }
        }
        // a rejection's reason is a code (prank, duplicate, ...); a reopening's is free text
        EventKind::Reopened { .. } => {
            m.remove("reason");
        }
        _ => {}
    }
}

/// One row of `cases`: the case as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub ticket: String,
    /// the node it was reported at
    pub origin: String,
    pub owner: String,
    pub category: &'static str,
    pub priority: &'static str,
    pub status: &'static str,
    pub channel: &'static str,
    pub unit: Option<String>,
    pub regency: String,
    pub regency_code: Option<String>,
    pub district_code: Option<String>,
    pub village_code: Option<String>,
    pub sop_version: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// first entry into each state (`State::ALL` order; `new` is `created_ms`)
    pub entered_ms: [Option<u64>; 8],
    pub reject_reason: Option<String>,
    pub duplicate: bool,
    pub emergency_unverified: bool,
    pub escalations: u32,
    pub conflicts: u32,
    pub reopened: u32,
    pub prank_score: u32,
    pub reporter_phone_key: String,
    pub reporter_name_key: String,
    /// only with personal data: phone, name, description, address
    pub personal: Option<[String; 4]>,
    /// a drill case (Latihan): the recap's figures leave it out
    pub drill: bool,
    /// the first verification (ms), as the recap counts it
    pub verified_ms: Option<u64>,
    /// every state the case entered and when (ms), in order: the recap's figures as of any
    /// period end are computed from it (`banpol.recap_cases`)
    pub trail: Vec<(&'static str, u64)>,
    /// when each escalation was recorded (ms)
    pub escalations_ms: Vec<u64>,
}

/// One step a case went through or waits on (`case_steps`), as the recap times it: from
/// entering the state that awaits the step to the event that made the case leave it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub ticket: String,
    pub step: &'static str,
    /// the n-th time the case waited on this step (a reopened case waits again)
    pub n: u32,
    pub entered_ms: u64,
    /// `None`: pending now
    pub left_ms: Option<u64>,
    /// who ended it (username; empty for the system or a citizen)
    pub left_by: String,
    /// the SOP deadline of the case's category, priority and step
    pub deadline_ms: Option<u64>,
}

/// A case's row and its step rows. `sop` is the version the case recorded.
pub fn case_rows(c: &Case, sop: Option<&Sop>, p: &Privacy) -> (CaseRow, Vec<StepRow>) {
    let fact = Fact::of(c, sop);
    let mut entered = [None; 8];
    let mut reopened = 0;
    let state_of = |i: u8| State::ALL.get(usize::from(i)).copied().unwrap_or(State::New);
    for (i, (s, at, _)) in fact.entries.iter().enumerate() {
        let slot = &mut entered[usize::from(*s).min(7)];
        if slot.is_none() {
            *slot = Some(*at);
        }
        if i > 0 && state_of(fact.entries[i - 1].0) == State::Resolved && state_of(*s) == State::InProgress {
            reopened += 1;
        }
    }
    entered[0] = entered[0].or(Some(c.created.0));
    // the first verification, as the recap counts it
    entered[1] = fact.verified_at.or(entered[1]);
    let mut steps = Vec::new();
    let mut seen = [0u32; 5];
    for (i, (s, at, _)) in fact.entries.iter().enumerate() {
        let Some(step) = Step::pending_in(state_of(*s)) else { continue };
        let si = Step::ALL.iter().position(|x| *x == step).unwrap_or(0);
        seen[si] += 1;
        let next = fact.entries.get(i + 1);
        steps.push(StepRow {
            ticket: fact.ticket.clone(),
            step: step.as_str(),
            n: seen[si],
            entered_ms: *at,
            left_ms: next.map(|n| n.1),
            left_by: next.map(|n| n.2.clone()).unwrap_or_default(),
            deadline_ms: fact.deadlines[si],
        });
    }
    let phone = c.reporter.phone.as_str();
    let row = CaseRow {
        ticket: fact.ticket.clone(),
        origin: fact.node.clone(),
        owner: c.owner.to_string(),
        category: c.category.as_str(),
        priority: c.priority.as_str(),
        status: c.state.as_str(),
        channel: c.channel.as_str(),
        unit: fact.unit.clone(),
        regency: fact.regency.clone(),
        regency_code: c.location.regency_code.clone(),
        district_code: c.location.district_code.clone(),
        village_code: c.location.village_code.clone(),
        sop_version: c.sop_version.clone(),
        created_ms: c.created.0,
        updated_ms: c.updated.0,
        entered_ms: entered,
        reject_reason: (c.state == State::Rejected).then(|| c.reject_reason.clone().unwrap_or_default()),
        duplicate: c.duplicate_of.is_some(),
        emergency_unverified: fact.emergency_unverified,
        escalations: c.escalations_total,
        conflicts: fact.conflicts,
        reopened,
        prank_score: c.assessment.score,
        reporter_phone_key: pseudonym(&p.key, phone),
        reporter_name_key: pseudonym(&p.key, c.reporter.name.trim()),
        personal: p
            .personal
            .then(|| [phone.to_owned(), c.reporter.name.clone(), c.description.clone(), c.location.address.clone()]),
        drill: c.ticket.is_drill() || c.drill.is_some(),
        verified_ms: fact.verified_at,
        trail: fact.entries.iter().map(|(s, at, _)| (state_of(*s).as_str(), *at)).collect(),
        escalations_ms: fact.escalations.iter().map(|(_, at)| *at).collect(),
    };
    (row, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Channel, Location, ReportedCase, Reporter};
    use crate::model::ids::{EventId, NodeCode, Phone, Ticket};
    use crate::model::sop::{Category, Priority};
    use crate::model::time::Hlc;

    fn reported() -> Event {
        Event {
            id: EventId { origin: NodeCode::parse("PLG").unwrap(), seq: 7 },
            hlc: Hlc::new(1_764_000_000_000, 3),
            case: Ticket::parse("PLG-251124-0001").unwrap(),
            actor: Actor::Citizen,
            sop_version: "2025.1".into(),
            prev_hash: [0; 32],
            drill: None,
            kind: EventKind::Reported(Box::new(ReportedCase {
                category: Category::Crime,
                priority: Priority::High,
                description: "Motor dicuri di depan rumah Budi".into(),
                reporter: Reporter { name: "Budi Santoso".into(), phone: Phone::parse("0812-3456-7890").unwrap() },
                location: Location {
                    regency: "Kota Palembang".into(),
                    address: "Jl. Merdeka No. 1".into(),
                    lat: Some(-2.97),
                    lon: Some(104.76),
                    regency_code: Some("16.71".into()),
                    village: Some("Talang Semut".into()),
                    ..Default::default()
                },
                channel: Channel::Web,
                token_hash: "ab".repeat(32),
                suggested_unit: None,
                assessment: Default::default(),
                attachments: vec!["media-1".into()],
            })),
            checked: vec![],
        }
    }

    #[test]
    fn reporters_are_pseudonymised_and_free_text_left_out() {
        let p = Privacy { personal: false, key: b"k1".to_vec() };
        let row = event_row(&reported(), 1, &p);
        let text = row.fields.clone();
        let fields: Value = serde_json::from_str(&text).unwrap();
        for secret in ["Budi", "3456", "Merdeka", "Talang", "104.76", "media-1", "abab"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(fields["reporter"]["phone_key"], pseudonym(b"k1", "+6281234567890"));
        assert_eq!(fields["location"]["regency_code"], "16.71");
        assert_eq!(fields["category"], "crime");
        assert_eq!((row.event_id.as_str(), row.kind, row.at_ms), ("PLG:7", "reported", 1_764_000_000_000));
        // another key, another pseudonym; personal data on: as written
        assert_ne!(pseudonym(b"k2", "+6281234567890"), pseudonym(b"k1", "+6281234567890"));
        let all = event_row(&reported(), 1, &Privacy { personal: true, key: b"k1".to_vec() });
        let all: Value = serde_json::from_str(&all.fields).unwrap();
        assert_eq!(all["reporter"]["name"], "Budi Santoso");
        assert_eq!(all["description"], "Motor dicuri di depan rumah Budi");
    }

    #[test]
    fn notes_are_left_out_but_codes_kept() {
        let mut ev = reported();
        ev.kind =
            EventKind::Rejected { reason: "prank".into(), note: "telp 0812 3456 7890".into(), duplicate_of: None };
        let p = Privacy { personal: false, key: b"k".to_vec() };
        let f = |ev: &Event| serde_json::from_str::<Value>(&event_row(ev, 1, &p).fields).unwrap();
        assert_eq!(f(&ev), serde_json::json!({"type": "rejected", "reason": "prank"}));
        ev.kind = EventKind::Reopened { reason: "Budi menelepon lagi".into() };
        assert_eq!(f(&ev), serde_json::json!({"type": "reopened"}));
    }

    /// The report written straight (`ScrubbedReport`) is the JSON the general path makes
    /// (`fields_value`), whatever is set or missing.
    #[test]
    fn the_written_report_is_the_scrubbed_value() {
        use crate::model::prank::{Assessment, Factor, Reason};
        let p = Privacy { personal: false, key: b"k1".to_vec() };
        let mut variants = vec![reported()];
        let mut ev = reported();
        ev.checked = vec!["Identitas pelapor dicatat".into()];
        if let EventKind::Reported(r) = &mut ev.kind {
            r.location = Location { regency: "Kab. Banyuasin".into(), ..Default::default() };
            r.suggested_unit = Some(crate::model::ids::UnitCode::parse("BAS").unwrap());
            r.assessment = Assessment {
                score: 70,
                reasons: vec![Reason { factor: Factor::Burst, weight: 40, detail: "5 laporan dari Budi".into() }],
                duplicate_candidates: vec![Ticket::parse("PLG-261128-0001").unwrap()],
                blocked: true,
            };
            r.location.district_code = Some("16.07.01".into());
            r.location.village_code = Some("16.07.01.2001".into());
        }
        variants.push(ev);
        for ev in variants {
            let written: Value = serde_json::from_str(&event_row(&ev, 1, &p).fields).unwrap();
            assert_eq!(written, fields_value(&ev, &p));
        }
    }
}
