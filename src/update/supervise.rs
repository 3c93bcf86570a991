//! Probation and rollback. The packaged binary is the stable entry (`/usr/bin/banpol serve`,
//! which `ProtectSystem=strict` keeps read-only). When an installed release is newer, it runs it
//! as a child with the same arguments (`BANPOL_SUPERVISED=<version>`), forwards SIGTERM and
//! SIGINT, and passes the child's exit code on (75 = restart into a newer release).
//!
//! A release that has not passed probation gets `BANPOL_PROBATION=<version>`: within
//! `update_probation` it must write `<data_dir>/probation-passed` (its version), which it does
//! once its store is open, its own `/healthz` answers over HTTPS (a durable store write) and its
//! upstream is reachable (`upstream_reachable`). If it exits first or misses the deadline, the
//! supervisor kills it, records the rejection with its reason, makes the previous good release
//! (or the packaged binary) current again, and carries on serving: no restart needed.

use super::state::{bin_path, Rejection, UpdateState};
use super::{Installed, UpdateError, Version, PROBATION_ENV, SUPERVISED_ENV};
use crate::config::Supervision;
use crate::service::App;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub const MARKER: &str = "probation-passed";

/// What `serve` should run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// serve in this process
    Packaged,
    /// supervise this installed release
    Release(Installed),
}

/// Chooses what to run: the installed `current` when it is newer than this build and its file
/// is there; else this build. A process started by a supervisor always serves itself.
pub fn plan(data_dir: &Path, s: &Supervision) -> Result<Plan, UpdateError> {
    if s.supervised.is_some() {
        return Ok(Plan::Packaged);
    }
    let st = UpdateState::load(data_dir)?;
    match st.current {
        Some(c) if super::newer_than_packaged(&c.version) => match check_installed(data_dir, &c, s) {
            Ok(()) => Ok(Plan::Release(c)),
            Err(reason) => {
                reject(data_dir, &c.version, &reason)?;
                plan(data_dir, s)
            }
        },
        _ => Ok(Plan::Packaged),
    }
}

/// The installed executable is there, unchanged, and signed by a trusted key.
fn check_installed(data_dir: &Path, c: &Installed, s: &Supervision) -> Result<(), String> {
    let read = |name: String| std::fs::read(bin_path(data_dir, &name)).map_err(|e| format!("{name}: {e}"));
    let binary = read(c.file.clone()).map_err(|e| format!("its executable cannot be read ({e})"))?;
    let manifest = read(format!("{}.manifest.json", c.file))?;
    let sig = read(format!("{}.manifest.sig", c.file))?;
    let keys = super::TrustedKeys::load(s).map_err(|e| e.to_string())?;
    let m = super::verify::verify_installed(&binary, &manifest, &String::from_utf8_lossy(&sig), &keys)
        .map_err(|e| format!("its installed files do not verify: {e}"))?;
    if m.version != c.version {
        return Err(format!("its kept manifest is for version {}", m.version));
    }
    Ok(())
}

/// How a supervised child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// it stopped (after SIGTERM, or to restart with 75): exit with this code
    Exited(i32),
    /// it failed probation and was rolled back: plan again
    RolledBack(String),
}

/// Runs `release` as a child until it ends; see the module doc.
pub async fn supervise(data_dir: &Path, release: &Installed, probation: Duration) -> Result<Ended, UpdateError> {
    use tokio::signal::unix::{signal, SignalKind};
    let marker = data_dir.join(MARKER);
    let _ = std::fs::remove_file(&marker);
    let bin = bin_path(data_dir, &release.file);
    let on_probation = !release.passed_probation;
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.args(std::env::args_os().skip(1)).env(SUPERVISED_ENV, &release.version).kill_on_drop(true);
    if on_probation {
        cmd.env(PROBATION_ENV, &release.version);
    } else {
        cmd.env_remove(PROBATION_ENV);
    }
    tracing::info!(version = %release.version, probation = on_probation, "starting the installed release");
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let reason = format!("it could not be started: {e}");
            reject(data_dir, &release.version, &reason)?;
            return Ok(Ended::RolledBack(reason));
        }
    };
    let pid = child.id();
    let mut term = signal(SignalKind::terminate()).map_err(|e| UpdateError::Io(e.to_string()))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| UpdateError::Io(e.to_string()))?;
    let deadline = tokio::time::Instant::now() + probation;
    let mut pending = on_probation;
    let mut stopping = false;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            status = child.wait() => {
                let status = status.map_err(|e| UpdateError::Io(e.to_string()))?;
                if pending && !stopping && !passed(&marker, &release.version) {
                    let reason = format!("it exited during probation ({status})");
                    reject(data_dir, &release.version, &reason)?;
                    return Ok(Ended::RolledBack(reason));
                }
                if pending && passed(&marker, &release.version) {
                    pass(data_dir, &release.version)?;
                }
                return Ok(Ended::Exited(status.code().unwrap_or(1)));
            }
            _ = term.recv() => { stopping = true; forward(pid, "TERM") }
            _ = int.recv() => { stopping = true; forward(pid, "INT") }
            _ = tokio::time::sleep_until(deadline), if pending && !stopping => {
                if passed(&marker, &release.version) {
                    continue;
                }
                let _ = child.kill().await;
                let reason = format!(
                    "it did not open its store, serve HTTP and reach its upstream within {} s",
                    probation.as_secs()
                );
                reject(data_dir, &release.version, &reason)?;
                return Ok(Ended::RolledBack(reason));
            }
            _ = tick.tick(), if pending => {
                if passed(&marker, &release.version) {
                    pass(data_dir, &release.version)?;
                    pending = false;
                }
            }
        }
    }
}

