//! The Command Center board's figures: a pure tally over case summaries (each carries its
//! pending step's deadline). The caller passes the summaries the viewer may see and the clock.

use super::summary::CaseSummary;
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
    /// past its pending step's deadline or raised up the ladder: the wall shows it until handled
    pub alarm: bool,
}

/// Open cases without coordinates in one regency (the map puts them at its seat).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unlocated {
    pub open: u32,
    /// of them, overdue or escalated
    pub alarm: u32,
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
    /// open cases without coordinates (phone calls, web reports without GPS), by regency and
    /// kecamatan (`None`: the report named none)
    pub unlocated: BTreeMap<(String, Option<String>), Unlocated>,
    /// open cases by kecamatan code (those that name one)
    pub open_by_district: BTreeMap<String, u32>,
}

/// Whether an open case needs attention now: overdue, or raised up the escalation ladder.
fn alarm(c: &CaseSummary, now: Millis) -> bool {
    c.overdue(now) || (c.state.is_open() && c.escalation_rung > 0)
}

fn mark(c: &CaseSummary, now: Millis) -> Mark {
    Mark {
        ticket: c.ticket.to_string(),
        category: c.category.as_str(),
        priority: c.priority.as_str(),
        status: c.state.as_str(),
        regency: c.regency.clone(),
        unit: c.unit.as_ref().map(|u| u.to_string()),
        due: c.due,
        rung: c.escalation_rung,
        lat: c.lat,
        lon: c.lon,
        alarm: alarm(c, now),
    }
}

/// Tallies the board from `cases`; lists are cut to `max_list` (overdue, escalated) and
/// `max_points` (the map). Only the cases that make a list are copied.
pub fn tally<'a>(
    cases: impl IntoIterator<Item = &'a CaseSummary>,
    now: Millis,
    max_list: usize,
    max_points: usize,
) -> Board {
    let day_start = wib_day_start(now);
    let mut b = Board { day_start, ..Board::default() };
    let mut overdue_list: Vec<&CaseSummary> = Vec::new();
    let mut escalated: Vec<&CaseSummary> = Vec::new();
    let mut points: Vec<&CaseSummary> = Vec::new();
    for c in cases {
        let overdue = c.overdue(now);
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
        if let Some(d) = &c.district {
            *b.open_by_district.entry(d.clone()).or_default() += 1;
        }
        if overdue {
            overdue_list.push(c);
        }
        if c.escalation_rung > 0 {
            escalated.push(c);
        }
        if c.lat.is_some() && c.lon.is_some() {
            points.push(c);
        } else {
            let r = b.unlocated.entry((c.regency.clone(), c.district.clone())).or_default();
            r.open += 1;
            r.alarm += u32::from(alarm(c, now));
        }
    }
    b.overdue = first(overdue_list, max_list, now, |c| (c.due, c.ticket.as_str()));
    b.escalated = first(escalated, max_list, now, |c| (std::cmp::Reverse(c.escalation_rung), c.ticket.as_str()));
    b.points = first(points, max_points, now, |c| (std::cmp::Reverse(c.created), c.ticket.as_str()));
    b
}

