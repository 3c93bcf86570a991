//! Health and integrity: is the store writable, do the hash chains hold.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::report::FieldError;
use crate::model::time::WIB;
use crate::model::{Action, Millis};
use crate::store::{AccessEntry, ChainReport, StoreError};

/// A small durable write: the store is open and writable.
pub async fn health(app: &App) -> Result<(), StoreError> {
    app.store.probe(super::now()).await
}

pub struct Integrity {
    pub chains: Vec<ChainReport>,
    pub access_log_ok: bool,
}

impl Integrity {
    pub fn ok(&self) -> bool {
        self.access_log_ok && self.chains.iter().all(|c| c.ok)
    }
}

/// Checks every event-log chain and the access-log chain (reads everything: run off the async
/// threads). The check itself is logged.
pub fn integrity(app: &App, staff: &Staff, from: &str) -> Result<Integrity, ServiceError> {
    if !staff.role.may(Action::VerifyIntegrity) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "verify integrity" });
    }
    let chains = app.store.verify_chains()?;
    let access_log_ok = app.store.access_log(0)?.1;
    app.store.log_access(super::now(), &staff.username, "verify_integrity", "", from)?;
    Ok(Integrity { chains, access_log_ok })
}

/// Which access-log entries to show: every given part must match. `actor` and `action` match
/// exactly, `ticket` anywhere in the target (a case read, a queue search), the dates are WIB
/// days, both inclusive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub ticket: Option<String>,
    /// from the start of this WIB day
    pub since: Option<Millis>,
    /// before this instant (the day after the last WIB day asked for)
    pub until: Option<Millis>,
}

