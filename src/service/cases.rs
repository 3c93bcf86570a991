//! Working on cases: the queue, one case with its history, workflow actions, public tracking.

use super::auth::Staff;
use super::{sha256_hex, App, ServiceError};
use crate::model::prank::{Block, ReporterRecord};
use crate::model::summary::{words, Urgency};
use crate::model::workflow::{transition, CaseAction};
use crate::model::{Action, Actor, Case, Category, Command, Event, Millis, Role, State, Step, Ticket, UnitCode};
use std::collections::HashSet;
use subtle::ConstantTimeEq;

/// Which cases a queue request wants.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// `None`: every open state (every state at all with `any_state`)
    pub status: Option<State>,
    /// with no `status`: closed and rejected cases too (the auditor's full history)
    pub any_state: bool,
    pub category: Option<Category>,
    pub unit: Option<UnitCode>,
    pub overdue: bool,
    /// free text: ticket, phone or words of the description
    pub q: Option<String>,
    pub lane: Lane,
    pub page: usize,
    pub per_page: usize,
    /// start after this case instead of at `page`
    pub after: Option<Cursor>,
    /// only these cases (the drill-down from a recap figure, `recap::tickets`)
    pub only: Option<HashSet<Ticket>>,
}

/// Reports from blocked numbers have their own lane; a crime report from a blocked number is in
/// the main lane too, marked (DESIGN §7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lane {
    #[default]
    Main,
    Blocked,
    All,
    /// Latihan: drill cases only, finished drills' too
    Drill,
}

impl Lane {
    /// `drill`: a drill case (`LAT-`); `over`: its drill has ended (it left the queue).
    fn holds(self, blocked: bool, category: Category, drill: bool, over: bool) -> bool {
        match self {
            Lane::Main => (!blocked || category == Category::Crime) && !over,
            Lane::Blocked => blocked && !drill,
            Lane::All => !over,
            Lane::Drill => drill,
        }
    }
}

pub struct QueuePage {
    pub items: Vec<Case>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// where the next page starts, when there is one
    pub next: Option<Cursor>,
}

/// The public view of a case: no personal data. A duplicate shows its original's status.
pub struct PublicStatus {
    pub case: Case,
    pub original: Option<Case>,
}

/// Whether `staff` may see this case at all. A unit officer sees its unit's cases only;
/// tik_admin, who runs drills, drill cases only.
pub(crate) fn in_scope(staff: &Staff, case: &Case) -> bool {
    match staff.role {
        Role::UnitOfficer => staff.unit.is_some() && case.unit == staff.unit,
        role => may_read(role, case.ticket.is_drill()),
    }
}

/// Whether `role` reads a case: every case, or (tik_admin, who runs drills) a drill case only:
/// drill cases hold no real personal data.
fn may_read(role: Role, drill: bool) -> bool {
    role.may(Action::ReadCases) || (drill && role.may(Action::ReadDrills))
}

/// The actions `staff` may take on `case` now (what the UI offers): the workflow moves by name,
/// plus `link_duplicate`, the UI's form of a reject.
pub fn allowed_actions(app: &App, staff: &Staff, case: &Case) -> Vec<&'static str> {
    let mut out = Vec::new();
    for action in CaseAction::ALL {
        let ok = staff.role.may(action.permission())
            && in_scope(staff, case)
            && (action == CaseAction::Note
                || case.owner == app.node
                || (action == CaseAction::Dispatch && app.is_root()))
            && transition(case.state, action).is_ok()
            && (action != CaseAction::Verify || case.verification.is_none())
            && (action != CaseAction::Dispatch || case.state != State::New || case.is_emergency_crime());
        if ok {
            out.push(action.as_str());
            if action == CaseAction::Reject {
                out.push("link_duplicate");
            }
        }
    }
    out
}

/// Where a page of the queue starts: after this case, in queue order (stable while cases change,
/// unlike a page number). Opaque to clients: `priority.marked.due.ticket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub Urgency);

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        let mut it = s.splitn(4, '.');
        let p = it.next()?.parse().ok()?;
        let marked = match it.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let due = it.next()?.parse().ok()?;
        let ticket = Ticket::parse(it.next()?).ok()?;
        Some(Cursor((p, marked, due, ticket)))
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (p, marked, due, t) = &self.0;
        write!(f, "{p}.{}.{due}.{t}", u8::from(*marked))
    }
}

