//! Health and integrity: is the store writable, do the hash chains hold.

use super::auth::Staff;
use super::{App, ServiceError};
use crate::model::Action;
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

/// The newest access-log entries (logins, reads of personal data, admin actions) and whether the
/// log's hash chain holds. Auditors only.
pub fn access_log(app: &App, staff: &Staff, limit: usize) -> Result<(Vec<AccessEntry>, bool), ServiceError> {
    if !staff.role.may(Action::ReadAccessLog) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read the access log" });
    }
    Ok(app.store.access_log(limit.clamp(1, 1000))?)
}
