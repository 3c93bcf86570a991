//! Admin commands (`banpol user ...`, `banpol verify`) work the same whether or not the node is
//! serving. sled lets one process hold the store, so a serving node listens on a Unix socket in
//! its data directory (mode 0600, in a 0700 directory, and the peer's uid is checked); the CLI
//! talks to it, and opens the store itself only when no node is serving.

use super::auth::{add_user, disable_user, enable_user, set_password};
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
        /// a leader who may ratify SOP versions
        #[serde(default)]
        ratifier: bool,
    },
    UserList,
    UserPasswd {
        name: String,
        password: String,
    },
    UserDisable {
        name: String,
    },
    UserEnable {
        name: String,
    },
    Verify,
    /// an Open311 partner key (printed once; only its hash is kept)
    Open311KeyAdd {
        name: String,
        #[serde(default)]
        all: bool,
    },
    Open311KeyList,
    Open311KeyRevoke {
        name: String,
    },
    /// a one-time join token for child node `code`; the CLI reads the CA fingerprint it pins
    NodeInvite {
        code: String,
        ttl_ms: u64,
        ca_fingerprint: String,
    },
    /// after the data directory was restored by copying files: a new epoch for this node's log
    NodeNewEpoch,
    /// the store's format marker (checked before an update is installed)
    StoreFormat,
    /// stop cleanly and exit with 75 so systemd (or a test) restarts into a new release
    Restart,
    /// a consistent backup, streamed back as raw bytes after the response line
    Backup,
    /// the Polsek lists in force and their versions (`polres`: one Polres's)
    PolsekShow {
        #[serde(default)]
        polres: Option<String>,
    },
    /// saves a new version of this post's Polres's list: `text` holds `[[polsek]]` entries in
    /// the units file's form (none: the Polres has no Polsek)
    PolsekSet {
        polres: String,
        text: String,
    },
    /// the export to PostgreSQL: its status (`json`: as JSON), or a rebuild from scratch
    ExportStatus {
        #[serde(default)]
        json: bool,
    },
    ExportRebuild,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    pub output: String,
}

