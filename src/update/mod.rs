//! Signed updates with probation and automatic rollback (DESIGN §9). See ARCHITECTURE.md.
//!
//! - `manifest`: the signed manifest and the pure rules (versions, minimum version, store
//!   formats, cohorts: `meant_for`).
//! - `verify`: key pairs, `sign`, `verify(archive, keys) -> VerifiedRelease`.
//! - `install(verified, data_dir, store_format)`: checks the release against this node and puts
//!   the executable in `<data_dir>/bin/banpol-<version>` as `current` in `update-state.json`.
//! - `supervise`: the packaged `/usr/bin/banpol serve` starts the current installed release as a
//!   child on probation, and rolls back by itself when it fails.
//! - `status(data_dir)`: what runs, what ran before, the last rollback and why (for the hub).
//!
//! Layout in the data directory (writable under `ProtectSystem=strict`, unlike `/usr/bin`):
//! `bin/banpol-<version>`, `update-state.json`, `probation-passed` (the child's proof).

pub mod manifest;
pub mod publish;
pub mod state;
pub mod supervise;
pub mod verify;

pub use manifest::{meant_for, Cohort, CohortState, Manifest, Version};
pub use state::{Installed, Rejection, UpdateState};
pub use verify::{verify, TrustedKeys, VerifiedRelease};

use crate::config::Supervision;
use crate::service::App;
use std::path::Path;

/// The exit code of a node that stopped cleanly to restart into a new release. systemd
/// restarts it (`RestartForceExitStatus=75` in the unit); tests restart it themselves.
pub const EXIT_RESTART: i32 = 75;

/// Set by the supervisor on its child: the release version the child is.
pub const SUPERVISED_ENV: &str = "BANPOL_SUPERVISED";
/// Set by the supervisor on a child on probation.
pub const PROBATION_ENV: &str = "BANPOL_PROBATION";

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("no trusted release key is compiled into this binary: updates are refused (see README, Releases)")]
    NoTrustedKey,
    #[error("the archive carries no zipsign signature: refused")]
    Unsigned,
    #[error("the archive's signature is not from a trusted key (or the archive was changed): refused")]
    BadSignature,
    #[error("the manifest's signature is not from a trusted key: refused")]
    BadManifestSignature,
    #[error("the executable's SHA-256 is {found}, the manifest says {expected}: refused")]
    Checksum { expected: String, found: String },
    #[error("bad release archive: {0}")]
    Archive(String),
    #[error("key: {0}")]
    Key(String),
    #[error("refused: {0}")]
    Refused(#[from] manifest::Refusal),
    #[error("update state: {0}")]
    State(String),
    #[error("{0}")]
    Io(String),
}

/// The version this process is: the release the supervisor started, else the packaged build.
pub fn running_version(s: &Supervision) -> String {
    s.supervised.clone().unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned())
}

/// The packaged build's own version.
pub fn packaged_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The version a node with this state runs: the installed release when it is newer than the
/// packaged build, else the packaged build.
pub fn active_version(state: &UpdateState) -> String {
    match &state.current {
        Some(c) if newer_than_packaged(&c.version) => c.version.clone(),
        _ => packaged_version().to_owned(),
    }
}

