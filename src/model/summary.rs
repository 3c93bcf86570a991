//! What the queue, the search and the board need of a case, without its text: a few dozen bytes
//! kept per case next to the projection (same write, same transaction) and mirrored in memory,
//! so a request over 100,000 cases filters and sorts these and decodes only the page it shows.

use super::case::Case;
use super::event::Channel;
use super::ids::{Ticket, UnitCode};
use super::sop::{Category, Priority, Sop};
use super::time::Millis;
use super::workflow::State;

#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    pub ticket: Ticket,
    pub state: State,
    pub category: Category,
    pub priority: Priority,
    pub channel: Channel,
    /// the prank score marks it as suspect under its SOP (it sorts after the others)
    pub marked: bool,
    /// the number was on the blocklist when it reported (the blocked lane)
    pub blocked: bool,
    /// rejected as a prank
    pub prank: bool,
    pub dispatched_unverified: bool,
    /// the pending step's deadline under the case's SOP
    pub due: Option<Millis>,
    pub unit: Option<UnitCode>,
    pub regency: String,
    /// the kecamatan's official code, when the report named it
    pub district: Option<String>,
    /// `phone_key` of the reporter's number (0: not known, a summary written before it was kept):
    /// the reporter's cases are found by it without keeping 100,000 numbers as text in memory
    pub phone_key: u64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub created: Millis,
    pub updated: Millis,
    pub escalation_rung: u8,
    pub escalations_total: u32,
    /// when the case's next escalation falls due, for a case this node owns (escalation happens
    /// at the owner; the scheduler scans for these); set by the store, `None` from `of`
    pub escalates: Option<Millis>,
}

/// A stable 64-bit key of a normalised phone number (FNV-1a; never 0). Stored: never change it.
pub fn phone_key(phone: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in phone.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.max(1)
}

/// The queue's order: priority first (a drill case after the real ones, `urgency`); within it, reports the prank score marks as suspect go
/// after the others (never out of the queue); then the nearest deadline; then the ticket.
pub type Urgency = (u8, bool, u64, Ticket);

impl CaseSummary {
    /// The summary of `c` under `sop` (the version it records; `None`: no deadline known).
    pub fn of(c: &Case, sop: Option<&Sop>) -> CaseSummary {
        CaseSummary {
            ticket: c.ticket.clone(),
            state: c.state,
            category: c.category,
            priority: c.priority,
            channel: c.channel,
            marked: sop.is_some_and(|s| c.assessment.marked(&s.prank)),
            blocked: c.assessment.blocked,
            prank: c.state == State::Rejected && c.reject_reason.as_deref() == Some("prank"),
            dispatched_unverified: c.dispatched_unverified,
            due: sop.and_then(|s| c.step_due(s)).map(|(_, d)| d),
            unit: c.unit.clone(),
            regency: c.location.regency.clone(),
            district: c.location.district_code.clone(),
            phone_key: phone_key(c.reporter.phone.as_str()),
            lat: c.location.lat,
            lon: c.location.lon,
            created: c.created,
            updated: c.updated,
            escalation_rung: c.escalation_rung,
            escalations_total: c.escalations_total,
            escalates: None,
        }
    }

    /// Latihan: a drill case sorts after every real case of its priority (`2p + 1`).
    pub fn urgency(&self) -> Urgency {
        let (p, m, d, t) = self.urgency_key();
        (p, m, d, t.clone())
    }

    /// `urgency` borrowed: orders the same, allocates nothing.
    pub fn urgency_key(&self) -> (u8, bool, u64, &Ticket) {
        (
            self.priority as u8 * 2 + u8::from(self.ticket.is_drill()),
            self.marked,
            self.due.map(|d| d.0).unwrap_or(u64::MAX),
            &self.ticket,
        )
    }

    /// Whether the pending step's deadline has passed at `now` (open cases only).
    pub fn overdue(&self, now: Millis) -> bool {
        self.state.is_open() && self.due.is_some_and(|d| d <= now)
    }
}

/// Words of a text as the search index keeps them: lower case, letters and digits only, at
/// least 2 and at most 32 characters, each once.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(|w| {
            if w.is_ascii() {
                w[..w.len().min(32)].to_ascii_lowercase()
            } else {
                w.to_lowercase().chars().take(32).collect()
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `words` of several texts together, sorted, each once, space-separated: the form a case
/// summary stores. Built in one buffer (a case is written on every intake).
pub fn joined_words(texts: &[&str]) -> String {
    let mut buf = String::with_capacity(texts.iter().map(|t| t.len()).sum());
    let mut at: Vec<(usize, usize)> = Vec::with_capacity(32);
    for text in texts {
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.chars().count() < 2 {
                continue;
            }
            let start = buf.len();
            if w.is_ascii() {
                buf.push_str(&w[..w.len().min(32)]);
                buf[start..].make_ascii_lowercase();
            } else {
                buf.extend(w.to_lowercase().chars().take(32));
            }
            at.push((start, buf.len()));
        }
    }
    let mut list: Vec<&str> = at.iter().map(|(a, b)| &buf[*a..*b]).collect();
    list.sort_unstable();
    list.dedup();
    list.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_words_are_the_words_of_all_texts() {
        let texts = ["Motor dicuri di Pasar 16, PASAR ramai", "Budi Ñandú", "", "x"];
        let mut all: Vec<String> = texts.iter().flat_map(|t| words(t)).collect();
        all.sort();
        all.dedup();
        assert_eq!(joined_words(&texts), all.join(" "));
        assert_eq!(joined_words(&texts), "16 budi di dicuri motor pasar ramai ñandú");
        assert_eq!(joined_words(&[&"Ab".repeat(40)]), "ab".repeat(16));
        assert_eq!(joined_words(&[]), "");
    }

    #[test]
    fn words_are_lowercase_unique_and_bounded() {
        assert_eq!(words("Lalu LINTAS, lalu-lintas di Jl. A/B"), ["di", "jl", "lalu", "lintas"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words(&"x".repeat(100))[0].len(), 32);
        assert_eq!(words("Kecamatan Ilir Barat Ⅰ ñandú"), ["barat", "ilir", "kecamatan", "ñandú"]);
        assert_eq!(
            words(&format!("{} Ñ{}", "AB".repeat(20), "É".repeat(40))),
            ["ab".repeat(16), format!("ñ{}", "é".repeat(31))]
        );
    }
}