/// Runs one admin command against an open store; returns what to print.
pub fn execute(store: &Store, units: &Units, req: Request) -> Result<String, ServiceError> {
    // each Polres's saved Polsek list, as the node works with them (accounts of a Polsek unit)
    let file = units;
    let units = &super::polsek::directory_of(store, file)?;
    let out = match req {
        Request::UserAdd { name, role, unit, password, ratifier } => {
            let r = Role::parse(&role).ok_or_else(|| ServiceError::UnknownRole(role.clone()))?;
            if ratifier && r != Role::Leader {
                return Err(ServiceError::RatifierNotLeader);
            }
            let mut u = add_user(store, units, &name, r, unit.as_deref(), &password, false)?;
            if ratifier {
                u.ratifier = true;
                let _ = store.put_user(&u)?;
            }
            store.log_access(super::now(), "cli", "user_add", &u.username, "admin-socket")?;
            format!(
                "user {} added ({}{}{})",
                u.username,
                r.as_str(),
                u.unit.map(|u| format!(", unit {u}")).unwrap_or_default(),
                if u.ratifier { ", ratifier" } else { "" }
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
                    match (u.disabled, u.pending) {
                        (true, _) => "disabled",
                        (false, true) => "pending (a ka_siaga or leader confirms it in /admin)",
                        (false, false) => "active",
                    }
                ));
            }
            lines.join("\n")
        }
        Request::UserPasswd { name, password } => {
            let u = set_password(store, &name, &password, false)?;
            store.log_access(super::now(), "cli", "user_passwd", &name, "admin-socket")?;
            let state = if u.disabled { " (the account stays disabled: banpol user enable)" } else { "" };
            format!("password of {name} changed; their sessions are closed{state}")
        }
        Request::UserDisable { name } => {
            disable_user(store, &name)?;
            store.log_access(super::now(), "cli", "user_disable", &name, "admin-socket")?;
            format!("user {name} disabled; their sessions are closed")
        }
        Request::UserEnable { name } => {
            enable_user(store, &name)?;
            store.log_access(super::now(), "cli", "user_enable", &name, "admin-socket")?;
            format!("user {name} enabled")
        }
        Request::PolsekShow { polres } => super::polsek::show(store, file, polres.as_deref())?,
        Request::PolsekSet { polres, text } => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct List {
                #[serde(default)]
                polsek: Vec<crate::model::units::RawPolsek>,
            }
            let list: List = toml::from_str(&text).map_err(|e| ServiceError::PolsekToml(e.to_string()))?;
            if let Some((index, p)) = list.polsek.iter().enumerate().find(|(_, p)| p.polres != polres) {
                let (code, polres) = (p.code.clone(), p.polres.clone());
                return Err(crate::model::units::PolsekError::NotHere { index, code, polres }.into());
            }
            let (s, _, durable) = super::polsek::save(store, file, "cli", &polres, None, list.polsek)?;
            store.durable_blocking(durable)?;
            let what = format!("{} v{}", s.polres, s.version);
            store.log_access(super::now(), "cli", "polsek_save", &what, "admin-socket")?;
            format!("Polsek list of {} saved as version {} ({} Polsek)", s.polres, s.version, s.polsek.len())
        }
        Request::Open311KeyAdd { name, all } => {
            let (p, key, durable) = super::open311::add_key(store, &name, all)?;
            store.durable_blocking(durable)?;
            store.log_access(super::now(), "cli", "open311_key_add", &p.name, "admin-socket")?;
            let scope = if all { "every case of this node" } else { "the requests it files" };
            format!("Open311 key for {} (reads {scope}); shown once, keep it:\n{key}", p.name)
        }
        Request::Open311KeyList => {
            let mut lines = vec![format!("{:<24} {:<26} {:<6} {}", "NAME", "CREATED", "READS", "STATE")];
            for p in super::open311::list_keys(store)? {
                lines.push(format!(
                    "{:<24} {:<26} {:<6} {}",
                    p.name,
                    p.created.rfc3339(crate::model::time::WIB),
                    if p.all { "all" } else { "own" },
                    p.revoked.map_or_else(
                        || "active".to_owned(),
                        |at| format!("revoked {}", at.rfc3339(crate::model::time::WIB))
                    )
                ));
            }
            lines.join("\n")
        }
        Request::Open311KeyRevoke { name } => {
            let (_, durable) = super::open311::revoke_key(store, &name)?;
            store.durable_blocking(durable)?;
            store.log_access(super::now(), "cli", "open311_key_revoke", &name, "admin-socket")?;
            format!("Open311 key of {name} revoked; its requests stay")
        }
        Request::NodeInvite { code, ttl_ms, ca_fingerprint } => {
            let node = crate::model::NodeCode::parse(&code)
                .map_err(|e| ServiceError::BadNodeCode(code.clone(), e.to_string()))?;
            if !units.has_node(&node) {
                return Err(ServiceError::UnknownNode(node));
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
                return Err(ServiceError::ChainBroken(lines.join("\n")));
            }
            lines.join("\n")
        }
        Request::StoreFormat => store.stored_format()?.to_string(),
        Request::Restart => "no node is serving here; nothing to restart".to_owned(),
        Request::ExportStatus { .. } | Request::ExportRebuild => return Err(ServiceError::ExportNotServing),
        Request::Backup => return Err(ServiceError::NotExecutable),
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
        Ok(Request::Restart) => {
            tracing::info!("admin socket: restart requested (a new release is installed)");
            app.restart.notify_one();
            Response { ok: true, output: "the node stops cleanly and restarts".into() }
        }
        Ok(Request::Backup) => return stream_backup(app, w).await,
        Ok(Request::ExportStatus { json }) => {
            let s = app.export.status();
            let output =
                if json { serde_json::to_string(&s).unwrap_or_default() } else { super::export::status_text(&s) };
            Response { ok: true, output }
        }
        Ok(Request::ExportRebuild) => match super::export::ask_rebuild(&app) {
            Ok(()) => Response {
                ok: true,
                output: "export rebuild asked: this node's rows leave the database in one transaction, then \
                         everything is exported again (follow it with `banpol export status`)"
                    .into(),
            },
            Err(e) => Response { ok: false, output: e.to_string() },
        },
        Ok(req) => {
            let invite = matches!(req, Request::NodeInvite { .. });
            let polsek = matches!(req, Request::PolsekSet { .. });
            let app2 = app.clone();
            let mut res = tokio::task::spawn_blocking(move || execute(&app2.store, &app2.units, req))
                .await
                .unwrap_or_else(|e| Err(ServiceError::Crashed(e.to_string())));
            if polsek && res.is_ok() {
                // the saved list is in force on the running node at once
                if let Err(e) = super::polsek::reload(&app) {
                    res = Err(e);
                }
            }
            match res {
                // an invitation needs a listener the child can reach: open it if it is on demand
                Ok(output) if invite => match app.sync_gate.open().await {
                    Some(Ok(url)) => {
                        Response { ok: true, output: format!("{output}\n\nthis node serves sync at {url}") }
                    }
                    Some(Err(e)) => Response {
                        ok: false,
                        output: format!(
                            "{output}\n\nbut the sync listener could not be opened: {e}; free that address or set \
                             sync_listen, then restart the node"
                        ),
                    },
                    None => Response { ok: true, output },
                },
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

/// Takes the backup's cut, waits until it is durable, then streams the file: one response
/// line, then the raw backup bytes until the connection closes.
async fn stream_backup(app: Arc<super::App>, mut w: tokio::net::unix::OwnedWriteHalf) -> std::io::Result<()> {
    let cut = match app.store.backup_cut(super::now().0) {
        Ok(c) => c,
        Err(e) => return respond(&mut w, Response { ok: false, output: e.to_string() }).await,
    };
    if let Err(e) = app.store.durable(cut.durable).await {
        return respond(&mut w, Response { ok: false, output: e.to_string() }).await;
    }
    tracing::info!(heads = ?cut.header().heads, "backup: cut taken");
    let mut first = serde_json::to_vec(&Response { ok: true, output: "backup follows".into() }).unwrap_or_default();
    first.push(b'\n');
    w.write_all(&first).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    let app2 = app.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(256 << 10, ChannelWriter(tx));
        let r = app2.store.write_backup(&cut, &mut out, &mut |n| tracing::info!(records = n, "backup in progress"));
        use std::io::Write;
        r.and_then(|s| out.flush().map(|_| s).map_err(|e| crate::store::StoreError::Io(e.to_string())))
    });
    while let Some(chunk) = rx.recv().await {
        w.write_all(&chunk).await?;
    }
    match job.await {
        Ok(Ok(s)) => tracing::info!(records = s.records, events = s.events, "backup: sent"),
        Ok(Err(e)) => tracing::error!(error = %e, "backup failed; the client gets a truncated file and says so"),
        Err(e) => tracing::error!(error = %e, "backup task failed"),
    }
    w.shutdown().await
}