/// The first `n` of `v` in the order of `key`, as marks.
fn first<'a, K: Ord>(
    mut v: Vec<&'a CaseSummary>,
    n: usize,
    now: Millis,
    key: impl Fn(&'a CaseSummary) -> K,
) -> Vec<Mark> {
    if n < v.len() {
        v.select_nth_unstable_by(n, |a, b| key(a).cmp(&key(b)));
        v.truncate(n);
    }
    v.sort_unstable_by_key(|c| key(c));
    v.into_iter().map(|c| mark(c, now)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Channel, Location, ReportedCase, Reporter};
    use crate::model::prank::Assessment;
    use crate::model::{Actor, Category, Event, EventId, EventKind, Hlc, NodeCode, Phone, Priority, Ticket, UnitCode};
    use crate::model::{Case, State};

    const DAY: Millis = Millis(1_795_885_200_000); // midnight WIB

    /// A case reported at `at`, then set as the table says.
    fn case(n: u32, category: Category, at: Millis, state: State, unit: Option<&str>, escalations: u32) -> Case {
        let ticket = Ticket::parse(&format!("PLG-261129-{n:04}")).unwrap();
        let node = NodeCode::parse("PLG").unwrap();
        let reported = EventKind::Reported(Box::new(ReportedCase {
            category,
            priority: Priority::Normal,
            description: "Pencurian motor di pasar".into(),
            reporter: Reporter { name: "Budi".into(), phone: Phone::parse("081234567890").unwrap() },
            location: Location {
                regency: "Kota Palembang".into(),
                address: "Pasar 16".into(),
                lat: Some(-2.9),
                lon: Some(104.7),
                ..Default::default()
            },
            channel: Channel::Web,
            token_hash: "00".into(),
            suggested_unit: None,
            assessment: Assessment::default(),
            attachments: Vec::new(),
        }));
        let ev = Event {
            id: EventId { origin: node.clone(), seq: u64::from(n) },
            hlc: Hlc::new(at.0, 0),
            case: ticket,
            actor: Actor::System { node },
            sop_version: "draft-2022-12".into(),
            prev_hash: [0; 32],
            kind: reported,
            checked: Vec::new(),
            drill: None,
        };
        let mut c = Case::fold(&[ev]).unwrap();
        c.state = state;
        c.unit = unit.map(|u| UnitCode::parse(u).unwrap());
        c.escalations_total = escalations;
        c.escalation_rung = escalations.min(3) as u8;
        c
    }

    #[test]
    fn tally_counts_today_lists_overdue_and_scores_units() {
        let now = DAY.plus(3_600_000);
        let yesterday = Millis(DAY.0 - 3_600_000);
        let cases = [
            case(1, Category::Crime, DAY.plus(60_000), State::New, None, 0),
            case(2, Category::Information, DAY.plus(120_000), State::Dispatched, Some("PLG"), 0),
            case(3, Category::Crime, yesterday, State::Dispatched, Some("PLG"), 2),
            case(4, Category::Feedback, yesterday, State::Closed, Some("BIDHUMAS"), 0),
            case(5, Category::Crime, DAY.plus(180_000), State::Rejected, None, 0),
        ];
        // case 1 is overdue; case 3 is due later
        let due = |c: &Case| match c.ticket.as_str() {
            "PLG-261129-0001" => Some(DAY.plus(1_000)),
            "PLG-261129-0003" => Some(now.plus(60_000)),
            _ => None,
        };
        let summaries: Vec<CaseSummary> =
            cases.iter().map(|c| CaseSummary { due: due(c), ..CaseSummary::of(c, None) }).collect();
        let b = tally(&summaries, now, 10, 10);
        assert_eq!(b.day_start, DAY);
        assert_eq!(b.reported_today, 3);
        assert_eq!(b.today_by_category.get("crime"), Some(&2));
        assert_eq!(b.today_by_category.get("feedback"), None, "reported yesterday");
        assert_eq!(b.today_by_status.get("rejected"), Some(&1));
        assert_eq!(b.open, 3);
        assert_eq!(b.overdue.iter().map(|m| m.ticket.as_str()).collect::<Vec<_>>(), ["PLG-261129-0001"]);
        assert_eq!(b.escalated.len(), 1);
        assert_eq!(b.escalated[0].rung, 2);
        assert_eq!(b.units.get("PLG"), Some(&UnitShare { cases: 2, met: 1 }));
        assert_eq!(b.units.get("BIDHUMAS"), Some(&UnitShare { cases: 1, met: 1 }));
        assert_eq!(b.points.len(), 3, "open cases with coordinates");
        assert_eq!(b.points[0].ticket, "PLG-261129-0002", "newest first");
        assert_eq!(tally(&summaries, now, 10, 1).points.len(), 1, "the map is bounded");
        assert!(b.overdue[0].alarm && b.escalated[0].alarm, "overdue and escalated stand out");
        assert!(b.points.iter().any(|m| !m.alarm), "a case on time does not");
        assert!(b.unlocated.is_empty(), "every case here has coordinates");
    }

    /// Open cases without coordinates are counted per regency, with those needing attention;
    /// closed ones are not.
    #[test]
    fn cases_without_coordinates_are_counted_by_regency() {
        let now = DAY.plus(3_600_000);
        let mut cases = [
            case(1, Category::Crime, DAY.plus(60_000), State::New, None, 0),
            case(2, Category::Crime, DAY.plus(60_000), State::Dispatched, Some("PLG"), 1),
            case(3, Category::Information, DAY.plus(60_000), State::New, None, 0),
            case(4, Category::Crime, DAY.plus(60_000), State::Closed, None, 0),
        ];
        for c in &mut cases {
            c.location.lat = None;
            c.location.lon = None;
        }
        cases[2].location.regency = "Kabupaten Lahat".into();
        let mut summaries: Vec<CaseSummary> = cases.iter().map(|c| CaseSummary::of(c, None)).collect();
        let b = tally(&summaries, now, 10, 10);
        assert!(b.points.is_empty());
        let at = |r: &str, d: Option<&str>| b.unlocated.get(&(r.to_owned(), d.map(str::to_owned))).copied();
        assert_eq!(at("Kota Palembang", None), Some(Unlocated { open: 2, alarm: 1 }));
        assert_eq!(at("Kabupaten Lahat", None), Some(Unlocated { open: 1, alarm: 0 }));
        assert_eq!(b.unlocated.len(), 2, "the closed case is not on the map");
        assert!(b.open_by_district.is_empty());
        // by kecamatan, when the reports name one
        summaries[0].district = Some("16.71.09".into());
        summaries[3].district = Some("16.71.09".into());
        let b = tally(&summaries, now, 10, 10);
        let at = |r: &str, d: Option<&str>| b.unlocated.get(&(r.to_owned(), d.map(str::to_owned))).copied();
        assert_eq!(at("Kota Palembang", Some("16.71.09")), Some(Unlocated { open: 1, alarm: 0 }));
        assert_eq!(at("Kota Palembang", None), Some(Unlocated { open: 1, alarm: 1 }));
        assert_eq!(b.open_by_district.get("16.71.09"), Some(&1), "the closed one is not counted");
    }

    #[test]
    fn day_starts_at_midnight_wib() {
        // 2026-11-28T16:59:59Z is 23:59:59 WIB; 17:00:00Z is the next day's midnight WIB
        let before = Millis(DAY.0 - 1_000);
        let at = DAY;
        assert_eq!(wib_day_start(at), at);
        assert_eq!(wib_day_start(before), Millis(at.0 - DAY_MS));
        assert_eq!(wib_day_start(at.plus(5 * 3600 * 1000)), at);
    }
}