/// The queue: cases `staff` may see, filtered, ordered by urgency (priority, then the prank
/// mark, then time to the pending step's deadline), one page of it. Filters and order come from
/// the case summaries and their word index (`Store::summaries`): only the cases on the
/// page are read whole. It shows reporters' names and numbers, so each read is logged with its
/// filter.
pub fn queue(app: &App, staff: &Staff, f: &QueueFilter, now: Millis, from: &str) -> Result<QueuePage, ServiceError> {
    if !may_read(staff.role, f.lane == Lane::Drill) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read cases" });
    }
    let unit = match staff.role {
        Role::UnitOfficer => staff.unit.clone(),
        _ => f.unit.clone(),
    };
    let q = f.q.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    // free text: a ticket (or part of one), a phone number, or words (each the start of a word
    // of the description or the reporter's name, all of them)
    let phone_hits: HashSet<Ticket> = match q.as_deref().map(crate::model::Phone::parse) {
        Some(Ok(p)) => app.store.tickets_by_phone(p.as_str()).into_iter().collect(),
        _ => HashSet::new(),
    };
    let per_page = f.per_page.clamp(1, 200);
    let page = f.page.max(1);
    let over = super::drill::ended_tickets(app);
    let (total, chosen, next) = app.store.summaries(|m| {
        // cases with every word (each the start of a word of the description or the name)
        let worded: Option<HashSet<&Ticket>> = q.as_deref().map(|q| {
            let mut common: Option<HashSet<&Ticket>> = None;
            for w in words(q) {
                let with: HashSet<&Ticket> = m.with_word(&w).map(|s| &s.ticket).collect();
                common = Some(match common {
                    None => with,
                    Some(c) => c.intersection(&with).copied().collect(),
                });
            }
            common.unwrap_or_default()
        });
        let skip = if f.after.is_some() { 0 } else { (page - 1) * per_page };
        // only the page is kept: the `keep` most urgent matches in a max-heap (bounded memory
        // whatever matches), then sorted
        let keep = skip + per_page;
        let mut top: std::collections::BinaryHeap<(u8, bool, u64, &Ticket)> =
            std::collections::BinaryHeap::with_capacity(keep + 1);
        let after = f.after.as_ref().map(|Cursor(a)| (a.0, a.1, a.2, &a.3));
        let (mut total, mut eligible) = (0usize, 0usize);
        let matching = m.all().iter().filter(|s| {
            let state_ok = match f.status {
                Some(st) => s.state == st,
                None => f.any_state || s.state.is_open(),
            };
            let scope_ok = match staff.role {
                Role::UnitOfficer => staff.unit.is_some() && s.unit == staff.unit,
                _ => true,
            };
            state_ok
                && f.lane.holds(s.blocked, s.category, s.ticket.is_drill(), over.contains(&s.ticket))
                && scope_ok
                && unit.as_ref().is_none_or(|u| s.unit.as_ref() == Some(u))
                && f.category.is_none_or(|c| c == s.category)
                && f.only.as_ref().is_none_or(|o| o.contains(&s.ticket))
                && (!f.overdue || s.overdue(now))
                && match (&q, &worded) {
                    (Some(q), Some(worded)) => {
                        worded.contains(&s.ticket)
                            || phone_hits.contains(&s.ticket)
                            || s.ticket.as_str().to_lowercase().contains(q.as_str())
                    }
                    _ => true,
                }
        });
        for s in matching {
            total += 1;
            let u = s.urgency_key();
            if after.is_some_and(|a| u <= a) {
                continue;
            }
            eligible += 1;
            if top.len() < keep {
                top.push(u);
            } else if top.peek().is_some_and(|worst| u < *worst) {
                top.pop();
                top.push(u);
            }
        }
        let more = eligible > keep;
        let chosen: Vec<(Urgency, Ticket)> = top
            .into_sorted_vec()
            .into_iter()
            .skip(skip)
            .map(|(p, m, d, t)| ((p, m, d, t.clone()), t.clone()))
            .collect();
        let next = if more { chosen.last().map(|(u, _)| Cursor(u.clone())) } else { None };
        (total, chosen, next)
    });
    let mut items = Vec::with_capacity(chosen.len());
    for (_, t) in chosen {
        if let Some(c) = app.store.case(&t)? {
            items.push(c);
        }
    }
    let target = format!(
        "status={} category={} unit={} overdue={} q={} page={page}",
        f.status.map(|s| s.as_str()).unwrap_or(if f.any_state { "all" } else { "open" }),
        f.category.map(|c| c.as_str()).unwrap_or("-"),
        unit.as_ref().map(|u| u.as_str()).unwrap_or("-"),
        f.overdue,
        f.q.as_deref().unwrap_or("-"),
    );
    app.store.log_access(now, &staff.username, "read_queue", &target, from)?;
    Ok(QueuePage { items, total, page, per_page, next })
}

