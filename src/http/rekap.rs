//! The recap's wire formats: JSON (`RecapOut`), and one flat table (a row per group, then the
//! total) for CSV (UTF-8 with BOM, `,` or `;`) and XLSX (`rust_xlsxwriter`: a header row, number
//! formats). Converted by hand from `service::recap::RecapView`.

use super::dto::wib;
use crate::model::recap::{Dim, Figures, ShiftRecap, StepFigures, DEFINITIONS};
use crate::model::Step;
use crate::service::recap::RecapView;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    /// verify | dispatch | acknowledge | first_action | resolve
    pub step: String,
    pub done: u64,
    pub within: u64,
    pub late: u64,
    /// pending at the period end past its deadline
    pub overdue: u64,
    /// pending at the period end within its deadline
    pub not_yet: u64,
    /// late + overdue
    pub missed: u64,
    /// within / (done + overdue); null when both are 0
    pub share_within: Option<f64>,
    pub median_s: Option<u64>,
    pub p90_s: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresOut {
    pub received: u64,
    /// state at the period end -> cases
    pub by_state: BTreeMap<String, u64>,
    pub verified: u64,
    /// reason -> cases rejected (at the period end)
    pub rejected: BTreeMap<String, u64>,
    pub rejected_total: u64,
    pub duplicates: u64,
    pub steps: Vec<StepOut>,
    /// rung -> escalations
    pub escalations: BTreeMap<String, u64>,
    pub emergency_unverified: u64,
    pub reopened: u64,
    pub conflicts: u64,
    pub pranks: u64,
    /// pranks / received; null when nothing was received
    pub prank_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// dimension -> value, one per `group_by` (a kecamatan by its code; empty: not given)
    pub key: BTreeMap<String, String>,
    /// dimension -> the value's name, where it has one (`district`: the kecamatan's name)
    pub names: BTreeMap<String, String>,
    pub figures: FiguresOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficerStepOut {
    pub step: String,
    pub count: u64,
    pub median_s: Option<u64>,
    pub p90_s: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficerOut {
    pub user: String,
    pub cases: u64,
    pub steps: Vec<OfficerStepOut>,
}

/// A recap: reports received in `[from, to)`, followed up to `end`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecapOut {
    pub node: String,
    pub from: String,
    pub to: String,
    pub end: String,
    pub generated_at: String,
    pub definitions: String,
    pub group_by: Vec<String>,
    pub total: FiguresOut,
    pub groups: Vec<GroupOut>,
    /// per duty officer (ka_siaga, leader, auditor, propam only; otherwise null)
    pub officers: Option<Vec<OfficerOut>>,
    /// numbers blocked and lifted in the period (not for a unit officer: 0)
    pub numbers_blocked: u64,
    pub numbers_lifted: u64,
    /// reporter notices (WhatsApp) to the reporters of the cases covered, queued before `end`:
    /// handed to WhatsApp, failed, still waiting. Only the node that runs WhatsApp has them.
    pub notices_sent: u64,
    pub notices_failed: u64,
    pub notices_pending: u64,
    /// the SOP's shifts, for the period picker
    pub shifts: Vec<String>,
    /// the tickets behind the figures (drill-down), when `tickets=true`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tickets: Option<Vec<String>>,
}

fn secs(ms: Option<u64>) -> Option<u64> {
    ms.map(|m| m.div_ceil(1000))
}

fn step_out(s: &StepFigures) -> StepOut {
    StepOut {
        step: s.step.map(Step::as_str).unwrap_or_default().to_owned(),
        done: s.done,
        within: s.within,
        late: s.late,
        overdue: s.overdue,
        not_yet: s.not_yet,
        missed: s.missed(),
        share_within: s.share_within(),
        median_s: secs(s.median_ms),
        p90_s: secs(s.p90_ms),
    }
}

pub fn figures_out(f: &Figures) -> FiguresOut {
    FiguresOut {
        received: f.received,
        by_state: f.by_state.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        verified: f.verified,
        rejected: f.rejected.clone(),
        rejected_total: f.rejected_total(),
        duplicates: f.duplicates,
        steps: f.steps.iter().map(step_out).collect(),
        escalations: f.escalations.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        emergency_unverified: f.emergency_unverified,
        reopened: f.reopened,
        conflicts: f.conflicts,
        pranks: f.pranks,
        prank_rate: f.prank_rate(),
    }
}

pub fn recap_out(node: &str, v: &RecapView, now: crate::model::Millis, tickets: bool) -> RecapOut {
    let dims: Vec<String> = v.group_by.iter().map(|d| d.as_str().to_owned()).collect();
    RecapOut {
        node: node.to_owned(),
        from: wib(v.from),
        to: wib(v.to),
        end: wib(v.end),
        generated_at: wib(now),
        definitions: DEFINITIONS.to_owned(),
        group_by: dims.clone(),
        total: figures_out(&v.recap.total),
        groups: v
            .recap
            .groups
            .iter()
            .map(|(k, f)| GroupOut {
                key: dims.iter().cloned().zip(k.iter().cloned()).collect(),
                names: v
                    .group_by
                    .iter()
                    .zip(k)
                    .filter(|(d, _)| **d == Dim::District)
                    .filter_map(|(d, code)| Some((d.as_str().to_owned(), v.district_names.get(code)?.clone())))
                    .collect(),
                figures: figures_out(f),
            })
            .collect(),
        officers: v.officers.then(|| {
            v.recap
                .officers
                .iter()
                .map(|o| OfficerOut {
                    user: o.user.clone(),
                    cases: o.cases,
                    steps: Step::ALL
                        .iter()
                        .zip(&o.steps)
                        .map(|(s, (n, med, p90))| OfficerStepOut {
                            step: s.as_str().to_owned(),
                            count: *n,
                            median_s: secs(*med),
                            p90_s: secs(*p90),
                        })
                        .collect(),
                })
                .collect()
        }),
        numbers_blocked: v.blocked,
        numbers_lifted: v.lifted,
        notices_sent: v.notices.sent,
        notices_failed: v.notices.failed,
        notices_pending: v.notices.pending,
        shifts: v.shifts.clone(),
        tickets: tickets.then(|| v.recap.tickets.clone()),
    }
}

/// One cell of the export table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(u64),
    /// a share 0..1 (XLSX: percent format)
    Share(Option<f64>),
    /// minutes (XLSX: one decimal)
    Minutes(Option<f64>),
}

