//! Recaps (alat ukur): the period's figures from the recap rows the store keeps per case
//! (`model::recap`), as the viewer may see them: a unit officer its unit only; the per-officer
//! figures only for roles that supervise people.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::recap::{
    compute, last_ended, shift_range, Dim, HandoverNote, Query, Recap, ShiftFigures, ShiftRecap, StepStatus,
    HANDOVER_LIST, MAX_DAYS,
};
use crate::model::time::WIB;
use crate::model::{Action, Millis, NodeCode, State, Step, Ticket};
use crate::store::Kv;

const DAY: u64 = 86_400_000;

/// A recap request as given (strings from the query), checked by `recap`.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// `YYYY-MM-DD` (a WIB day: from its start) or `YYYY-MM-DDTHH:MM` (WIB)
    pub from: Option<String>,
    /// as `from`; a day is included whole
    pub to: Option<String>,
    /// a shift of the SOP, on `date` (instead of from/to)
    pub shift: Option<String>,
    pub date: Option<String>,
    /// comma-separated dimensions
    pub group_by: Option<String>,
    /// filters: dimension, value
    pub filter: Vec<(String, String)>,
    /// only the cases in this state at the period end
    pub state: Option<String>,
    /// only the cases standing so on this step (`step` and `step_status` together)
    pub step: Option<String>,
    pub step_status: Option<String>,
}

/// A computed recap with its period.
pub struct RecapView {
    pub from: Millis,
    pub to: Millis,
    pub end: Millis,
    pub group_by: Vec<Dim>,
    pub recap: Recap,
    /// per-officer figures were computed (the role may see them)
    pub officers: bool,
    /// numbers blocked and lifted in the period
    pub blocked: u64,
    pub lifted: u64,
    pub shifts: Vec<String>,
    /// reporter notices (WhatsApp) to the reporters of the cases covered, queued before the end
    pub notices: super::whatsapp::NoticeFigures,
    /// the names of the kecamatan codes in the groups (official names, `model::wilayah`)
    pub district_names: std::collections::BTreeMap<String, String>,
}

/// The WIB midnight of day `YYYY-MM-DD`.
fn day_start(s: &str) -> Option<Millis> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    let t = d.midnight().assume_offset(WIB).unix_timestamp();
    u64::try_from(t).ok().map(|t| Millis(t * 1000))
}

/// A bound: a day (its start; with `end_of_day` its end) or a WIB minute.
fn bound(field: &'static str, s: &str, end_of_day: bool) -> Result<Millis, ServiceError> {
    let bad = || ServiceError::BadPeriod(format!("{field} {s:?}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (WIB)"));
    if s.len() == 10 {
        let d = day_start(s).ok_or_else(bad)?;
        return Ok(if end_of_day { d.plus(DAY) } else { d });
    }
    let (day, hm) = s.split_once('T').ok_or_else(bad)?;
    let d = day_start(day).ok_or_else(bad)?;
    let (h, m) = hm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u64, u64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(d.plus(h * 3_600_000 + m * 60_000))
}

/// The WIB midnight of the day holding `t`.
pub fn midnight_of(t: Millis) -> Millis {
    let wib = t.0 + 7 * 3_600_000;
    Millis(wib - wib % DAY - 7 * 3_600_000)
}

