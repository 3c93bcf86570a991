//! `<data_dir>/update-state.json`: which installed release runs, the previous good one, the
//! minimum version, and every rejection with its reason. Written atomically (temporary file,
//! fsync, rename) and owned by the data directory's owner (the CLI may run as root).

use super::UpdateError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const STATE_FILE: &str = "update-state.json";
pub const BIN_DIR: &str = "bin";

/// An installed release: `<data_dir>/bin/<file>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    pub version: String,
    pub file: String,
    pub sha256: String,
    pub min_version: String,
    pub store_format: u64,
    pub installed_at_ms: u64,
    /// it opened the store, served HTTP and reached its upstream in time once
    pub passed_probation: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub version: String,
    pub reason: String,
    pub at_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateState {
    /// the installed release the packaged binary hands over to; `None`: the packaged binary runs
    pub current: Option<Installed>,
    /// the release to go back to if `current` fails probation; `None`: the packaged binary
    pub previous: Option<Installed>,
    /// no release below this version is installed (raised when a release passes probation)
    pub floor: Option<String>,
    pub rejected: Vec<Rejection>,
    pub last_rollback: Option<Rejection>,
}

pub fn state_path(data_dir: &Path) -> PathBuf {
    data_dir.join(STATE_FILE)
}

pub fn bin_path(data_dir: &Path, file: &str) -> PathBuf {
    data_dir.join(BIN_DIR).join(file)
}

impl UpdateState {
    pub fn load(data_dir: &Path) -> Result<UpdateState, UpdateError> {
        match std::fs::read(state_path(data_dir)) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| UpdateError::State(format!("{}: {e}", state_path(data_dir).display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(UpdateState::default()),
            Err(e) => Err(UpdateError::State(format!("{}: {e}", state_path(data_dir).display()))),
        }
    }

    pub fn save(&self, data_dir: &Path) -> Result<(), UpdateError> {
        let mut body = serde_json::to_vec_pretty(self).expect("the state serializes");
        body.push(b'\n');
        write_atomic(data_dir, &state_path(data_dir), &body, 0o600)
    }

    /// (version, reason) of every rejection, for `manifest::check`.
    pub fn rejected_pairs(&self) -> Vec<(String, String)> {
        self.rejected.iter().map(|r| (r.version.clone(), r.reason.clone())).collect()
    }
}

/// Writes `path` atomically with `mode`, owned like `data_dir` (when we may chown).
pub fn write_atomic(data_dir: &Path, path: &Path, body: &[u8], mode: u32) -> Result<(), UpdateError> {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let err = |e: std::io::Error| UpdateError::State(format!("{}: {e}", path.display()));
    let mut f = crate::fsx::NewFile::create(path, mode).map_err(err)?;
    f.write_all(body).map_err(err)?;
    if let Ok(m) = std::fs::metadata(data_dir) {
        // the CLI may run as root; the node runs as the data directory's owner
        let _ = std::os::unix::fs::fchown(f.file(), Some(m.uid()), Some(m.gid()));
    }
    f.commit().map_err(err)
}