const STATES: [&str; 8] =
    ["new", "verified", "rejected", "dispatched", "acknowledged", "in_progress", "resolved", "closed"];

/// The export table: a header, then a row per group and a last row `total`.
pub fn table(v: &RecapView) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut head: Vec<String> = Vec::new();
    for d in &v.group_by {
        head.push(d.as_str().to_owned());
        if *d == Dim::District {
            head.push("district_name".into());
        }
    }
    if head.is_empty() {
        head.push("group".into());
    }
    let fixed = [
        "received",
        "verified",
        "rejected",
        "rejected_prank",
        "duplicates",
        "prank_rate",
        "emergency_unverified",
        "reopened",
        "conflicts",
        "escalations_rung1",
        "escalations_rung2",
        "escalations_rung3",
    ];
    head.extend(fixed.iter().map(|s| (*s).to_owned()));
    head.extend(STATES.iter().map(|s| format!("status_{s}")));
    for s in Step::ALL {
        for col in ["done", "within", "late", "overdue", "not_yet", "share_within", "median_min", "p90_min"] {
            head.push(format!("{}_{col}", s.as_str()));
        }
    }
    let row = |key: Vec<String>, f: &Figures| -> Vec<Cell> {
        let mut r: Vec<Cell> = Vec::new();
        for (i, k) in key.into_iter().enumerate() {
            let district = v.group_by.get(i) == Some(&Dim::District);
            let name = v.district_names.get(&k).cloned().unwrap_or_default();
            r.push(Cell::Text(k));
            if district {
                r.push(Cell::Text(name));
            }
        }
        let esc = |n: u8| f.escalations.get(&n).copied().unwrap_or(0);
        r.extend([
            Cell::Int(f.received),
            Cell::Int(f.verified),
            Cell::Int(f.rejected_total()),
            Cell::Int(f.pranks),
            Cell::Int(f.duplicates),
            Cell::Share(f.prank_rate()),
            Cell::Int(f.emergency_unverified),
            Cell::Int(f.reopened),
            Cell::Int(f.conflicts),
            Cell::Int(esc(1)),
            Cell::Int(esc(2)),
            Cell::Int(esc(3)),
        ]);
        r.extend(STATES.iter().map(|s| Cell::Int(f.by_state.get(s).copied().unwrap_or(0))));
        let min = |ms: Option<u64>| Cell::Minutes(ms.map(|m| m as f64 / 60_000.0));
        for s in &f.steps {
            r.extend([
                Cell::Int(s.done),
                Cell::Int(s.within),
                Cell::Int(s.late),
                Cell::Int(s.overdue),
                Cell::Int(s.not_yet),
                Cell::Share(s.share_within()),
                min(s.median_ms),
                min(s.p90_ms),
            ]);
        }
        r
    };
    let mut rows: Vec<Vec<Cell>> = v.recap.groups.iter().map(|(k, f)| row(k.clone(), f)).collect();
    let mut total_key = vec!["total".to_owned()];
    total_key.resize(v.group_by.len().max(1), String::new());
    rows.push(row(total_key, &v.recap.total));
    (head, rows)
}

fn plain(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Share(x) | Cell::Minutes(x) => x.map(|x| format!("{x:.4}")).unwrap_or_default(),
    }
}

