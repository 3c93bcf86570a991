//! The Command Center board: today's figures, overdue and escalated cases, units' deadlines and
//! the map's points, tallied by `model::board` over the cases the viewer may see.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::board::{tally, Board};
use crate::model::{Action, Millis};

/// At most this many cases in each list, and on the map.
pub const MAX_LIST: usize = 50;
pub const MAX_POINTS: usize = 1000;

/// The board as `staff` may see it (a unit officer: its unit's cases only). Reads every case once.
pub fn board(app: &App, staff: &Staff, now: Millis) -> Result<Board, ServiceError> {
    if !staff.role.may(Action::ReadCases) {
        return Err(ServiceError::Forbidden("your role does not read cases".into()));
    }
    let mut cases = Vec::new();
    for c in app.store.all_cases() {
        let c = c?;
        if super::cases::in_scope(staff, &c) {
            cases.push(c);
        }
    }
    Ok(tally(&cases, now, |c| super::cases::pending(app, c).map(|(_, d)| d), MAX_LIST, MAX_POINTS))
}
