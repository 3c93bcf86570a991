//! The Command Center board: today's figures, overdue and escalated cases, units' deadlines and
//! the map's points, tallied by `model::board` over the cases the viewer may see.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::board::{tally, Board};
use crate::model::{Action, Millis, Role};

/// At most this many cases in each list, and on the map.
pub const MAX_LIST: usize = 50;
pub const MAX_POINTS: usize = 1000;

/// The board as `staff` may see it (a unit officer: its unit's cases only), tallied from the
/// case summaries: no case is read whole.
pub fn board(app: &App, staff: &Staff, now: Millis) -> Result<Board, ServiceError> {
    if !staff.role.may(Action::ReadCases) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read cases" });
    }
    let unit_only = match staff.role {
        Role::UnitOfficer => Some(staff.unit.clone()),
        _ => None,
    };
    Ok(app.store.summaries(|all| {
        // Latihan: drill cases are never in the board's figures
        let seen = all.all().iter().filter(|s| !s.ticket.is_drill()).filter(|s| match &unit_only {
            Some(u) => u.is_some() && &s.unit == u,
            None => true,
        });
        tally(seen, now, MAX_LIST, MAX_POINTS)
    }))
}