pub(crate) fn newer_than_packaged(v: &str) -> bool {
    match (Version::parse(v), Version::parse(packaged_version())) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

/// Checks a verified release against this node (target, rejections, minimum version, store
/// format) and installs it as `current`; the node runs it after its next restart, on probation.
pub fn install(v: &VerifiedRelease, data_dir: &Path, store_format: u64) -> Result<Installed, UpdateError> {
    let mut st = UpdateState::load(data_dir)?;
    let running = active_version(&st);
    let rejected = st.rejected_pairs();
    let target = manifest::this_target();
    manifest::check(
        &v.manifest,
        &manifest::NodeFacts {
            target: &target,
            running: &running,
            floor: st.floor.as_deref(),
            rejected: &rejected,
            store_format,
        },
    )?;
    let file = format!("banpol-{}", v.manifest.version);
    let dir = data_dir.join(state::BIN_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| UpdateError::Io(format!("{}: {e}", dir.display())))?;
    if let Ok(m) = std::fs::metadata(data_dir) {
        // the CLI may run as root: the node (the data directory's owner) must manage bin/ too
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::chown(&dir, Some(m.uid()), Some(m.gid()));
    }
    swap_in(data_dir, &dir.join(&file), &v.binary)?;
    // the signed manifest goes next to it: the supervisor checks both again before every start
    state::write_atomic(data_dir, &dir.join(format!("{file}.manifest.json")), &v.manifest_bytes, 0o644)?;
    state::write_atomic(data_dir, &dir.join(format!("{file}.manifest.sig")), v.manifest_sig.as_bytes(), 0o644)?;
    let installed = Installed {
        version: v.manifest.version.clone(),
        file,
        sha256: v.manifest.sha256.clone(),
        min_version: v.manifest.min_version.clone(),
        store_format: v.manifest.store_format,
        installed_at_ms: crate::service::now().0,
        passed_probation: false,
    };
    match st.current.take() {
        Some(c) if c.passed_probation && newer_than_packaged(&c.version) => st.previous = Some(c),
        _ => {}
    }
    st.current = Some(installed.clone());
    st.save(data_dir)?;
    tracing::info!(version = %installed.version, key = %v.key, "release installed; it runs on probation after the restart");
    Ok(installed)
}

/// Puts a release's executable at `dest` with `self_update`'s move: written and synced under a
/// temporary name in the same directory first, then renamed over `dest` (a crash leaves either
/// the old file or the new one, never half of one).
fn swap_in(data_dir: &Path, dest: &Path, binary: &[u8]) -> Result<(), UpdateError> {
    let staged = dest.with_extension("incoming");
    state::write_atomic(data_dir, &staged, binary, 0o755)?;
    let old = dest.with_extension("replaced");
    self_update::Move::from_source(&staged)
        .replace_using_temp(&old)
        .to_dest(dest)
        .map_err(|e| UpdateError::Io(format!("{}: {e}", dest.display())))?;
    let _ = std::fs::remove_file(&old);
    Ok(())
}

/// What a node reports about its updates (the sync side sends it to the hub).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UpdateStatus {
    /// the version serving this data directory
    pub running: String,
    pub packaged: String,
    pub current: Option<String>,
    pub previous: Option<String>,
    pub on_probation: bool,
    pub floor: Option<String>,
    pub last_rollback: Option<Rejection>,
    pub rejected: Vec<Rejection>,
}

pub fn status(data_dir: &Path, s: &Supervision) -> Result<UpdateStatus, UpdateError> {
    let st = UpdateState::load(data_dir)?;
    // a supervised release knows what it is; anyone else (the packaged node, the CLI) reads it
    // from the state: the packaged binary serves itself only when no newer release is current
    let running = if s.supervised.is_some() { running_version(s) } else { active_version(&st) };
    Ok(UpdateStatus {
        running,
        packaged: packaged_version().to_owned(),
        on_probation: st.current.as_ref().is_some_and(|c| !c.passed_probation && newer_than_packaged(&c.version)),
        current: st.current.map(|c| c.version),
        previous: st.previous.map(|c| c.version),
        floor: st.floor,
        last_rollback: st.last_rollback,
        rejected: st.rejected,
    })
}

/// Puts the update state into the metrics (`banpol_update_*`).
pub fn publish_metrics(app: &App) {
    let metrics = &app.metrics;
    let Ok(s) = status(&app.data_dir, &app.supervision) else {
        return;
    };
    use crate::metrics::{UPDATE_INFO, UPDATE_LAST_ROLLBACK, UPDATE_ON_PROBATION, UPDATE_REJECTED};
    metrics.clear(&UPDATE_INFO);
    let (current, previous) = (s.current.as_deref().unwrap_or(""), s.previous.as_deref().unwrap_or(""));
    metrics.set(&UPDATE_INFO, &[&s.running, &s.packaged, current, previous], 1.0);
    metrics.set(&UPDATE_ON_PROBATION, &[], if s.on_probation { 1.0 } else { 0.0 });
    metrics.set(&UPDATE_REJECTED, &[], s.rejected.len() as f64);
    let rollback = s.last_rollback.map(|r| r.at_ms as f64 / 1000.0).unwrap_or(0.0);
    metrics.set(&UPDATE_LAST_ROLLBACK, &[], rollback);
}
