//! The Surat Tanda Penerimaan Laporan (STPL): the police's receipt for a report, printed on A4.
//! Staff print it for any case they may read (`for_staff`, logged like reading the case). The
//! reporter prints it right after filing with the ticket and tracking code (`for_reporter`): that
//! answer holds only what tracking shows (no description, name or address: the receipt page adds
//! what the reporter typed). The QR code of the tracking link is made here, offline.

use super::auth::{Identity, Staff};
use super::{cases, sha256_hex, App, ServiceError};
use crate::model::event::{Channel, EventKind};
use crate::model::sop::Step;
use crate::model::{Actor, Category, Millis, Priority, Ticket};
use subtle::ConstantTimeEq;

/// What an STPL shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Stpl {
    pub ticket: Ticket,
    pub created: Millis,
    pub category: Category,
    pub category_label: String,
    pub priority: Priority,
    pub channel: Channel,
    pub regency: String,
    pub polda: String,
    /// the Polres (or the Polda) whose post took the report: the ticket's node
    pub receiving_unit: String,
    pub command_center: String,
    /// the report as filed (staff only)
    pub report: Option<Filed>,
    /// the officer who took a phone call or a walk-in, with their identity if this node knows it
    pub officer: Option<(String, Identity)>,
    /// the SOP's deadline for each step ahead, for this category and priority
    pub next_steps: Vec<(Step, u64)>,
    /// the tracking code, when the caller gave the right one (it is stored only as a hash)
    pub token: Option<String>,
    /// the tracking link (with the code when known) and its QR code
    pub link: String,
    pub qr: Qr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub description: String,
    pub address: String,
    pub reporter_name: String,
    pub reporter_phone: String,
}

/// A QR code as one SVG path of dark modules, `size` modules square plus a 4-module quiet zone
/// on each side (`viewBox="0 0 size+8 size+8"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    pub size: usize,
    pub path: String,
}

/// The QR code of `text` (error correction M: a smudged print still reads).
pub fn qr(text: &str) -> Qr {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("a tracking link fits a QR code");
    let size = code.width();
    let colors = code.to_colors();
    let mut path = String::with_capacity(size * size * 4);
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if colors[y * size + x] == qrcode::Color::Dark {
                let start = x;
                while x < size && colors[y * size + x] == qrcode::Color::Dark {
                    x += 1;
                }
                path.push_str(&format!("M{} {}h{}v1h-{}z", start + 4, y + 4, x - start, x - start));
            } else {
                x += 1;
            }
        }
    }
    Qr { size, path }
}

/// The tracking link for `ticket` on `origin` (`https://host`), with the code if known.
pub fn tracking_link(origin: &str, ticket: &Ticket, token: Option<&str>) -> String {
    match token {
        Some(k) => format!("{origin}/lacak#t={}&k={k}", ticket.as_str()),
        None => format!("{origin}/lacak#t={}", ticket.as_str()),
    }
}

/// Whether `token` is the case's tracking code (constant-time, as tracking checks it).
fn token_matches(token_hash: &str, token: &str) -> bool {
    let given = sha256_hex(token.trim().to_ascii_uppercase().as_str());
    given.as_bytes().ct_eq(token_hash.as_bytes()).into()
}

/// The STPL of a case `staff` may read; the read is logged as `read_case`, like opening it.
/// `token`, when given and right (the call-taker has it right after filing), goes on the paper
/// and into the QR code; otherwise the QR code links to tracking by ticket.
pub fn for_staff(
    app: &App,
    staff: &Staff,
    ticket: &Ticket,
    token: Option<&str>,
    origin: &str,
    from: &str,
) -> Result<Stpl, ServiceError> {
    let (case, events) = cases::get(app, staff, ticket, from)?;
    let token = token.filter(|k| token_matches(&case.token_hash, k)).map(|k| k.trim().to_ascii_uppercase());
    let filed = events.iter().find(|e| matches!(e.kind, EventKind::Reported(_)));
    let officer = match filed.map(|e| &e.actor) {
        Some(Actor::Staff { user, .. }) => {
            let id = super::auth::identities(app, [user.as_str()])?.remove(user).unwrap_or_default();
            Some((user.clone(), id))
        }
        _ => None,
    };
    let report = Filed {
        description: case.description.clone(),
        address: case.location.address.clone(),
        reporter_name: case.reporter.name.clone(),
        reporter_phone: case.reporter.phone.to_string(),
    };
    Ok(build(app, &case, Some(report), officer, token, origin))
}

/// The STPL the reporter prints with the ticket and tracking code: what tracking shows, the
/// letterhead and the SOP's next steps. A wrong code is `NotFound`, as in tracking.
pub fn for_reporter(app: &App, ticket: &Ticket, token: &str, origin: &str) -> Result<Stpl, ServiceError> {
    let case = cases::public_status(app, ticket, token)?.case;
    let token = token.trim().to_ascii_uppercase();
    Ok(build(app, &case, None, None, Some(token), origin))
}

fn build(
    app: &App,
    case: &crate::model::Case,
    report: Option<Filed>,
    officer: Option<(String, Identity)>,
    token: Option<String>,
    origin: &str,
) -> Stpl {
    let sop = app.sop_for(&case.sop_version);
    let node = case.ticket.origin();
    let receiving_unit = app
        .units
        .units
        .iter()
        .find(|u| u.code.as_str() == node.as_str())
        .map_or_else(|| node.to_string(), |u| u.name.clone());
    let next_steps = Step::ALL
        .into_iter()
        .filter_map(|s| sop.deadline_ms(case.category, s, case.priority).map(|ms| (s, ms)))
        .collect();
    let link = tracking_link(origin, &case.ticket, token.as_deref());
    Stpl {
        ticket: case.ticket.clone(),
        created: case.created,
        category: case.category,
        category_label: sop.category(case.category).label.clone(),
        priority: case.priority,
        channel: case.channel,
        regency: case.location.regency.clone(),
        polda: app.units.polda_name.clone(),
        receiving_unit,
        command_center: app.units.command_center.clone(),
        report,
        officer,
        next_steps,
        qr: qr(&link),
        link,
        token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_path_draws_the_finder_patterns_inside_the_quiet_zone() {
        let q = qr("https://banpol.local/lacak#t=PLG-261128-0042&k=ABCD2345");
        assert!(q.size >= 21 && (q.size - 17) % 4 == 0, "a QR version's width: {}", q.size);
        // the top-left finder pattern's first row: 7 dark modules from (4, 4)
        assert!(q.path.starts_with("M4 4h7v1h-7z"), "{}", &q.path[..40]);
        assert!(!q.path.contains("M3 ") && !q.path.contains(" 3h"), "nothing in the quiet zone");
    }

    #[test]
    fn tracking_link_carries_the_code_in_the_fragment_only_when_known() {
        let t = Ticket::parse("PLG-261128-0042").unwrap();
        assert_eq!(tracking_link("https://h", &t, Some("ABCD2345")), "https://h/lacak#t=PLG-261128-0042&k=ABCD2345");
        assert_eq!(tracking_link("https://h", &t, None), "https://h/lacak#t=PLG-261128-0042");
        assert!(token_matches(&sha256_hex("ABCD2345"), " abcd2345 "));
        assert!(!token_matches(&sha256_hex("ABCD2345"), "ABCD2346"));
    }
}
