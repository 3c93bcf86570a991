//! Admin commands (`banpol user ...`, `banpol verify`) work the same whether or not the node is
//! serving. sled lets one process hold the store, so a serving node listens on a Unix socket in
//! its data directory (mode 0600, in a 0700 directory, and the peer's uid is checked); the CLI
//! talks to it, and opens the store itself only when no node is serving.

use super::auth::{add_user, disable_user, set_password};
use super::ServiceError;
use crate::model::{Role, Units};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    UserAdd {
        name: String,
        role: String,
        unit: Option<String>,
        password: String,
    },
    UserList,
    UserPasswd {
        name: String,
        password: String,
    },
    UserDisable {
        name: String,
    },
    Verify,
    /// a one-time join token for child node `code`; the CLI reads the CA fingerprint it pins
    NodeInvite {
        code: String,
        ttl_ms: u64,
        ca_fingerprint: String,
    },
    /// after the data directory was restored by copying files: a new epoch for this node's log
    NodeNewEpoch,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    pub output: String,
}

/// Runs one admin command against an open store; returns what to print.
pub fn execute(store: &Store, units: &Units, req: Request) -> Result<String, ServiceError> {
    let out = match req {
        Request::UserAdd { name, role, unit, password } => {
            let r = Role::parse(&role).ok_or_else(|| {
                let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                ServiceError::BadRequest(format!("role {role:?} is unknown: use one of {}", all.join(", ")))
            })?;
            let u = add_user(store, units, &name, r, unit.as_deref(), &password)?;
            store.log_access(super::now(), "cli", "user_add", &u.username, "admin-socket")?;
            format!(
                "user {} added ({}{})",
                u.username,
                r.as_str(),
                u.unit.map(|u| format!(", unit {u}")).unwrap_or_default()
            )
        }
        Request::UserList => {
            let mut lines = vec![format!("{:<24} {:<14} {:<14} {}", "USERNAME", "ROLE", "UNIT", "STATE")];
            for u in store.users()? {
                lines.push(format!(
                    "{:<24} {:<14} {:<14} {}",
                    u.username,
                    u.role.as_str(),
                    u.unit.map(|u| u.to_string()).unwrap_or_else(|| "-".into()),
                    if u.disabled { "disabled" } else { "active" }
                ));
            }
            lines.join("\n")
        }
        Request::UserPasswd { name, password } => {
            set_password(store, &name, &password)?;
            store.log_access(super::now(), "cli", "user_passwd", &name, "admin-socket")?;
            format!("password of {name} changed; their sessions are closed")
        }
        Request::UserDisable { name } => {
            disable_user(store, &name)?;
            store.log_access(super::now(), "cli", "user_disable", &name, "admin-socket")?;
            format!("user {name} disabled; their sessions are closed")
        }
        Request::NodeInvite { code, ttl_ms, ca_fingerprint } => {
            let node = crate::model::NodeCode::parse(&code)
                .map_err(|e| ServiceError::BadRequest(format!("{code:?} is not a node code: {e}")))?;
            if !units.has_node(&node) {
                return Err(ServiceError::BadRequest(format!(
                    "{node} is not a node in the units directory (use a Polres code such as PLG)"
                )));
            }
            let token = super::sync::invite(store, &node, ttl_ms, &ca_fingerprint)?;
            store.log_access(super::now(), "cli", "node_invite", node.as_str(), "admin-socket")?;
            format!(
                "join token for {node} (single use, valid {} h):\n{token}\n\non the post: banpol node join https://THIS-HUB:8444 {token}",
                ttl_ms / 3_600_000
            )
        }
        Request::NodeNewEpoch => {
            let head = store.begin_new_epoch(super::now())?;
            store.log_access(super::now(), "cli", "node_new_epoch", store.node().as_str(), "admin-socket")?;
            format!(
                "node {} continues its log in a new epoch at seq {}; its parent will take a full resend",
                store.node(),
                head.next_seq()
            )
        }
        Request::Verify => {
            let reports = store.verify_chains()?;
            let mut lines = Vec::new();
            let mut bad = false;
            for r in reports {
                bad |= !r.ok;
                lines.push(format!(
                    "{:<8} {:>8} events  {}",
                    r.origin,
                    r.events,
                    if r.ok { "chain ok".to_owned() } else { format!("BROKEN: {}", r.problem.unwrap_or_default()) }
                ));
            }
            if bad {
                return Err(ServiceError::Conflict(lines.join("\n")));
            }
            lines.join("\n")
        }
    };
    store.flush_now()?;
    Ok(out)
}

/// Binds the admin socket (owner only). Done before the node says it is up, so an admin command
/// run right after start reaches it.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves admin commands until shutdown, then removes the socket.
pub async fn serve(
    store_app: Arc<super::App>,
    listener: UnixListener,
    path: &Path,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(path)?.uid();
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => { tracing::warn!(error = %e, "admin socket accept failed"); continue }
            },
            _ = shutdown.changed() => break,
        };
        let peer = stream.peer_cred().map(|c| c.uid()).unwrap_or(u32::MAX);
        if peer != owner && peer != 0 {
            tracing::warn!(peer, "admin socket: refused a connection from another user");
            continue;
        }
        let app = store_app.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(app, stream).await {
                tracing::warn!(error = %e, "admin socket connection failed");
            }
        });
    }
    let _ = std::fs::remove_file(path);
    Ok(())
}

async fn handle(app: Arc<super::App>, stream: UnixStream) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut line = String::new();
    BufReader::new(r.take(1 << 20)).read_line(&mut line).await?;
    let resp = match serde_json::from_str::<Request>(&line) {
        Ok(req) => {
            let app2 = app.clone();
            let res = tokio::task::spawn_blocking(move || execute(&app2.store, &app2.units, req))
                .await
                .unwrap_or_else(|e| Err(ServiceError::BadRequest(e.to_string())));
            match res {
                Ok(output) => Response { ok: true, output },
                Err(e) => Response { ok: false, output: e.to_string() },
            }
        }
        Err(e) => Response { ok: false, output: format!("bad admin request: {e}") },
    };
    let mut out = serde_json::to_vec(&resp).unwrap_or_default();
    out.push(b'\n');
    w.write_all(&out).await?;
    w.shutdown().await
}

/// Sends one command to a serving node. `Ok(None)` when no node is listening.
pub async fn send(path: &Path, req: &Request) -> std::io::Result<Option<Response>> {
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let (r, mut w) = stream.into_split();
    let mut body = serde_json::to_vec(req)?;
    body.push(b'\n');
    w.write_all(&body).await?;
    let mut line = String::new();
    BufReader::new(r).read_line(&mut line).await?;
    let resp: Response = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    Ok(Some(resp))
}