/// CSV with a BOM (Excel reads it as UTF-8); `semicolon` for Indonesian Excel locales (whose
/// list separator is `;`): then decimals use a comma too.
pub fn csv(v: &RecapView, semicolon: bool) -> String {
    let (head, rows) = table(v);
    let mut out = String::from("\u{feff}");
    let sep = if semicolon { ";" } else { "," };
    let mut line = |cells: Vec<String>| {
        let l: Vec<String> = cells.iter().map(|c| super::csv::cell(c)).collect();
        out.push_str(&l.join(sep));
        out.push_str("\r\n");
    };
    line(head);
    for r in rows {
        line(
            r.iter()
                .map(|c| {
                    let s = plain(c);
                    if semicolon && matches!(c, Cell::Share(_) | Cell::Minutes(_)) {
                        s.replace('.', ",")
                    } else {
                        s
                    }
                })
                .collect(),
        );
    }
    out
}

/// The XLSX workbook: sheet "Rekap" (header row bold and frozen; shares as percent, minutes with
/// one decimal), and a sheet "Definisi" with the period and the definitions.
pub fn xlsx(v: &RecapView, node: &str, now: crate::model::Millis) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let (head, rows) = table(v);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let min = Format::new().set_num_format("0.0");
    let ws = wb.add_worksheet();
    ws.set_name("Rekap")?;
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => ws.write_string(r, c, s).map(|_| ())?,
                Cell::Int(n) => ws.write_number(r, c, *n as f64).map(|_| ())?,
                Cell::Share(Some(x)) => ws.write_number_with_format(r, c, *x, &pct).map(|_| ())?,
                Cell::Minutes(Some(x)) => ws.write_number_with_format(r, c, *x, &min).map(|_| ())?,
                Cell::Share(None) | Cell::Minutes(None) => {}
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let d = wb.add_worksheet();
    d.set_name("Definisi")?;
    for (r, (k, val)) in [
        ("node", node.to_owned()),
        ("from", wib(v.from)),
        ("to", wib(v.to)),
        ("end", wib(v.end)),
        ("generated_at", wib(now)),
        ("numbers_blocked", v.blocked.to_string()),
        ("numbers_lifted", v.lifted.to_string()),
        ("notices_sent", v.notices.sent.to_string()),
        ("notices_failed", v.notices.failed.to_string()),
        ("notices_pending", v.notices.pending.to_string()),
        ("definitions", DEFINITIONS.to_owned()),
    ]
    .iter()
    .enumerate()
    {
        d.write_string_with_format(r as u32, 0, *k, &bold)?;
        d.write_string(r as u32, 1, val)?;
    }
    wb.save_to_buffer()
}

// ----- shift handover ----------------------------------------------------------------------------

#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftNoteIn {
    /// 1 to 1,000 characters
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftStepOut {
    pub step: String,
    pub done: u64,
    pub within: u64,
    pub late: u64,
    pub overdue: u64,
    pub not_yet: u64,
    pub median_s: Option<u64>,
    pub p90_s: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverNoteOut {
    pub text: String,
    pub by: String,
    pub at: String,
}

/// One shift's handover snapshot: the figures of the reports received in the shift (followed
/// to its end), and the open and overdue cases handed over.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftOut {
    pub node: String,
    pub shift: String,
    /// the shift's start as Unix ms: the snapshot's id for the note
    pub from_ms: u64,
    pub from: String,
    pub to: String,
    pub taken_at: String,
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
    pub steps: Vec<ShiftStepOut>,
    pub open_total: u64,
    /// the most urgent first, at most 100
    pub open: Vec<String>,
    pub overdue_total: u64,
    pub overdue: Vec<String>,
    pub note: Option<HandoverNoteOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftsOut {
    /// whose snapshots these are
    pub node: String,
    /// the nodes with snapshots here (this one first if it has any)
    pub nodes: Vec<String>,
    /// the viewer may add the handover note (ka_siaga, on this node's snapshots)
    pub may_note: bool,
    pub shifts: Vec<ShiftOut>,
}

pub fn shift_out(r: &ShiftRecap) -> ShiftOut {
    let f = &r.figures;
    ShiftOut {
        node: r.node.clone(),
        shift: r.shift.clone(),
        from_ms: r.from.0,
        from: wib(r.from),
        to: wib(r.to),
        taken_at: wib(r.taken_at),
        received: f.received,
        by_state: f.by_state.clone(),
        verified: f.verified,
        rejected: f.rejected,
        pranks: f.pranks,
        duplicates: f.duplicates,
        escalations: f.escalations,
        emergency_unverified: f.emergency_unverified,
        reopened: f.reopened,
        conflicts: f.conflicts,
        steps: f
            .steps
            .iter()
            .map(|s| ShiftStepOut {
                step: s.step.clone(),
                done: s.done,
                within: s.within,
                late: s.late,
                overdue: s.overdue,
                not_yet: s.not_yet,
                median_s: secs(s.median_ms),
                p90_s: secs(s.p90_ms),
            })
            .collect(),
        open_total: r.open_total,
        open: r.open.clone(),
        overdue_total: r.overdue_total,
        overdue: r.overdue.clone(),
        note: r.note.as_ref().map(|n| HandoverNoteOut { text: n.text.clone(), by: n.by.clone(), at: wib(n.at) }),
    }
}