/// A case as a staff member sees it: the case, its history, its reporter's record (and the block
/// in force, if any), the actions this staff member may take now and its photos. One call
/// assembles it, so the handlers of `GET /cases/{t}` and of an action only convert it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub events: Vec<Event>,
    pub reporter: ReporterRecord,
    pub blocked: Option<Block>,
    pub allowed_actions: Vec<&'static str>,
    pub attachments: Vec<Attachment>,
}

/// A photo of the case: the channel's media id (`sha256:<hex>` for a web photo) and, once kept,
/// the SHA-256 it is kept under (`GET /api/v1/cases/{ticket}/photos/{sha256}`).
#[derive(Debug, Clone)]
pub struct Attachment {
    pub media_id: String,
    pub sha256: Option<String>,
}

fn view_of(app: &App, staff: &Staff, case: Case, events: Vec<Event>) -> Result<CaseView, ServiceError> {
    let (reporter, blocked) = super::prank::record_of(app, &case)?;
    let allowed_actions = allowed_actions(app, staff, &case);
    let attachments = case
        .attachments
        .iter()
        .map(|m| Attachment { media_id: m.clone(), sha256: super::photos::sha_of(app, m) })
        .collect();
    Ok(CaseView { case, events, reporter, blocked, allowed_actions, attachments })
}

/// One case as `staff` sees it (see [`CaseView`]). Reading personal data is logged.
pub fn view(app: &App, staff: &Staff, ticket: &Ticket, from: &str) -> Result<CaseView, ServiceError> {
    let (case, events) = get(app, staff, ticket, from)?;
    view_of(app, staff, case, events)
}

/// Applies a workflow command (see [`act`]) and answers with the case as `staff` now sees it.
pub async fn act_and_view(
    app: &App,
    staff: &Staff,
    ticket: &Ticket,
    cmd: Command,
    checked: Vec<String>,
) -> Result<CaseView, ServiceError> {
    let (case, events) = act_checked(app, staff, ticket, cmd, checked).await?;
    view_of(app, staff, case, events)
}

/// One case with its whole history. Reading personal data is logged (once per opening, see
/// [`super::audit::Reads`]).
pub fn get(app: &App, staff: &Staff, ticket: &Ticket, from: &str) -> Result<(Case, Vec<Event>), ServiceError> {
    if !may_read(staff.role, ticket.is_drill()) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read cases" });
    }
    let case = app.store.case(ticket)?.ok_or(ServiceError::NotFound)?;
    if !in_scope(staff, &case) {
        // do not confirm that a case of another unit exists
        return Err(ServiceError::NotFound);
    }
    // one entry per opening: the redraws of an open case (after an action, on a live change) read
    // it again within the window and are not logged again
    let now = super::now();
    if app.case_reads.first(&staff.username, ticket.as_str(), now) {
        app.store.log_access(now, &staff.username, "read_case", ticket.as_str(), from)?;
        let _ = app.opened.send(ticket.clone());
    }
    let events = app.store.case_events(ticket)?;
    Ok((case, events))
}

