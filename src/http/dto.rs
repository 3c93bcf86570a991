//! The wire format. Request and response types live here and are converted from the domain by
//! hand, so the API stays stable while the model changes. Times are RFC 3339 in WIB.

use crate::model::event::{Actor, Event, EventKind};
use crate::model::{Case, Millis};
use crate::service::App;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

pub fn wib(t: Millis) -> String {
    t.rfc3339(crate::model::time::WIB)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterIn {
    pub name: Option<String>,
    /// any common Indonesian form; stored as E.164 (+62...)
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationIn {
    /// a kabupaten/kota of South Sumatra: its code (`16.71`), official name or a common form
    /// ("Palembang", "OKI", "Kab. Banyuasin")
    pub regency: Option<String>,
    /// optional kecamatan of that regency, by code (`16.71.09`) or name
    pub district: Option<String>,
    /// optional desa/kelurahan, by code or name (of the kecamatan, if given)
    pub village: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// A new report. Citizens leave out `channel` and `priority`; call-takers (logged in) set
/// `channel` to `phone` or `walk_in` and may set `priority`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// information | feedback | appreciation | crime
    pub category: Option<String>,
    /// 10-4000 characters
    pub description: Option<String>,
    pub reporter: Option<ReporterIn>,
    pub location: Option<LocationIn>,
    pub channel: Option<String>,
    pub priority: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptOut {
    pub ticket: String,
    /// keep it: it unlocks public tracking
    pub token: String,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    pub at: String,
    pub text: String,
}

/// What anyone with the ticket and token may see: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusOut {
    pub ticket: String,
    pub category: String,
    pub category_label: String,
    pub status: String,
    pub status_label: String,
    pub created_at: String,
    pub updated_at: String,
    pub notes: Vec<NoteOut>,
    /// when the report was found to repeat an earlier one: that case's ticket and status
    pub duplicate_of: Option<OriginalOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OriginalOut {
    pub ticket: String,
    pub status: String,
    pub status_label: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub username: String,
    pub role: String,
    pub unit: Option<String>,
    pub node: String,
    /// send it back as `X-CSRF-Token` on every POST and DELETE
    pub csrf_token: String,
    /// when the session ends unless renewed (any request the user makes renews it)
    pub expires_at: String,
    /// the same, in seconds from now (immune to a wrong clock on the client)
    pub expires_in_s: u64,
    /// the staff pages the role may open (`konsol`, `pantau`, `audit`, `admin`), in menu order
    pub pages: Vec<String>,
    /// what the role may do (`read_cases`, `take_call`, `confirm_accounts`, `manage_users`, ...)
    pub may: Vec<String>,
}

/// An action on a case. Which fields are needed depends on `action`:
/// verify {method, priority?}, reject {reason, note?}, dispatch {unit, note?}, acknowledge {note?},
/// progress {note, public?}, resolve {summary}, close {note?}, reopen {reason}, note {text, public?},
/// link_duplicate {original, note?}. Verification methods: callback_confirmed, scene_confirmed,
/// caller_on_line, not_reachable.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    pub action: Option<String>,
    pub method: Option<String>,
    pub priority: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub unit: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub public: Option<bool>,
    /// link_duplicate: the ticket of the original
    pub original: Option<String>,
    /// the SOP checklist items of the current step that were ticked (their Indonesian text, as
    /// `sop_step.checklist[].id`); recorded in the event
    pub checked: Option<Vec<String>>,
}

/// A text of the SOP in Indonesian (`id`) and English (`en`, empty when the SOP gives none).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SopTextOut {
    pub id: String,
    pub en: String,
}

/// What the SOP says to do in a case's current state.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopStepOut {
    pub state: String,
    /// the step whose deadline runs (`verify`, `dispatch`, ...); absent in a final state
    pub step: Option<String>,
    /// absent when the case's SOP version writes no guidance (it shows the deadlines only)
    pub instruction: Option<SopTextOut>,
    pub checklist: Vec<SopTextOut>,
    pub roles: Vec<String>,
    /// when the step falls due (WIB), and the step's allowance in ms
    pub deadline: Option<String>,
    pub deadline_ms: Option<u64>,
    /// the escalation that follows if the deadline passes: the rung and its role
    pub next_rung: Option<RungOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RungOut {
    pub rung: u8,
    pub role: String,
    pub due_at: String,
}

pub fn sop_text(t: &crate::model::sop::Text) -> SopTextOut {
    SopTextOut { id: t.id.clone(), en: t.en.clone() }
}

/// The SOP step of a case in its current state, under the version it was opened with.
pub fn sop_step(app: &App, c: &Case) -> SopStepOut {
    let sop = app.sop_for(&c.sop_version);
    let g = sop.guide(c.category, c.state);
    let step = crate::model::Step::pending_in(c.state);
    let due = c.step_due(&sop);
    SopStepOut {
        state: c.state.as_str().to_owned(),
        step: step.map(|s| s.as_str().to_owned()),
        instruction: g.map(|g| sop_text(&g.instruction)),
        checklist: g.map(|g| g.checklist.iter().map(sop_text).collect()).unwrap_or_default(),
        roles: g.map(|g| g.roles.clone()).unwrap_or_default(),
        deadline: due.map(|(_, d)| wib(d)),
        deadline_ms: step.and_then(|s| sop.deadline_ms(c.category, s, c.priority)),
        next_rung: c.next_deadline(&sop).map(|d| RungOut {
            rung: d.rung,
            role: sop.ladder_role(d.rung).to_owned(),
            due_at: wib(d.due),
        }),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineOut {
    pub step: String,
    pub due_at: String,
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    pub factor: String,
    pub weight: u32,
    pub detail: String,
}

/// The prank score at intake and why (it orders and marks; it never rejects by itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct PrankOut {
    pub score: u32,
    /// at or above the SOP's `mark_at`: shown as suspect, sorted after others of its priority
    pub marked: bool,
    /// the number was blocked when it reported
    pub blocked: bool,
    pub reasons: Vec<ReasonOut>,
    pub duplicate_candidates: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummaryOut {
    pub ticket: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub status_label: String,
    pub channel: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub regency: String,
    pub excerpt: String,
    pub unit: Option<String>,
    pub owner: String,
    pub created_at: String,
    pub updated_at: String,
    pub deadline: Option<DeadlineOut>,
    pub escalation_rung: u8,
    pub conflicts: usize,
    pub prank: PrankOut,
    /// an emergency dispatched before it was verified
    pub dispatched_unverified: bool,
    /// Latihan: the drill this case belongs to (absent on real cases); shown marked LATIHAN
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueOut {
    pub items: Vec<CaseSummaryOut>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// pass as `after` for the page that follows (absent on the last page)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// `ORIGIN:SEQ`
    pub id: String,
    pub at: String,
    pub actor: String,
    pub actor_role: Option<String>,
    /// the acting officer's full name, pangkat and NRP, when this node's account has them
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_identity: Option<IdentityOut>,
    #[serde(rename = "type")]
    pub kind: String,
    pub sop_version: String,
    #[schema(value_type = Object)]
    pub details: Value,
    /// the SOP checklist items ticked with this action
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<String>,
}

/// Who an officer is (each part may be empty).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityOut {
    pub full_name: String,
    pub pangkat: String,
    pub nrp: String,
}

impl From<crate::service::auth::Identity> for IdentityOut {
    fn from(i: crate::service::auth::Identity) -> Self {
        IdentityOut { full_name: i.full_name, pangkat: i.pangkat, nrp: i.nrp }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictOut {
    pub event: String,
    pub reason: String,
}

/// A reporter's record: one E.164 number's history with the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterRecordOut {
    pub reports: u32,
    pub verified: u32,
    /// rejected reports by reason
    pub rejected: std::collections::BTreeMap<String, u32>,
    pub duplicates_linked: u32,
    pub pranks_in_window: u32,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// set while the number is blocked
    pub blocked_until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// a WhatsApp media id, or `sha256:<hex>` for a photo sent with a web report
    pub media_id: String,
    /// set once the file is kept (a web photo at once, a WhatsApp photo once fetched from the
    /// Graph API): `GET /api/v1/cases/{ticket}/photos/{sha256}` serves it
    pub sha256: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockOut {
    pub since: String,
    pub until: String,
    pub reason: String,
    pub by: String,
    pub lifted_at: Option<String>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterOut {
    pub phone: String,
    pub record: ReporterRecordOut,
    /// every block this number had, oldest first
    pub blocks: Vec<BlockOut>,
    pub cases: Vec<CaseSummaryOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedNumberOut {
    pub phone: String,
    pub block: BlockOut,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockIn {
    pub reason: Option<String>,
    /// how long; default: the SOP's `block_for`
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrankDayOut {
    /// YYYY-MM-DD in WIB
    pub day: String,
    pub channel: String,
    pub reports: u32,
    pub pranks: u32,
    /// pranks / reports
    pub rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrankFiguresOut {
    pub days: Vec<PrankDayOut>,
    /// emergency crime reports dispatched before verification (all time)
    pub emergency_dispatched_unverified: u32,
    pub blocked_now: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    #[serde(flatten)]
    pub summary: CaseSummaryOut,
    pub description: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// the place with its official codes
    pub location: LocationOut,
    pub suggested_unit: Option<String>,
    /// once its Polres has acknowledged it: the Polsek whose kecamatan holds the case
    pub suggested_polsek: Option<String>,
    /// the name of the unit holding the case (a Polsek's as its post's list says)
    pub unit_name: Option<String>,
    pub sop_version: String,
    /// what the SOP says to do now: instruction, checklist, deadline, the rung that follows
    pub sop_step: SopStepOut,
    pub verification: Option<String>,
    pub reject_reason: Option<String>,
    pub resolution: Option<String>,
    pub conflict_details: Vec<ConflictOut>,
    /// how this reporter's number behaved before (all its cases)
    pub reporter_record: ReporterRecordOut,
    /// set when this case was linked as a duplicate of another
    pub duplicate_of: Option<String>,
    /// cases linked to this one as duplicates (their reporters are kept there)
    pub duplicates: Vec<String>,
    /// photos sent with the report
    pub attachments: Vec<AttachmentOut>,
    /// the actions your role may take now
    pub allowed_actions: Vec<String>,
    pub history: Vec<EventOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub node: String,
    pub regency: Option<String>,
    /// the regency's official code (`16.71`)
    pub regency_code: Option<String>,
    /// a Polsek's Polres
    pub parent: Option<String>,
    /// the kecamatan codes a Polsek covers
    pub districts: Vec<String>,
    /// an example entry of the data, not a real list
    pub example: bool,
    pub seat: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub handles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaOut {
    pub code: String,
    pub name: String,
    /// a desa/kelurahan's kecamatan code
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// One regency's kecamatan and desa/kelurahan, in code order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreasOut {
    pub regency: AreaOut,
    pub districts: Vec<AreaOut>,
    pub villages: Vec<AreaOut>,
    /// the data's source and license (ODbL)
    pub attribution: String,
}

/// Where a case happened: the names and the official codes (null when not given; reports filed
/// before the codes were kept have only the regency's name).
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationOut {
    pub regency: String,
    pub regency_code: Option<String>,
    /// the kecamatan's official name
    pub district: Option<String>,
    pub district_code: Option<String>,
    /// the kecamatan as the reporter typed it
    pub district_typed: Option<String>,
    pub village: Option<String>,
    pub village_code: Option<String>,
    pub village_typed: Option<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

pub fn location(app: &App, l: &crate::model::event::Location) -> LocationOut {
    use crate::model::wilayah::Level;
    let name = |level, code: &Option<String>| {
        code.as_deref().and_then(|c| app.units.areas.get(level, c)).map(|a| a.name.clone())
    };
    LocationOut {
        regency: l.regency.clone(),
        regency_code: l.regency_code.clone(),
        district: name(Level::District, &l.district_code),
        district_code: l.district_code.clone(),
        district_typed: l.district.clone(),
        village: name(Level::Village, &l.village_code),
        village_code: l.village_code.clone(),
        village_typed: l.village.clone(),
        address: l.address.clone(),
        lat: l.lat,
        lon: l.lon,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainOut {
    pub origin: String,
    pub events: u64,
    pub ok: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrityOut {
    pub ok: bool,
    pub chains: Vec<ChainOut>,
    pub access_log_ok: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntryOut {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub from: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogOut {
    /// the log's hash chain holds from its first entry
    pub chain_ok: bool,
    /// newest first
    pub entries: Vec<AccessEntryOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
    pub node: String,
    pub version: String,
}

pub fn summary(app: &App, c: &Case, now: Millis) -> CaseSummaryOut {
    let deadline = crate::service::cases::pending(app, c).map(|(step, due)| DeadlineOut {
        step: step.as_str().to_owned(),
        due_at: wib(due),
        overdue: due <= now,
    });
    let excerpt: String = c.description.chars().take(140).collect();
    CaseSummaryOut {
        ticket: c.ticket.to_string(),
        category: c.category.as_str().to_owned(),
        priority: c.priority.as_str().to_owned(),
        status: c.state.as_str().to_owned(),
        status_label: c.state.label_id().to_owned(),
        channel: c.channel.as_str().to_owned(),
        reporter_name: c.reporter.name.clone(),
        reporter_phone: c.reporter.phone.to_string(),
        regency: c.location.regency.clone(),
        excerpt,
        unit: c.unit.as_ref().map(|u| u.to_string()),
        owner: c.owner.to_string(),
        created_at: wib(c.created),
        updated_at: wib(c.updated),
        deadline,
        escalation_rung: c.escalation_rung,
        conflicts: c.conflicts.len(),
        prank: PrankOut {
            score: c.assessment.score,
            marked: c.assessment.marked(&app.sop_for(&c.sop_version).prank),
            blocked: c.assessment.blocked,
            reasons: c
                .assessment
                .reasons
                .iter()
                .map(|r| ReasonOut { factor: r.factor.as_str().to_owned(), weight: r.weight, detail: r.detail.clone() })
                .collect(),
            duplicate_candidates: c.assessment.duplicate_candidates.iter().map(|t| t.to_string()).collect(),
        },
        dispatched_unverified: c.dispatched_unverified,
        drill: c.drill.clone(),
    }
}

pub fn record(
    r: &crate::model::prank::ReporterRecord,
    block: Option<&crate::model::prank::Block>,
) -> ReporterRecordOut {
    ReporterRecordOut {
        reports: r.reports,
        verified: r.verified,
        rejected: r.rejected.clone(),
        duplicates_linked: r.duplicates_linked,
        pranks_in_window: r.pranks_in_window,
        first_seen: r.first_seen.map(wib),
        last_seen: r.last_seen.map(wib),
        blocked_until: block.map(|b| wib(b.until)),
    }
}

pub fn block(b: &crate::model::prank::Block) -> BlockOut {
    BlockOut {
        since: wib(b.since),
        until: wib(b.until),
        reason: b.reason.clone(),
        by: b.by.clone(),
        lifted_at: b.lifted.as_ref().map(|l| wib(l.at)),
        lifted_by: b.lifted.as_ref().map(|l| l.by.clone()),
        lift_reason: b.lifted.as_ref().map(|l| l.reason.clone()),
    }
}

pub fn event(e: &Event) -> EventOut {
    let (actor, actor_role) = match &e.actor {
        Actor::Citizen => ("pelapor".to_owned(), None),
        Actor::Staff { user, role, .. } => (user.clone(), Some(role.as_str().to_owned())),
        Actor::System { node } => (format!("sistem {node}"), None),
    };
    let details = match &e.kind {
        EventKind::Reported(r) => json!({
            "category": r.category.as_str(),
            "priority": r.priority.as_str(),
            "channel": r.channel.as_str(),
            "regency": r.location.regency,
        }),
        EventKind::Verified { method, priority } => {
            json!({"method": method, "priority": priority.as_str()})
        }
        EventKind::Rejected { reason, note, duplicate_of } => {
            json!({"reason": reason, "note": note, "duplicate_of": duplicate_of.as_ref().map(|t| t.as_str())})
        }
        EventKind::DuplicateLinked { duplicate } => json!({"duplicate": duplicate.as_str()}),
        EventKind::Dispatched { unit, node, note, takeover } => {
            json!({"unit": unit.as_str(), "node": node.as_str(), "note": note, "takeover": takeover})
        }
        EventKind::Acknowledged { note } | EventKind::Closed { note } => json!({"note": note}),
        EventKind::Progressed { note, public } => json!({"note": note, "public": public}),
        EventKind::Resolved { summary } => json!({"summary": summary}),
        EventKind::Reopened { reason } => json!({"reason": reason}),
        EventKind::Noted { text, public } => json!({"text": text, "public": public}),
        EventKind::Escalated { step, rung, to_role, due } => {
            json!({"step": step.as_str(), "rung": rung, "to_role": to_role, "due_at": wib(*due)})
        }
    };
    EventOut {
        id: e.id.to_string(),
        at: wib(e.hlc.millis()),
        actor,
        actor_role,
        actor_identity: None,
        kind: e.kind.name().to_owned(),
        sop_version: e.sop_version.clone(),
        details,
        checked: e.checked.clone(),
    }
}

/// A case as the board shows it (no personal data).
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardCaseOut {
    pub ticket: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub regency: String,
    pub unit: Option<String>,
    pub due_at: Option<String>,
    pub escalation_rung: u8,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// the unit's name from the units directory
    pub unit_name: Option<String>,
    /// overdue or escalated: shown until handled
    pub alarm: bool,
}

/// Open cases without coordinates in a regency, or in one of its kecamatan: placed at the
/// regency's seat (approximate, from the units directory; `null` for a regency the directory
/// does not know), or at a stable approximate point near it for the kecamatan
/// (`model::wilayah::approximate_point`: the data has no kecamatan coordinates).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnlocatedOut {
    pub regency: String,
    /// the kecamatan's code and name (null: the reports named none)
    pub district_code: Option<String>,
    pub district: Option<String>,
    /// the point is computed, not measured
    pub approximate: bool,
    pub seat: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub open: u32,
    /// of them, overdue or escalated
    pub alarm: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitShareOut {
    pub unit: String,
    /// the unit's name from the units directory
    pub name: String,
    pub cases: u32,
    /// cases that never escalated and are not overdue now
    pub met: u32,
    /// met / cases
    pub share: f64,
}

/// The Command Center board. "Today" is the calendar day in WIB.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardOut {
    pub node: String,
    pub now: String,
    pub day_start: String,
    pub reported_today: u32,
    pub today_by_status: std::collections::BTreeMap<String, u32>,
    pub today_by_category: std::collections::BTreeMap<String, u32>,
    pub open: u32,
    pub overdue: Vec<BoardCaseOut>,
    pub escalated: Vec<BoardCaseOut>,
    pub escalations_today: u32,
    pub units: Vec<UnitShareOut>,
    /// open cases with coordinates, newest first (bounded)
    pub points: Vec<BoardCaseOut>,
    /// open cases without coordinates, per regency and kecamatan
    pub unlocated: Vec<UnlocatedOut>,
    /// open cases per kecamatan (those that name one), most first
    pub open_by_district: Vec<DistrictCountOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictCountOut {
    pub code: String,
    pub name: String,
    pub regency_code: String,
    pub open: u32,
}

fn district_name(app: &App, code: &str) -> Option<String> {
    app.units.areas.get(crate::model::wilayah::Level::District, code).map(|a| a.name.clone())
}

pub fn unit_name(app: &App, code: &str) -> Option<String> {
    app.directory().units.iter().find(|u| u.code.as_str() == code).map(|u| u.name.clone())
}

fn board_case(app: &App, m: &crate::model::board::Mark) -> BoardCaseOut {
    BoardCaseOut {
        ticket: m.ticket.clone(),
        category: m.category.to_owned(),
        priority: m.priority.to_owned(),
        status: m.status.to_owned(),
        regency: m.regency.clone(),
        unit: m.unit.clone(),
        due_at: m.due.map(wib),
        escalation_rung: m.rung,
        lat: m.lat,
        lon: m.lon,
        unit_name: m.unit.as_deref().and_then(|u| unit_name(app, u)),
        alarm: m.alarm,
    }
}

pub fn board(app: &App, b: &crate::model::board::Board, now: Millis) -> BoardOut {
    let map =
        |m: &std::collections::BTreeMap<&'static str, u32>| m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    BoardOut {
        node: app.node.to_string(),
        now: wib(now),
        day_start: wib(b.day_start),
        reported_today: b.reported_today,
        today_by_status: map(&b.today_by_status),
        today_by_category: map(&b.today_by_category),
        open: b.open,
        overdue: b.overdue.iter().map(|m| board_case(app, m)).collect(),
        escalated: b.escalated.iter().map(|m| board_case(app, m)).collect(),
        escalations_today: b.escalations_today,
        units: b
            .units
            .iter()
            .map(|(u, s)| UnitShareOut {
                unit: u.clone(),
                name: unit_name(app, u).unwrap_or_else(|| u.clone()),
                cases: s.cases,
                met: s.met,
                share: if s.cases == 0 { 1.0 } else { f64::from(s.met) / f64::from(s.cases) },
            })
            .collect(),
        points: b.points.iter().map(|m| board_case(app, m)).collect(),
        unlocated: b
            .unlocated
            .iter()
            .map(|((regency, district), n)| {
                let seat = app.units.unit_for_regency(regency);
                let at = seat.and_then(|u| u.lat.zip(u.lon));
                let point = match (at, district) {
                    (Some((lat, lon)), Some(d)) => Some(crate::model::wilayah::approximate_point(lat, lon, d)),
                    _ => at,
                };
                UnlocatedOut {
                    regency: regency.clone(),
                    district_code: district.clone(),
                    district: district.as_deref().and_then(|d| district_name(app, d)),
                    approximate: true,
                    seat: seat.and_then(|u| u.seat.clone()),
                    lat: point.map(|p| p.0),
                    lon: point.map(|p| p.1),
                    open: n.open,
                    alarm: n.alarm,
                }
            })
            .collect(),
        open_by_district: {
            let mut v: Vec<DistrictCountOut> = b
                .open_by_district
                .iter()
                .map(|(code, open)| DistrictCountOut {
                    code: code.clone(),
                    name: district_name(app, code).unwrap_or_else(|| code.clone()),
                    regency_code: code.get(..5).unwrap_or_default().to_owned(),
                    open: *open,
                })
                .collect();
            v.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| a.code.cmp(&b.code)));
            v
        },
    }
}

/// A Surat Tanda Penerimaan Laporan: what the printed receipt shows. Times in WIB.
#[derive(Debug, Serialize, ToSchema)]
pub struct StplOut {
    pub ticket: String,
    pub received_at: String,
    pub category: String,
    pub category_label: String,
    pub priority: String,
    /// web, phone, walk_in or whatsapp
    pub channel: String,
    pub regency: String,
    pub polda: String,
    pub receiving_unit: String,
    pub command_center: String,
    /// the report as filed: staff only (the reporter's receipt page adds what they typed)
    pub report: Option<StplReportOut>,
    /// the officer who took a phone call or walk-in
    pub officer: Option<StplOfficerOut>,
    pub next_steps: Vec<StplStepOut>,
    /// the tracking code, when the request gave the right one
    pub token: Option<String>,
    pub tracking_link: String,
    pub qr: QrOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StplReportOut {
    pub description: String,
    pub address: String,
    pub reporter_name: String,
    pub reporter_phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StplOfficerOut {
    pub username: String,
    pub full_name: String,
    pub pangkat: String,
    pub nrp: String,
}

/// One step ahead under the SOP and its deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct StplStepOut {
    pub step: String,
    pub within_ms: u64,
}

/// A QR code: draw `path` (dark modules) in `viewBox="0 0 {size+8} {size+8}"`.
#[derive(Debug, Serialize, ToSchema)]
pub struct QrOut {
    pub size: usize,
    pub path: String,
}

pub fn stpl(s: crate::service::stpl::Stpl) -> StplOut {
    StplOut {
        ticket: s.ticket.to_string(),
        received_at: wib(s.created),
        category: s.category.as_str().to_owned(),
        category_label: s.category_label,
        priority: s.priority.as_str().to_owned(),
        channel: s.channel.as_str().to_owned(),
        regency: s.regency,
        polda: s.polda,
        receiving_unit: s.receiving_unit,
        command_center: s.command_center,
        report: s.report.map(|r| StplReportOut {
            description: r.description,
            address: r.address,
            reporter_name: r.reporter_name,
            reporter_phone: r.reporter_phone,
        }),
        officer: s.officer.map(|(username, i)| StplOfficerOut {
            username,
            full_name: i.full_name,
            pangkat: i.pangkat,
            nrp: i.nrp,
        }),
        next_steps: s
            .next_steps
            .into_iter()
            .map(|(step, ms)| StplStepOut { step: step.as_str().to_owned(), within_ms: ms })
            .collect(),
        token: s.token,
        tracking_link: s.link,
        qr: QrOut { size: s.qr.size, path: s.qr.path },
    }
}

/// `GET /api/v1/sync/status`: this node and each of its sync links.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStatusOut {
    pub node: String,
    /// `hub` (no parent: the root of the tree) or `post`
    pub role: String,
    pub version: String,
    pub peers: Vec<SyncPeerOut>,
    /// the export to PostgreSQL, when configured
    pub export: Option<SyncExportOut>,
}

/// The export to PostgreSQL as the sync panel shows it (`banpol export status` says more).
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncExportOut {
    /// connecting, exporting, caught_up, retrying, stopped
    pub state: String,
    pub lag_events: u64,
    pub lag_seconds: f64,
    /// events per second, lately
    pub rate: f64,
    pub last_error: Option<String>,
}

pub fn sync_export(s: crate::service::export::Status) -> Option<SyncExportOut> {
    let on = !s.state.is_empty();
    on.then_some(SyncExportOut {
        state: s.state,
        lag_events: s.lag_events,
        lag_seconds: s.lag_seconds,
        rate: s.rate,
        last_error: s.last_error,
    })
}

/// One sync link as this node sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncPeerOut {
    pub node: String,
    /// `parent` (this node's upstream) or `child`
    pub direction: String,
    pub connected: bool,
    pub last_contact: Option<String>,
    /// events one side holds that the other has not acknowledged yet
    pub events_waiting: u64,
    /// age of the oldest event waiting, in seconds
    pub lag_seconds: Option<f64>,
    pub last_error: Option<String>,
    /// the version the peer runs, as it last told
    pub version: Option<String>,
    /// for a child: the last seq of its log this node holds
    pub held_seq: Option<u64>,
    /// for a child: its update state as it last told (what runs, the last rollback)
    #[schema(value_type = Option<Object>)]
    pub update: Option<Value>,
    /// the SOP version the peer runs for new cases, as it last told
    pub sop_version: Option<String>,
    /// why this node refused the last SOP its parent offered (a `sop_*` code and its reason)
    pub sop_refused: Option<String>,
}

pub fn sync_peer(p: crate::service::sync::PeerStatus) -> SyncPeerOut {
    SyncPeerOut {
        node: p.node,
        direction: p.direction.to_owned(),
        connected: p.connected,
        last_contact: p.last_contact.map(wib),
        events_waiting: p.events_waiting,
        lag_seconds: p.lag_seconds,
        last_error: p.last_error,
        version: p.version,
        held_seq: p.held_seq,
        update: p.update,
        sop_version: p.sop_version,
        sop_refused: p.sop_refused,
    }
}

/// `POST /api/v1/releases`: the release now offered to this node's children.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseOut {
    pub version: String,
    pub cohort: CohortOut,
    /// bytes of the archive
    pub size: u64,
}

/// Who gets a release, in order: the canaries, then a share of the others, then every node.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortOut {
    pub canary: Vec<String>,
    pub share_percent: u8,
    pub all_after: Option<String>,
}

// ----- the SOP document and its versions ------------------------------------------------------

/// One step's guidance in the SOP document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopGuideOut {
    pub state: String,
    /// the step whose deadline runs in this state
    pub step: String,
    pub instruction: SopTextOut,
    pub checklist: Vec<SopTextOut>,
    pub roles: Vec<String>,
}

/// A step's deadline per priority, in ms.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopDeadlineOut {
    pub step: String,
    pub priority: String,
    pub ms: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SopCategoryOut {
    pub id: String,
    pub label: String,
    pub default_unit_kind: String,
    pub priorities: Vec<String>,
    pub deadlines: Vec<SopDeadlineOut>,
    pub notify_reporter_on: Vec<String>,
    /// empty when the version writes no guidance (deadlines only)
    pub guide: Vec<SopGuideOut>,
    /// what the call-taker asks before filing a report of this category
    pub intake: Vec<SopTextOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SopPrankOut {
    pub repeat_window_ms: u64,
    pub block_after: u32,
    pub block_review_by: String,
    pub duplicate_window_ms: u64,
    pub block_for_ms: u64,
    pub mark_at: u32,
}

/// An SOP version as a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopDocOut {
    pub version: String,
    pub timezone: String,
    pub escalation_ladder: Vec<String>,
    pub reject_reasons: Vec<String>,
    pub categories: Vec<SopCategoryOut>,
    pub prank: SopPrankOut,
}

pub fn sop_doc(s: &crate::model::Sop) -> SopDocOut {
    use crate::model::sop::GUIDED_STATES;
    SopDocOut {
        version: s.version.clone(),
        timezone: s.timezone.clone(),
        escalation_ladder: s.escalation_ladder.clone(),
        reject_reasons: s.reject_reasons.clone(),
        categories: s
            .categories
            .iter()
            .map(|c| SopCategoryOut {
                id: c.id.as_str().to_owned(),
                label: c.label.clone(),
                default_unit_kind: c.default_unit_kind.clone(),
                priorities: c.priorities.iter().map(|p| p.as_str().to_owned()).collect(),
                deadlines: c
                    .deadlines
                    .iter()
                    .map(|((st, p), ms)| SopDeadlineOut {
                        step: st.as_str().to_owned(),
                        priority: p.as_str().to_owned(),
                        ms: *ms,
                    })
                    .collect(),
                notify_reporter_on: c.notify_reporter_on.iter().map(|s| s.as_str().to_owned()).collect(),
                guide: GUIDED_STATES
                    .iter()
                    .filter_map(|st| {
                        let g = c.guide.get(st)?;
                        Some(SopGuideOut {
                            state: st.as_str().to_owned(),
                            step: crate::model::Step::pending_in(*st).map(|s| s.as_str()).unwrap_or("").to_owned(),
                            instruction: sop_text(&g.instruction),
                            checklist: g.checklist.iter().map(sop_text).collect(),
                            roles: g.roles.clone(),
                        })
                    })
                    .collect(),
                intake: c.intake.iter().map(sop_text).collect(),
            })
            .collect(),
        prank: SopPrankOut {
            repeat_window_ms: s.prank.repeat_window_ms,
            block_after: s.prank.block_after,
            block_review_by: s.prank.block_review_by.clone(),
            duplicate_window_ms: s.prank.duplicate_window_ms,
            block_for_ms: s.prank.block_for_ms,
            mark_at: s.prank.mark_at,
        },
    }
}

/// One step of a version's life.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopTransitionOut {
    /// draft, edit, submit, return, approve, ratify or received
    pub action: String,
    pub by: String,
    pub role: String,
    pub at: String,
    pub comment: String,
    pub section: String,
}

/// A version in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopVersionOut {
    pub version: String,
    /// draft, legal_review, approved, ratified, in_force or superseded
    pub stage: String,
    /// the hub's ratification number (absent: not ratified, or a locally loaded file)
    pub serial: Option<u64>,
    pub effective_from: Option<String>,
    pub ratified_by: Option<String>,
    pub ratified_at: Option<String>,
    /// a file this node loaded itself (stand-alone), not one distributed by the hub
    pub local: bool,
    pub history: Vec<SopTransitionOut>,
}

/// One version in full: the list entry, its TOML text and, when it parses, the document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopVersionDetailOut {
    #[serde(flatten)]
    pub version: SopVersionOut,
    pub text: String,
    pub document: Option<SopDocOut>,
    /// the signed form a post takes (`POST /api/v1/sop/signed`), once ratified
    #[schema(value_type = Option<Object>)]
    pub signed: Option<crate::service::sop::SignedSop>,
}

/// The version in force on this node, as a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopOut {
    #[serde(flatten)]
    pub version: SopVersionOut,
    pub document: SopDocOut,
}

pub fn sop_version(r: &crate::service::sop::Record, stage: crate::model::sop::Stage) -> SopVersionOut {
    SopVersionOut {
        version: r.version.clone(),
        stage: stage.as_str().to_owned(),
        serial: r.seal.as_ref().map(|s| s.serial),
        effective_from: r.seal.as_ref().map(|s| wib(s.effective_from)),
        ratified_by: r.seal.as_ref().map(|s| s.ratified_by.clone()),
        ratified_at: r.seal.as_ref().map(|s| wib(s.ratified_at)),
        local: r.seal.is_none() && r.history.is_empty(),
        history: r
            .history
            .iter()
            .map(|t| SopTransitionOut {
                action: t.action.clone(),
                by: t.by.clone(),
                role: t.role.clone(),
                at: wib(t.at),
                comment: t.comment.clone(),
                section: t.section.clone(),
            })
            .collect(),
    }
}

/// A draft as JSON (the TOML text may also be sent as the body itself, `application/toml`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SopDraftIn {
    pub text: String,
}

/// A move in a version's life: submit (drafter), return or approve (legal), ratify (ratifier).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SopActionIn {
    pub action: String,
    pub comment: Option<String>,
    /// the part of the SOP a legal comment is about (e.g. `crime.guide.new`)
    pub section: Option<String>,
    /// ratify: from when the version governs new cases (RFC 3339; default: now)
    pub effective_from: Option<String>,
}

/// The outcome of installing a signed SOP.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopReceivedOut {
    pub version: String,
    /// false: this node held it already
    pub installed: bool,
}
