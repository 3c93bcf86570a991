//! Prank control (DESIGN §7): scoring new reports, the reporter's record, the blocklist under
//! Propam review, intake rate limits, and the prank figures.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::prank::{
    as16, assess, reporter_record, trigram_hashes, trigrams16, Assessment, Block, BlockHistory, Lift, PastCase,
    ReporterRecord,
};
use crate::model::report::NewReport;
use crate::model::{Action, Case, Millis, Phone, Role};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// How many of a number's newest cases the scorer reads, and how many recent open cases of a
/// regency it compares texts with: bounded work per report, whatever the flood.
pub const HISTORY_LIMIT: usize = 50;
const NEARBY_LIMIT: usize = 30;

pub fn past(c: &Case) -> PastCase {
    PastCase {
        ticket: c.ticket.clone(),
        created: c.created,
        state: c.state,
        reject_reason: c.reject_reason.clone(),
        closed_at: c.state_since,
        regency: c.location.regency.as_str().into(),
        trigrams: trigrams16(&c.description),
    }
}

/// Scores a checked report against what the store holds now.
pub fn assess_new(app: &App, r: &NewReport, now: Millis) -> Result<Assessment, ServiceError> {
    assess_in(app, r, now, false).map(|(a, _)| a)
}

/// `assess_new` for real work (`drill` false) or a drill's inject: each sees only its own kind
/// of cases, and a drill never the blocklist (Latihan is never mixed with real work). Also
/// returns the description's trigrams, for `Store::remember_trigrams` once the case is written.
pub fn assess_in(app: &App, r: &NewReport, now: Millis, drill: bool) -> Result<(Assessment, Arc<[u16]>), ServiceError> {
    let p = &app.sop().prank;
    let history: Vec<PastCase> = app
        .store
        .recent_of_phone(r.reporter.phone.as_str(), HISTORY_LIMIT)?
        .iter()
        .filter(|c| c.ticket.is_drill() == drill)
        .map(past)
        .collect();
    let since = Millis(now.0.saturating_sub(p.duplicate_window_ms));
    let mut nearby = app.store.recent_in_regency(&r.location.regency, since, NEARBY_LIMIT)?;
    nearby.retain(|c| c.ticket.is_drill() == drill);
    let blocked = !drill && app.store.blocks(r.reporter.phone.as_str())?.active(now).is_some();
    let trigrams = trigram_hashes(&r.description);
    let report = crate::model::prank::Report {
        now,
        description: &r.description,
        trigrams: &trigrams,
        regency: &r.location.regency,
        coordinates: r.location.lat.zip(r.location.lon),
        channel: r.channel,
        history: &history,
        nearby: &nearby,
        blocked,
    };
    let assessment = assess(&report, app.territory.as_ref(), p);
    Ok((assessment, as16(&trigrams)))
}

/// A reporter as staff see them: the record, the block history and the cases.
pub struct ReporterView {
    pub phone: Phone,
    pub record: ReporterRecord,
    pub blocks: BlockHistory,
    pub cases: Vec<Case>,
}

fn may_read(staff: &Staff) -> Result<(), ServiceError> {
    if staff.role.may(Action::ReadCases) && staff.role != Role::UnitOfficer {
        Ok(())
    } else {
        Err(ServiceError::RoleMayNot { role: staff.role, action: "read reporter records" })
    }
}

pub fn reporter(app: &App, staff: &Staff, phone: &Phone, from: &str) -> Result<ReporterView, ServiceError> {
    may_read(staff)?;
    let now = super::now();
    let mut cases = Vec::new();
    for t in app.store.tickets_by_phone(phone.as_str()).into_iter().filter(|t| !t.is_drill()) {
        if let Some(c) = app.store.case(&t)? {
            cases.push(c);
        }
    }
    cases.sort_by_key(|c| std::cmp::Reverse(c.created));
    let folded: Vec<(PastCase, bool, bool)> =
        cases.iter().map(|c| (past(c), c.verification.is_some(), c.duplicate_of.is_some())).collect();
    let record = reporter_record(&folded, now, &app.sop().prank);
    let blocks = app.store.blocks(phone.as_str())?;
    app.store.log_access(now, &staff.username, "read_reporter", phone.as_str(), from)?;
    Ok(ReporterView { phone: phone.clone(), record, blocks, cases })
}