/// Applies a workflow command (or a note) as `staff`; returns the case and its history once the
/// event is on disk.
#[tracing::instrument(skip_all, err(level = "debug"), fields(case = %ticket, action = cmd.name()))]
pub async fn act(app: &App, staff: &Staff, ticket: &Ticket, cmd: Command) -> Result<(Case, Vec<Event>), ServiceError> {
    act_checked(app, staff, ticket, cmd, Vec::new()).await
}

/// `act`, with the SOP checklist items of the case's current step that the actor ticked: they
/// are recorded in the event (`Event::checked`). Each must be an item of that step's checklist
/// under the case's SOP version; a tick on a note or with no checklist is refused.
pub async fn act_checked(
    app: &App,
    staff: &Staff,
    ticket: &Ticket,
    cmd: Command,
    checked: Vec<String>,
) -> Result<(Case, Vec<Event>), ServiceError> {
    if !staff.role.may(cmd.action().permission()) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: cmd.name() });
    }
    let actor = Actor::Staff { user: staff.username.clone(), role: staff.role, unit: staff.unit.clone() };
    let (case, durable) = app.store.write(super::now(), |tx| -> Result<Case, ServiceError> {
        let mut case = tx.case(ticket)?.ok_or(ServiceError::NotFound)?;
        if !in_scope(staff, &case) {
            return Err(ServiceError::NotFound);
        }
        let sop = app.sop_for(&case.sop_version);
        if let Command::LinkDuplicate { original, .. } = &cmd {
            link_original(tx, &actor, ticket, original)?;
        }
        if !checked.is_empty() {
            let items = sop.guide(case.category, case.state).map(|g| g.checklist.as_slice()).unwrap_or_default();
            if let Some(bad) = checked.iter().find(|c| !items.iter().any(|i| &i.id == *c)) {
                return Err(ServiceError::Field(crate::model::report::FieldError {
                    code: "unknown_checklist_item",
                    field: "checked",
                    message: format!("{bad:?} is not on the SOP checklist of this case's step"),
                }));
            }
        }
        let is_note = matches!(cmd, Command::Note { .. });
        let kind = case.decide_at(cmd, &app.node, app.is_root(), &sop, &app.directory())?;
        let prank = matches!(&kind, crate::model::EventKind::Rejected { reason, .. } if reason == "prank");
        let checked = if is_note { Vec::new() } else { checked.clone() };
        let ev = tx.append_checked(ticket, actor, &case.sop_version, kind, checked);
        case.apply(ev);
        tx.put_case(case.clone())?;
        // Latihan: a drill's prank never reaches the blocklist
        if prank && !ticket.is_drill() {
            auto_block(app, tx, &case)?;
        }
        Ok(case)
    })?;
    app.store.durable(durable).await?;
    app.changed(ticket);
    let events = app.store.case_events(ticket)?;
    Ok((case, events))
}

/// Records on the original that `dup` was linked to it. The original must exist and not itself
/// be a duplicate (link to its original instead).
fn link_original(
    tx: &mut crate::store::Txn,
    actor: &Actor,
    dup: &Ticket,
    original: &Ticket,
) -> Result<(), ServiceError> {
    let mut orig = tx.case(original)?.ok_or_else(|| {
        ServiceError::Field(crate::model::report::FieldError {
            code: "unknown_original",
            field: "original",
            message: format!("there is no case {original} to link to"),
        })
    })?;
    if let Some(first) = &orig.duplicate_of {
        return Err(ServiceError::DuplicateOfDuplicate { original: original.clone(), first: first.clone() });
    }
    let ev = tx.append(
        original,
        actor.clone(),
        &orig.sop_version.clone(),
        crate::model::EventKind::DuplicateLinked { duplicate: dup.clone() },
    );
    orig.apply(ev);
    tx.put_case(orig)?;
    Ok(())
}

