//! Recaps (alat ukur): the period's figures from the recap rows the store keeps per case
//! (`model::recap`), as the viewer may see them: a unit officer its unit only; the per-officer
//! figures only for roles that supervise people.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::recap::{compute, shift_range, Dim, Query, Recap, MAX_DAYS};
use crate::model::time::WIB;
use crate::model::{Action, Millis};

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

/// The recap `staff` asked for, at `now`.
pub fn recap(app: &App, staff: &Staff, ask: &Ask, now: Millis) -> Result<RecapView, ServiceError> {
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
    let officers = staff.role.may(Action::ReadOfficerRecaps);
    let q = Query { from, to, now, group_by: group_by.clone(), filter, officers };
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
    let shifts = app.sop().shifts.iter().map(|s| s.name.clone()).collect();
    Ok(RecapView { from, to, end, group_by, recap, officers, blocked, lifted, shifts })
}
