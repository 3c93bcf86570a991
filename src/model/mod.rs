//! The pure domain: ids, time, events, the case fold, the workflow, the SOP and the units
//! directory. Nothing here does I/O; everything is a function of its arguments, so it is tested
//! with tables. Allowed imports: std, serde, sha2/hex/hmac, time, thiserror.

pub mod board;
pub mod case;
pub mod drill;
pub mod event;
pub mod export;
pub mod ids;
pub mod open311;
pub mod photo;
pub mod prank;
pub mod recap;
pub mod report;
pub mod role;
pub mod sop;
pub mod summary;
pub mod sync;
pub mod time;
pub mod units;
pub mod wilayah;
pub mod workflow;
pub mod write;

pub use case::{Case, Conflict, Deadline};
pub use event::{Actor, Event, EventKind, Hash, ReportedCase};
pub use ids::{EventId, NodeCode, Phone, Ticket, UnitCode};
pub use role::{Action, Role};
pub use sop::{Category, Priority, Sop, Step};
pub use time::{Hlc, HlcClock, Millis};
pub use units::{Unit, UnitKind, Units};
pub use workflow::{CaseAction, Command, State};