/// The checked query of `ask`, as `staff` may see it.
fn query_of(app: &App, staff: &Staff, ask: &Ask, now: Millis) -> Result<Query, ServiceError> {
    if !staff.role.may(Action::ReadRecaps) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read recaps" });
    }
    let (from, to) = match (&ask.shift, &ask.from, &ask.to) {
        (Some(shift), _, _) => {
            let day = match &ask.date {
                Some(d) => {
                    day_start(d).ok_or_else(|| ServiceError::BadPeriod(format!("date {d:?}: use YYYY-MM-DD")))?
                }
                None => midnight_of(now),
            };
            shift_range(&app.sop().shifts, shift, day)
                .ok_or_else(|| ServiceError::BadPeriod(format!("shift {shift:?} is not in the SOP")))?
        }
        (None, None, None) => (midnight_of(now), midnight_of(now).plus(DAY)),
        (None, Some(f), Some(t)) => (bound("from", f, false)?, bound("to", t, true)?),
        (None, _, _) => return Err(ServiceError::BadPeriod("give both from and to, or neither (today)".into())),
    };
    if to <= from {
        return Err(ServiceError::PeriodInverted);
    }
    if to.0 - from.0 > MAX_DAYS * DAY {
        return Err(ServiceError::PeriodTooLong { max_days: MAX_DAYS });
    }
    let mut group_by = Vec::new();
    for g in ask.group_by.as_deref().unwrap_or("").split(',').map(str::trim).filter(|g| !g.is_empty()) {
        let d = Dim::parse(g).ok_or_else(|| ServiceError::UnknownGroup(g.to_owned()))?;
        if !group_by.contains(&d) {
            group_by.push(d);
        }
    }
    let mut filter = Vec::new();
    for (k, v) in ask.filter.iter().filter(|(_, v)| !v.is_empty()) {
        let d = Dim::parse(k).ok_or_else(|| ServiceError::UnknownGroup(k.clone()))?;
        filter.push((d, v.clone()));
    }
    if staff.role.needs_unit() {
        let own = staff.unit.as_ref().map(|u| u.as_str().to_owned()).unwrap_or_default();
        if let Some((_, other)) = filter.iter().find(|(d, v)| *d == Dim::Unit && *v != own) {
            return Err(ServiceError::OtherUnit(other.clone()));
        }
        filter.retain(|(d, _)| *d != Dim::Unit);
        filter.push((Dim::Unit, own));
    }
    let invalid = |field: &'static str, message: String| {
        ServiceError::Field(crate::model::report::FieldError { code: "invalid_field", field, message })
    };
    let state = match ask.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(State::parse(s).ok_or_else(|| invalid("state", format!("state {s:?} is unknown")))?),
        None => None,
    };
    let step = match (ask.step.as_deref().filter(|s| !s.is_empty()), ask.step_status.as_deref()) {
        (None, _) => None,
        (Some(s), st) => {
            let step = Step::ALL
                .into_iter()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| invalid("step", format!("step {s:?} is unknown")))?;
            let st = st.unwrap_or("done");
            let status = StepStatus::parse(st).ok_or_else(|| {
                invalid(
                    "step_status",
                    format!("step_status {st:?}: use done, within, late, overdue, not_yet or missed"),
                )
            })?;
            Some((step, status))
        }
    };
    let officers = staff.role.may(Action::ReadOfficerRecaps);
    Ok(Query { from, to, now, group_by, filter, officers, state, step })
}

/// The tickets behind a recap's figure (the drill-down to the queue): the cases `ask` covers.
pub fn tickets(app: &App, staff: &Staff, ask: &Ask, now: Millis) -> Result<Vec<Ticket>, ServiceError> {
    let q = Query { officers: false, group_by: Vec::new(), ..query_of(app, staff, ask, now)? };
    let recap = compute(&app.store.recap_facts(q.from, q.to)?, &q);
    Ok(recap.tickets.iter().filter_map(|t| Ticket::parse(t).ok()).collect())
}

/// The recap `staff` asked for, at `now`.
pub fn recap(app: &App, staff: &Staff, ask: &Ask, now: Millis) -> Result<RecapView, ServiceError> {
    let q = query_of(app, staff, ask, now)?;
    let (from, to, officers, group_by) = (q.from, q.to, q.officers, q.group_by.clone());
    let facts = app.store.recap_facts(from, to)?;
    let recap = compute(&facts, &q);
    let end = q.end();
    let (mut blocked, mut lifted) = (0, 0);
    if !staff.role.needs_unit() {
        for (_, h) in app.store.all_blocks()? {
            for b in &h.blocks {
                blocked += u64::from(b.since >= from && b.since < end);
                lifted += u64::from(b.lifted.as_ref().is_some_and(|l| l.at >= from && l.at < end));
            }
        }
    }
    let notices = super::whatsapp::notice_figures(app, from, end, |t| {
        recap.tickets.binary_search_by(|x| x.as_str().cmp(t)).is_ok()
    })?;
    let shifts = app.sop().shifts.iter().map(|s| s.name.clone()).collect();
    let district_names = match group_by.iter().position(|d| *d == Dim::District) {
        Some(i) => recap
            .groups
            .iter()
            .filter_map(|(k, _)| k.get(i))
            .filter_map(|code| {
                let area = app.units.areas.get(crate::model::wilayah::Level::District, code)?;
                Some((code.clone(), area.name.clone()))
            })
            .collect(),
        None => Default::default(),
    };
    Ok(RecapView { from, to, end, group_by, recap, officers, blocked, lifted, notices, shifts, district_names })
}

// ----- shift handover ----------------------------------------------------------------------------