async fn respond(w: &mut tokio::net::unix::OwnedWriteHalf, resp: Response) -> std::io::Result<()> {
    let mut out = serde_json::to_vec(&resp).unwrap_or_default();
    out.push(b'\n');
    w.write_all(&out).await?;
    w.shutdown().await
}

/// Hands what the backup writer writes to the socket task.
struct ChannelWriter(tokio::sync::mpsc::Sender<Vec<u8>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.blocking_send(buf.to_vec()).map_err(|_| std::io::Error::other("the client went away"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fetches a backup from a serving node into `out`, calling `progress(bytes)` as it arrives.
/// `Ok(None)` when no node is listening.
pub async fn fetch_backup(
    path: &Path,
    out: &mut (dyn std::io::Write + Send),
    progress: &mut (dyn FnMut(u64) + Send),
) -> std::io::Result<Option<Response>> {
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let (r, mut w) = stream.into_split();
    let mut body = serde_json::to_vec(&Request::Backup)?;
    body.push(b'\n');
    w.write_all(&body).await?;
    let mut r = BufReader::new(r);
    let mut line = String::new();
    r.read_line(&mut line).await?;
    let resp: Response = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    if !resp.ok {
        return Ok(Some(resp));
    }
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
        total += n as u64;
        progress(total);
    }
    Ok(Some(Response { ok: true, output: total.to_string() }))
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