impl AccessFilter {
    /// Builds a filter from the query's texts; empty texts are "any". A date is `YYYY-MM-DD`.
    pub fn parse(
        actor: Option<&str>,
        action: Option<&str>,
        ticket: Option<&str>,
        date_from: Option<&str>,
        date_to: Option<&str>,
    ) -> Result<AccessFilter, ServiceError> {
        let some = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let day = |field: &'static str, s: Option<&str>, next: bool| match some(s) {
            None => Ok(None),
            Some(d) => wib_day_start(&d, next).map(Some).ok_or_else(|| {
                ServiceError::Field(FieldError {
                    code: "invalid_date",
                    field,
                    message: format!("{field} {d:?} is not a date: use YYYY-MM-DD"),
                })
            }),
        };
        Ok(AccessFilter {
            actor: some(actor),
            action: some(action),
            ticket: some(ticket).map(|t| t.to_uppercase()),
            since: day("date_from", date_from, false)?,
            until: day("date_to", date_to, true)?,
        })
    }

    pub fn matches(&self, e: &AccessEntry) -> bool {
        self.actor.as_ref().is_none_or(|a| &e.actor == a)
            && self.action.as_ref().is_none_or(|a| &e.action == a)
            && self.ticket.as_ref().is_none_or(|t| e.target.to_uppercase().contains(t.as_str()))
            && self.since.is_none_or(|s| e.at >= s)
            && self.until.is_none_or(|u| e.at < u)
    }

    /// The filter as one line for the access log (an export is logged with what it selected).
    pub fn describe(&self) -> String {
        let part = |k: &str, v: &Option<String>| v.as_ref().map(|v| format!("{k}={v}"));
        let date = |k: &str, v: Option<Millis>| v.map(|v| format!("{k}={}", v.rfc3339(WIB)));
        [
            part("actor", &self.actor),
            part("action", &self.action),
            part("ticket", &self.ticket),
            date("since", self.since),
            date("until", self.until),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// The start of WIB day `YYYY-MM-DD` (`next`: of the day after).
fn wib_day_start(s: &str, next: bool) -> Option<Millis> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut d = time::Date::parse(s, &fmt).ok()?;
    if next {
        d = d.next_day()?;
    }
    let t = d.midnight().assume_offset(WIB).unix_timestamp();
    u64::try_from(t).ok().map(|s| Millis(s * 1000))
}

fn may_read_log(staff: &Staff) -> Result<(), ServiceError> {
    if staff.role.may(Action::ReadAccessLog) {
        Ok(())
    } else {
        Err(ServiceError::RoleMayNot { role: staff.role, action: "read the access log" })
    }
}

/// The newest access-log entries that match `filter` (logins, reads of personal data, admin
/// actions) and whether the log's hash chain holds. Auditors only.
pub fn access_log(
    app: &App,
    staff: &Staff,
    filter: &AccessFilter,
    limit: usize,
) -> Result<(Vec<AccessEntry>, bool), ServiceError> {
    may_read_log(staff)?;
    let (mut all, ok) = app.store.access_log(usize::MAX)?;
    all.retain(|e| filter.matches(e));
    all.truncate(limit.clamp(1, 1000));
    Ok((all, ok))
}

/// At most this many entries go into one export.
pub const EXPORT_LIMIT: usize = 100_000;

/// Every access-log entry that matches `filter`, newest first (at most [`EXPORT_LIMIT`]), for an
/// export; the export itself is logged with the filter it used. Auditors only.
pub fn export_access_log(
    app: &App,
    staff: &Staff,
    filter: &AccessFilter,
    from: &str,
) -> Result<Vec<AccessEntry>, ServiceError> {
    may_read_log(staff)?;
    let (mut all, _) = app.store.access_log(usize::MAX)?;
    all.retain(|e| filter.matches(e));
    all.truncate(EXPORT_LIMIT);
    app.store.log_access(super::now(), &staff.username, "export_access_log", &filter.describe(), from)?;
    Ok(all)
}

/// Reads of the same case by the same person closer together than this are one opening: the
/// console reads an open case again after each action and on each live change of it.
pub const READ_WINDOW_MS: u64 = 60_000;

/// The last logged read of each (person, case), to log one entry per opening (in memory: after a
/// restart the next read is logged again).
#[derive(Debug, Default)]
pub struct Reads(std::sync::Mutex<std::collections::HashMap<(String, String), Millis>>);

impl Reads {
    /// Whether this read starts a new opening (and is to be logged); records it if so.
    pub fn first(&self, user: &str, target: &str, now: Millis) -> bool {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let key = (user.to_owned(), target.to_owned());
        if m.get(&key).is_some_and(|at| now.0 < at.0.saturating_add(READ_WINDOW_MS)) {
            return false;
        }
        if m.len() >= 4096 {
            m.retain(|_, at| now.0 < at.0.saturating_add(READ_WINDOW_MS));
        }
        m.insert(key, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: u64, actor: &str, action: &str, target: &str) -> AccessEntry {
        AccessEntry {
            at: Millis(at),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            from: "127.0.0.1".into(),
            prev_hash: String::new(),
        }
    }

    // 2026-12-02 00:00 WIB = 2026-12-01 17:00 UTC
    const DEC2_WIB: u64 = 1_796_144_400_000;

    #[test]
    fn dates_are_whole_wib_days_both_inclusive() {
        let f = AccessFilter::parse(None, None, None, Some("2026-12-02"), Some("2026-12-02")).unwrap();
        assert_eq!(f.since, Some(Millis(DEC2_WIB)));
        assert_eq!(f.until, Some(Millis(DEC2_WIB + 86_400_000)));
        assert!(!f.matches(&entry(DEC2_WIB - 1, "a", "login", "")), "23:59:59.999 the day before");
        assert!(f.matches(&entry(DEC2_WIB, "a", "login", "")));
        assert!(f.matches(&entry(DEC2_WIB + 86_399_999, "a", "login", "")));
        assert!(!f.matches(&entry(DEC2_WIB + 86_400_000, "a", "login", "")));
        let e = AccessFilter::parse(None, None, None, Some("2-12-2026"), None).unwrap_err();
        assert!(matches!(e, ServiceError::Field(FieldError { code: "invalid_date", field: "date_from", .. })));
    }

    #[test]
    fn every_given_part_must_match_and_empty_parts_match_anything() {
        let f = AccessFilter::parse(Some("auditor"), Some(" "), Some("plg-261202-0001"), None, None).unwrap();
        assert_eq!(f.action, None);
        assert!(f.matches(&entry(1, "auditor", "read_case", "PLG-261202-0001")));
        assert!(f.matches(&entry(1, "auditor", "read_queue", "status=open q=PLG-261202-0001 page=1")));
        assert!(!f.matches(&entry(1, "operator", "read_case", "PLG-261202-0001")));
        assert!(!f.matches(&entry(1, "auditor", "read_case", "PLG-261202-0002")));
        assert_eq!(f.describe(), "actor=auditor ticket=PLG-261202-0001");
        assert!(AccessFilter::default().matches(&entry(1, "x", "y", "z")));
    }

    #[test]
    fn reads_within_the_window_are_one_opening() {
        let r = Reads::default();
        assert!(r.first("op", "PLG-261202-0001", Millis(1_000)));
        assert!(!r.first("op", "PLG-261202-0001", Millis(1_000 + READ_WINDOW_MS - 1)), "a redraw");
        assert!(r.first("pa", "PLG-261202-0001", Millis(2_000)), "another person");
        assert!(r.first("op", "PLG-261202-0002", Millis(2_000)), "another case");
        assert!(r.first("op", "PLG-261202-0001", Millis(1_000 + READ_WINDOW_MS)), "a new opening");
    }
}
