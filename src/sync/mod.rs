//! Sync between a node and its parent (DESIGN §5): mutual TLS on a separate port, events
//! upward in order and acknowledged after they are flushed, a per-child feed downward.
//! `pki` makes and pins the federation's certificates, `wire` is what travels, `server` is the
//! parent's side, `client` the child's.

pub mod client;
mod error;
pub mod pki;
pub mod server;
pub mod wire;

pub use error::SyncError;

use crate::service::App;
use std::sync::Arc;

/// Starts the parent side on `listener` (children connect here). Loads the children and
/// routes into the store first, so feeds are kept from the first write.
pub fn start_server(
    app: Arc<App>,
    listener: std::net::TcpListener,
) -> Result<(actix_web::dev::Server, Arc<server::Server>), SyncError> {
    crate::service::sync::load_routing(&app)?;
    let ca = pki::Ca::load_or_create(&app.data_dir, app.node.as_str())?;
    let server = server::Server::new(app.clone(), ca);
    // a local write may grow a child's feed: wake its long poll
    let s = server.clone();
    let mut changes = app.changes.subscribe();
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => s.written.notify_waiters(),
                Err(_) => return,
            }
        }
    });
    Ok((server::serve(server.clone(), listener)?, server))
}