/// How long after a shift's end its snapshot may still be taken (a node that was down longer
/// takes none for it).
const SNAPSHOT_LATE_MS: u64 = DAY;

fn shift_key(node: &str, from: Millis) -> Vec<u8> {
    let mut k = node.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&from.0.to_be_bytes());
    k
}

/// Takes the snapshot of the shift that ended last, if this node has none of it yet (the
/// scheduler calls it every tick): the shift's figures as a recap of the reports received in it,
/// and the open and overdue cases the next shift takes over. Returns the snapshot taken.
pub async fn take_shift_snapshot(app: &App, now: Millis) -> Result<Option<ShiftRecap>, ServiceError> {
    let Some((shift, from, to)) = last_ended(&app.sop().shifts, midnight_of(now), now) else { return Ok(None) };
    let key = shift_key(app.node.as_str(), from);
    if now.0 > to.0 + SNAPSHOT_LATE_MS || app.store.kv_get::<ShiftRecap>(Kv::ShiftRecap, &key)?.is_some() {
        return Ok(None);
    }
    let q = Query { from, to, now: to, ..Default::default() };
    let figures = ShiftFigures::of(&compute(&app.store.recap_facts(from, to)?, &q).total);
    let (mut open, mut overdue) = app.store.summaries(|m| {
        let open: Vec<&crate::model::summary::CaseSummary> = m.all().iter().filter(|s| s.state.is_open()).collect();
        let mut open: Vec<(Millis, String)> =
            open.iter().map(|s| (s.due.unwrap_or(Millis(u64::MAX)), s.ticket.as_str().to_owned())).collect();
        open.sort();
        let overdue: Vec<(Millis, String)> = open.iter().filter(|(due, _)| *due < to).cloned().collect();
        (open, overdue)
    });
    let (open_total, overdue_total) = (open.len() as u64, overdue.len() as u64);
    open.truncate(HANDOVER_LIST);
    overdue.truncate(HANDOVER_LIST);
    let (rec, d) = app.store.write(now, |tx| -> Result<Option<ShiftRecap>, ServiceError> {
        if tx.kv_get::<ShiftRecap>(Kv::ShiftRecap, &key)?.is_some() {
            return Ok(None);
        }
        let rec = ShiftRecap {
            node: app.node.as_str().to_owned(),
            shift: shift.clone(),
            from,
            to,
            taken_at: now,
            figures: figures.clone(),
            open_total,
            open: open.iter().map(|(_, t)| t.clone()).collect(),
            overdue_total,
            overdue: overdue.iter().map(|(_, t)| t.clone()).collect(),
            note: None,
            rev: tx.next_counter(SHIFT_REV)?,
        };
        tx.kv_put(Kv::ShiftRecap, &key, Some(&rec));
        Ok(Some(rec))
    })?;
    app.store.durable(d).await?;
    if let Some(r) = &rec {
        tracing::info!(shift = %r.shift, received = r.figures.received, open = r.open_total, "shift handover snapshot taken");
    }
    Ok(rec)
}

/// The counter that numbers this node's snapshot revisions.
const SHIFT_REV: &str = "shift_recap_rev";
/// `Kv::SyncState` key: the highest revision of this node's snapshots the parent holds.
const SHIFT_SENT: &[u8] = b"shift_recap_sent";

/// The handover snapshots of `node` (default: this node), newest first, at most `SHIFT_LIST`:
/// the node, its snapshots, and the nodes whose snapshots this node may hold (it and its subtree).
pub fn shift_recaps(
    app: &App,
    staff: &Staff,
    node: Option<&str>,
) -> Result<(String, Vec<ShiftRecap>, Vec<String>), ServiceError> {
    if !staff.role.may(Action::ReadRecaps) || staff.role.needs_unit() {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read shift handovers" });
    }
    let node = node.filter(|n| !n.is_empty()).unwrap_or(app.node.as_str());
    let mut nodes: Vec<String> = vec![app.node.as_str().to_owned()];
    nodes.extend(super::sync::subtree(app).into_keys());
    nodes.sort();
    nodes.dedup();
    let mut prefix = node.as_bytes().to_vec();
    prefix.push(0);
    let out =
        app.store.kv_last::<ShiftRecap>(Kv::ShiftRecap, &prefix, SHIFT_LIST)?.into_iter().map(|(_, r)| r).collect();
    Ok((node.to_owned(), out, nodes))
}

/// How many snapshots `/rekap` lists.
pub const SHIFT_LIST: usize = 30;
/// The longest handover note.
pub const NOTE_MAX: usize = 1000;