fn forward(pid: Option<u32>, sig: &str) {
    if let Some(pid) = pid {
        // no unsafe code in this crate: the kill(1) command sends the signal
        let _ = std::process::Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status();
    }
}

fn passed(marker: &Path, version: &str) -> bool {
    std::fs::read_to_string(marker).is_ok_and(|s| s.trim() == version)
}

/// The release passed probation: it stays current, and the minimum version rises to its own.
fn pass(data_dir: &Path, version: &str) -> Result<(), UpdateError> {
    let mut st = UpdateState::load(data_dir)?;
    if let Some(c) = st.current.as_mut().filter(|c| c.version == version) {
        c.passed_probation = true;
        let min = c.min_version.clone();
        let raise = match (st.floor.as_deref().and_then(Version::parse), Version::parse(&min)) {
            (Some(f), Some(m)) => m > f,
            (None, Some(_)) => true,
            _ => false,
        };
        if raise {
            st.floor = Some(min);
        }
        st.save(data_dir)?;
        clean_bin(data_dir, &st);
        tracing::info!(%version, "the release passed probation");
    }
    let _ = std::fs::remove_file(data_dir.join(MARKER));
    Ok(())
}

/// Records a rejection and goes back to the previous good release (or the packaged binary).
pub fn reject(data_dir: &Path, version: &str, reason: &str) -> Result<(), UpdateError> {
    let mut st = UpdateState::load(data_dir)?;
    let r = Rejection { version: version.to_owned(), reason: reason.to_owned(), at_ms: crate::service::now().0 };
    tracing::error!(%version, %reason, "release rejected: rolling back");
    st.rejected.push(r.clone());
    st.last_rollback = Some(r);
    if st.current.as_ref().is_some_and(|c| c.version == version) {
        st.current = st.previous.take();
    }
    st.save(data_dir)?;
    clean_bin(data_dir, &st);
    Ok(())
}

/// Removes installed executables that are neither current nor previous.
fn clean_bin(data_dir: &Path, st: &UpdateState) {
    let keep: Vec<&str> = st.current.iter().chain(st.previous.iter()).map(|i| i.file.as_str()).collect();
    if let Ok(rd) = std::fs::read_dir(data_dir.join(super::state::BIN_DIR)) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let base = name.split(".manifest.").next().unwrap_or(&name);
            if !keep.contains(&base) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Resolves when this supervised child loses its supervisor (its parent process changes): the
/// child then stops cleanly instead of serving on unsupervised. Never resolves otherwise.
pub async fn orphaned(s: &Supervision) {
    if s.supervised.is_none() {
        return std::future::pending().await;
    }
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if std::os::unix::process::parent_id() != parent {
            tracing::warn!("the supervisor is gone: stopping");
            return;
        }
    }
}

/// Told by the sync client when the parent answered (`App::upstream_reached`).
pub fn upstream_reached(app: &App) {
    app.upstream_reached.store(true, Ordering::SeqCst);
}

/// Is this node's upstream (its hub) reachable? A node with no upstream passes; a post passes
/// once its sync link has said hello to the parent.
fn upstream_reachable(app: &App, has_upstream: bool) -> bool {
    !has_upstream || app.upstream_reached.load(Ordering::SeqCst)
}

/// Run by a child on probation once it serves: checks its own `/healthz` over HTTPS (the store
/// is open and takes a durable write) and its upstream (when `has_upstream`: it was joined, or
/// `upstream` is set), then writes the marker.
pub async fn prove(app: Arc<App>, addr: SocketAddr, version: String, has_upstream: bool) {
    let data_dir = &app.data_dir;
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    // our own loopback address: the certificate may name other hosts, so it is not checked here
    let client =
        match reqwest::Client::builder().danger_accept_invalid_certs(true).timeout(Duration::from_secs(5)).build() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "probation: no HTTP client");
                return;
            }
        };
    let url = format!("https://{addr}/healthz");
    loop {
        match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                if upstream_reachable(&app, has_upstream) {
                    break;
                }
            }
            Ok(r) => tracing::warn!(status = %r.status(), "probation: /healthz is not ok yet"),
            Err(e) => tracing::warn!(error = %e, "probation: /healthz does not answer yet"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    match super::state::write_atomic(data_dir, &data_dir.join(MARKER), format!("{version}\n").as_bytes(), 0o600) {
        Ok(()) => tracing::info!(%version, "probation: store, HTTP and upstream are fine"),
        Err(e) => tracing::error!(error = %e, "probation: could not write the marker"),
    }
}
