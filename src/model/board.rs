//! The Command Center board's figures: a pure tally over cases. The caller reads the cases and
//! passes the clock and each case's pending deadline.

use super::case::Case;
use super::time::Millis;
use std::collections::BTreeMap;

/// Milliseconds in a day, and WIB's offset from UTC (+7 h, no daylight saving).
const DAY_MS: u64 = 24 * 3600 * 1000;
const WIB_MS: u64 = 7 * 3600 * 1000;

/// Midnight WIB of the day that holds `now`.
pub fn wib_day_start(now: Millis) -> Millis {
    Millis((now.0 + WIB_MS) / DAY_MS * DAY_MS - WIB_MS)
}

/// One case on the board (a reference into the tally's input, by ticket).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub ticket: String,
    pub category: &'static str,
    pub priority: &'static str,
    pub status: &'static str,
    pub regency: String,
    pub unit: Option<String>,
    pub due: Option<Millis>,
    pub rung: u8,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// How a unit keeps its deadlines: of the cases given to it, how many never escalated and are not
/// overdue now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitShare {
    pub cases: u32,
    pub met: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    pub day_start: Millis,
    /// reports received today (WIB), by their status now
    pub today_by_status: BTreeMap<&'static str, u32>,
    /// reports received today (WIB), by category
    pub today_by_category: BTreeMap<&'static str, u32>,
    pub reported_today: u32,
    pub open: u32,
    /// open cases past their pending step's deadline, most overdue first
    pub overdue: Vec<Mark>,
    /// open cases raised up the escalation ladder, highest rung first
    pub escalated: Vec<Mark>,
    /// escalation rungs raised on cases that changed today
    pub escalations_today: u32,
    pub units: BTreeMap<String, UnitShare>,
    /// open cases with coordinates, newest first, at most `max_points`
    pub points: Vec<Mark>,
}

fn mark(c: &Case, due: Option<Millis>) -> Mark {
    Mark {
        ticket: c.ticket.to_string(),
        category: c.category.as_str(),
        priority: c.priority.as_str(),
        status: c.state.as_str(),
        regency: c.location.regency.clone(),
        unit: c.unit.as_ref().map(|u| u.to_string()),
        due,
        rung: c.escalation_rung,
        lat: c.location.lat,
        lon: c.location.lon,
    }
}

/// Tallies the board from `cases`. `due` gives a case's pending deadline (from its SOP); lists are
/// cut to `max_list` (overdue, escalated) and `max_points` (the map).
pub fn tally<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    now: Millis,
    due: impl Fn(&Case) -> Option<Millis>,
    max_list: usize,
    max_points: usize,
) -> Board {
    let day_start = wib_day_start(now);
    let mut b = Board { day_start, ..Board::default() };
    let mut points: Vec<(Millis, Mark)> = Vec::new();
    for c in cases {
        let d = due(c);
        let overdue = c.state.is_open() && d.is_some_and(|d| d <= now);
        if c.created >= day_start {
            b.reported_today += 1;
            *b.today_by_status.entry(c.state.as_str()).or_default() += 1;
            *b.today_by_category.entry(c.category.as_str()).or_default() += 1;
        }
        if c.updated >= day_start {
            b.escalations_today += c.escalations_total;
        }
        if let Some(u) = &c.unit {
            let s = b.units.entry(u.to_string()).or_default();
            s.cases += 1;
            if c.escalations_total == 0 && !overdue {
                s.met += 1;
            }
        }
        if !c.state.is_open() {
            continue;
        }
        b.open += 1;
        if overdue {
            b.overdue.push(mark(c, d));
        }
        if c.escalation_rung > 0 {
            b.escalated.push(mark(c, d));
        }
        if c.location.lat.is_some() && c.location.lon.is_some() {
            points.push((c.created, mark(c, d)));
        }
    }
    b.overdue.sort_by_key(|m| (m.due, m.ticket.clone()));
    b.overdue.truncate(max_list);
    b.escalated.sort_by(|x, y| y.rung.cmp(&x.rung).then_with(|| x.ticket.cmp(&y.ticket)));
    b.escalated.truncate(max_list);
    points.sort_by(|x, y| y.0.cmp(&x.0));
    b.points = points.into_iter().take(max_points).map(|(_, m)| m).collect();
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_starts_at_midnight_wib() {
        // 2026-11-28T16:59:59Z is 23:59:59 WIB; 17:00:00Z is the next day's midnight WIB
        let before = Millis(1_795_885_199_000);
        let at = Millis(1_795_885_200_000);
        assert_eq!(wib_day_start(at), at);
        assert_eq!(wib_day_start(before), Millis(at.0 - DAY_MS));
        assert_eq!(wib_day_start(at.plus(5 * 3600 * 1000)), at);
    }
}