/// The record line shown with every case: computed from the number's cases.
pub fn record_of(app: &App, c: &Case) -> Result<(ReporterRecord, Option<Block>), ServiceError> {
    let now = super::now();
    let mut cases = app.store.recent_of_phone(c.reporter.phone.as_str(), HISTORY_LIMIT)?;
    // Latihan: a drill case's record counts drill cases only, a real one real cases only
    cases.retain(|x| x.ticket.is_drill() == c.ticket.is_drill());
    let folded: Vec<(PastCase, bool, bool)> =
        cases.iter().map(|c| (past(c), c.verification.is_some(), c.duplicate_of.is_some())).collect();
    let blocks = app.store.blocks(c.reporter.phone.as_str())?;
    let block = blocks.active(now).cloned().filter(|_| !c.ticket.is_drill());
    Ok((reporter_record(&folded, now, &app.sop().prank), block))
}

/// Blocks a number by hand for `days` (default: the SOP's block_for). Duty officers and Propam.
pub async fn block(
    app: &App,
    staff: &Staff,
    phone: &Phone,
    reason: &str,
    days: Option<u32>,
    from: &str,
) -> Result<BlockHistory, ServiceError> {
    if !staff.role.may(Action::BlockNumber) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "block numbers" });
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::ReasonRequired("the block"));
    }
    let now = super::now();
    let ms = days.map(|d| u64::from(d.clamp(1, 365)) * 86_400_000).unwrap_or(app.sop().prank.block_for_ms);
    let (h, d) = app.store.write(now, |tx| -> Result<BlockHistory, ServiceError> {
        let mut h = tx.blocks(phone.as_str())?;
        if h.active(now).is_some() {
            return Err(ServiceError::AlreadyBlocked(phone.to_string()));
        }
        h.blocks.push(Block {
            since: now,
            until: now.plus(ms),
            reason: reason.to_owned(),
            by: staff.username.clone(),
            lifted: None,
        });
        tx.put_blocks(phone.as_str(), h.clone());
        Ok(h)
    })?;
    app.store.log_access(now, &staff.username, "block_number", phone.as_str(), from)?;
    app.store.durable(d).await?;
    Ok(h)
}

/// Lifts a block in force, with a reason. Propam only: it reviews every block (SOP `block_review_by`).
pub async fn lift(
    app: &App,
    staff: &Staff,
    phone: &Phone,
    reason: &str,
    from: &str,
) -> Result<BlockHistory, ServiceError> {
    if !staff.role.may(Action::LiftBlock) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "lift a block (only Propam does)" });
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::ReasonRequired("lifting the block"));
    }
    let now = super::now();
    let (h, d) = app.store.write(now, |tx| -> Result<BlockHistory, ServiceError> {
        let mut h = tx.blocks(phone.as_str())?;
        if h.active(now).is_none() {
            return Err(ServiceError::NotBlocked(phone.to_string()));
        }
        if let Some(b) = h.blocks.last_mut() {
            b.lifted = Some(Lift { at: now, by: staff.username.clone(), reason: reason.to_owned() });
        }
        tx.put_blocks(phone.as_str(), h.clone());
        Ok(h)
    })?;
    app.store.log_access(now, &staff.username, "lift_block", phone.as_str(), from)?;
    app.store.durable(d).await?;
    Ok(h)
}

/// Numbers blocked now, for the blocklist view.
pub fn blocklist(app: &App, staff: &Staff) -> Result<Vec<(String, Block)>, ServiceError> {
    may_read(staff)?;
    let now = super::now();
    Ok(app.store.all_blocks()?.into_iter().filter_map(|(p, h)| h.active(now).cloned().map(|b| (p, b))).collect())
}