/// Ka Siaga's handover note on this node's snapshot of the shift that began at `from` (a new note
/// replaces the last); audited as `shift_note`.
pub async fn note_shift(
    app: &App,
    staff: &Staff,
    from: Millis,
    text: &str,
    addr: &str,
) -> Result<ShiftRecap, ServiceError> {
    if !staff.role.may(Action::NoteHandover) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "note a shift handover" });
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > NOTE_MAX {
        return Err(ServiceError::Field(crate::model::report::FieldError {
            code: "invalid_field",
            field: "text",
            message: format!("the note needs 1 to {NOTE_MAX} characters"),
        }));
    }
    let key = shift_key(app.node.as_str(), from);
    let mut prefix = app.node.as_str().as_bytes().to_vec();
    prefix.push(0);
    let recent = app.store.kv_last::<ShiftRecap>(Kv::ShiftRecap, &prefix, SHIFT_LIST)?;
    if !recent.iter().any(|(k, _)| *k == key) {
        return Err(ServiceError::NoShiftRecap);
    }
    let at = super::now();
    let (rec, d) = app.store.write(at, |tx| -> Result<ShiftRecap, ServiceError> {
        let mut rec: ShiftRecap = tx.kv_get(Kv::ShiftRecap, &key)?.ok_or(ServiceError::NoShiftRecap)?;
        rec.note = Some(HandoverNote { text: text.to_owned(), by: staff.username.clone(), at });
        rec.rev = tx.next_counter(SHIFT_REV)?;
        tx.kv_put(Kv::ShiftRecap, &key, Some(&rec));
        Ok(rec)
    })?;
    app.store.durable(d).await?;
    let target = format!("{} {} {}", rec.node, rec.shift, rec.from.0);
    app.store.log_access(super::now(), &staff.username, "shift_note", &target, addr)?;
    Ok(rec)
}

/// This node's snapshots the parent does not hold yet (by revision), oldest first, at most `n`.
pub fn shifts_to_send(app: &App, n: usize) -> Result<Vec<ShiftRecap>, ServiceError> {
    let sent: u64 = app.store.kv_get(Kv::SyncState, SHIFT_SENT)?.unwrap_or(0);
    let mut prefix = app.node.as_str().as_bytes().to_vec();
    prefix.push(0);
    // a note goes only on the last `SHIFT_LIST` snapshots, so no older one changes
    let mut out: Vec<ShiftRecap> = app
        .store
        .kv_last::<ShiftRecap>(Kv::ShiftRecap, &prefix, 2 * SHIFT_LIST)?
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| r.rev > sent)
        .collect();
    out.sort_by_key(|r| r.rev);
    out.truncate(n);
    Ok(out)
}

/// The parent took this node's snapshots up to revision `rev`.
pub async fn shifts_sent(app: &App, rev: u64) -> Result<(), ServiceError> {
    let (_, d) = app.store.write(super::now(), |tx| -> Result<(), ServiceError> {
        let sent: u64 = tx.kv_get(Kv::SyncState, SHIFT_SENT)?.unwrap_or(0);
        tx.kv_put(Kv::SyncState, SHIFT_SENT, Some(&sent.max(rev)));
        Ok(())
    })?;
    Ok(app.store.durable(d).await?)
}

/// Snapshots a child sent up: each of a node the child may speak for (`sync::may_send`), kept
/// unless a later revision is here already. Returns how many were kept; once on disk.
pub async fn receive_shifts(app: &App, child: &NodeCode, recs: Vec<ShiftRecap>) -> Result<usize, ServiceError> {
    for r in &recs {
        let node = NodeCode::parse(&r.node).map_err(|e| ServiceError::BadNodeCode(r.node.clone(), e.to_string()))?;
        if !super::sync::may_send(app, child, &node) {
            return Err(ServiceError::ShiftNotAllowed(r.node.clone()));
        }
    }
    let (n, d) = app.store.write(super::now(), |tx| -> Result<usize, ServiceError> {
        let mut n = 0;
        for r in &recs {
            let key = shift_key(&r.node, r.from);
            let old: Option<ShiftRecap> = tx.kv_get(Kv::ShiftRecap, &key)?;
            if old.is_none_or(|o| o.rev < r.rev) {
                tx.kv_put(Kv::ShiftRecap, &key, Some(r));
                n += 1;
            }
        }
        Ok(n)
    })?;
    app.store.durable(d).await?;
    Ok(n)
}