/// After a prank rejection: block the number when it reached the SOP's `block_after` pranks in
/// the window. In the same write as the rejection, so the two cannot part.
fn auto_block(app: &App, tx: &mut crate::store::Txn, case: &Case) -> Result<(), ServiceError> {
    let p = &app.sop().prank;
    let now = tx.now();
    let phone = case.reporter.phone.as_str();
    let mut history: Vec<crate::model::prank::PastCase> = app
        .store
        .recent_of_phone(phone, 200)?
        .iter()
        .filter(|c| c.ticket != case.ticket)
        .map(super::prank::past)
        .collect();
    history.push(super::prank::past(case));
    let mut blocks = tx.blocks(phone)?;
    if crate::model::prank::should_block(&history, &blocks, now, p) {
        let n = crate::model::prank::pranks_in_window(&history, now, p.repeat_window_ms).len();
        blocks.blocks.push(crate::model::prank::Block {
            since: now,
            until: now.plus(p.block_for_ms),
            reason: format!("{n} laporan palsu terkonfirmasi dalam periode; menunggu tinjauan {}", p.block_review_by),
            by: "sistem".into(),
            lifted: None,
        });
        tx.put_blocks(phone, blocks);
        tracing::info!(phone, pranks = n, "number blocked automatically");
    }
    Ok(())
}

/// Appends the escalations that have fallen due on a case this node owns. Returns how many.
pub async fn escalate(app: &App, ticket: &Ticket, now: Millis) -> Result<usize, ServiceError> {
    let actor = Actor::System { node: app.node.clone() };
    let (n, durable) = app.store.write(now, |tx| -> Result<usize, ServiceError> {
        let Some(mut case) = tx.case(ticket)? else {
            return Ok(0);
        };
        if case.owner != app.node {
            return Ok(0);
        }
        let sop = app.sop_for(&case.sop_version);
        let due = case.due_escalations(&sop, now);
        for kind in &due {
            let ev = tx.append(ticket, actor.clone(), &case.sop_version, kind.clone());
            case.apply(ev);
        }
        if !due.is_empty() {
            tx.put_case(case)?;
        }
        Ok(due.len())
    })?;
    if n > 0 {
        app.store.durable(durable).await?;
        app.changed(ticket);
    }
    Ok(n)
}

/// Public tracking: the case if `token` matches. A wrong token looks exactly like an unknown ticket.
pub fn public_status(app: &App, ticket: &Ticket, token: &str) -> Result<PublicStatus, ServiceError> {
    // Latihan: drill cases have no public tracking, whatever the token
    if ticket.is_drill() {
        return Err(ServiceError::NotFound);
    }
    let case = app.store.case(ticket)?.ok_or(ServiceError::NotFound)?;
    let given = sha256_hex(token.trim().to_ascii_uppercase().as_str());
    if given.as_bytes().ct_eq(case.token_hash.as_bytes()).into() {
        let original = match &case.duplicate_of {
            Some(o) => app.store.case(o)?,
            None => None,
        };
        Ok(PublicStatus { case, original })
    } else {
        Err(ServiceError::NotFound)
    }
}

/// A changed case as `staff` may see it (for live views); `None` when it is out of their scope.
pub fn visible_change(app: &App, staff: &Staff, ticket: &Ticket) -> Result<Option<Case>, ServiceError> {
    if !staff.role.may(Action::ReadCases) {
        return Ok(None);
    }
    Ok(app.store.case(ticket)?.filter(|c| in_scope(staff, c)))
}

/// The pending step and its first deadline, for display.
pub fn pending(app: &App, c: &Case) -> Option<(Step, Millis)> {
    c.step_due(&app.sop_for(&c.sop_version))
}

/// The Polsek a case goes down to next: once the Polres holding it has acknowledged it (or works
/// on it), the Polsek of that Polres whose kecamatan the report named, as the Polres's list in
/// force says (`App::directory`).
pub fn suggested_polsek(app: &App, c: &crate::model::Case) -> Option<UnitCode> {
    if !matches!(c.state, State::Acknowledged | State::InProgress) {
        return None;
    }
    let units = app.directory();
    let unit = units.get(c.unit.as_ref()?)?;
    if !matches!(unit.kind, crate::model::UnitKind::Polres | crate::model::UnitKind::Polrestabes) {
        return None;
    }
    Some(units.polsek_for(&unit.code, c.location.district_code.as_deref()?)?.code.clone())
}