/// Prank figures per day (WIB) and channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayFigures {
    pub reports: u32,
    pub pranks: u32,
}

pub struct Figures {
    /// (YYYY-MM-DD, channel) -> counts
    pub days: BTreeMap<(String, String), DayFigures>,
    pub emergency_dispatched_unverified: u32,
    pub blocked_now: u32,
}

/// Scoped like the queue: a unit officer counts only the cases of its unit, and of the blocked
/// numbers only those that reported one of them.
pub fn figures(app: &App, staff: &Staff, days: u32) -> Result<Figures, ServiceError> {
    if !staff.role.may(Action::ReadCases) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read case figures" });
    }
    let now = super::now();
    let since = Millis(now.0.saturating_sub(u64::from(days.clamp(1, 366)) * 86_400_000));
    let mut out = Figures { days: BTreeMap::new(), emergency_dispatched_unverified: 0, blocked_now: 0 };
    let whole_node = staff.role != Role::UnitOfficer;
    // from the case summaries: no case is read whole, except a unit officer's own (for the
    // numbers that reported them)
    app.store.summaries(|all| {
        // Latihan: drill cases are not in the prank figures
        let seen = all
            .all()
            .iter()
            .filter(|s| !s.ticket.is_drill())
            .filter(|s| whole_node || (staff.unit.is_some() && s.unit == staff.unit));
        for s in seen {
            out.emergency_dispatched_unverified += u32::from(s.dispatched_unverified);
            if s.created < since {
                continue;
            }
            let day = s.created.rfc3339(app.sop().offset)[..10].to_owned();
            let e = out.days.entry((day, s.channel.as_str().to_owned())).or_default();
            e.reports += 1;
            e.pranks += u32::from(s.prank);
        }
    });
    let mut phones = std::collections::HashSet::new();
    if let (false, Some(unit)) = (whole_node, &staff.unit) {
        for t in app.store.tickets_by_unit(unit.as_str()) {
            if let Some(c) = app.store.case(&t)? {
                phones.insert(c.reporter.phone.as_str().to_owned());
            }
        }
    }
    out.blocked_now = app
        .store
        .all_blocks()?
        .iter()
        .filter(|(p, h)| h.active(now).is_some() && (whole_node || phones.contains(p)))
        .count() as u32;
    Ok(out)
}

// ----- rate limits -------------------------------------------------------------------------------

/// A token bucket per key: `burst` requests at once, refilled over `per_ms`. In memory: a
/// restart forgets, which only ever lets a little more through.
pub struct RateLimit {
    burst: f64,
    per_ms: f64,
    buckets: Mutex<HashMap<String, (f64, Millis)>>,
}

impl RateLimit {
    /// `None` means no limit.
    pub fn new(spec: Option<(u32, u64)>) -> Option<RateLimit> {
        spec.map(|(n, ms)| RateLimit { burst: f64::from(n), per_ms: ms as f64, buckets: Mutex::new(HashMap::new()) })
    }

    /// Takes one token for `key`, or says in how many seconds one will be there.
    pub fn take(&self, key: &str, now: Millis) -> Result<(), u64> {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() > 100_000 {
            let full_after = self.per_ms as u64;
            b.retain(|_, (_, at)| at.0 + full_after > now.0);
        }
        let refill = self.burst / self.per_ms;
        let (tokens, at) = b.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + (now.0.saturating_sub(at.0)) as f64 * refill).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - *tokens) / refill) / 1000.0).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_allows_a_burst_then_refills() {
        let rl = RateLimit::new(Some((3, 60_000))).unwrap();
        for _ in 0..3 {
            assert_eq!(rl.take("a", Millis(0)), Ok(()));
        }
        assert_eq!(rl.take("a", Millis(0)), Err(20), "one token per 20 s");
        assert_eq!(rl.take("b", Millis(0)), Ok(()), "keys are separate");
        assert_eq!(rl.take("a", Millis(20_000)), Ok(()));
        assert!(rl.take("a", Millis(20_001)).is_err());
    }
}
