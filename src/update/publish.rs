//! Releases published at a parent (the hub) for its children: `banpol release publish` checks
//! the archive like a post would and keeps it in `<data_dir>/releases/`; children ask for it
//! over the sync channel and get it when its cohort says so (`manifest::meant_for`).

use super::state::write_atomic;
use super::{verify, Manifest, TrustedKeys, UpdateError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const RELEASES_DIR: &str = "releases";
const PUBLISHED: &str = "published.json";

/// The release on offer to the children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub manifest: Manifest,
    /// the archive's file name in `releases/`
    pub file: String,
    pub size: u64,
    pub published_at_ms: u64,
}

fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join(RELEASES_DIR)
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> UpdateError + '_ {
    move |e| UpdateError::Io(format!("{}: {e}", p.display()))
}

/// Verifies `archive` against `keys` and offers it to the children (replacing the previous
/// offer). A release that would not install anywhere is never offered.
pub fn publish(data_dir: &Path, archive: &[u8], keys: &TrustedKeys) -> Result<Published, UpdateError> {
    let v = verify(archive, keys)?;
    let d = dir(data_dir);
    std::fs::create_dir_all(&d).map_err(io(&d))?;
    let file = format!("banpol-{}.tar.gz", v.manifest.version);
    write_atomic(data_dir, &d.join(&file), archive, 0o644)?;
    let p =
        Published { manifest: v.manifest, file, size: archive.len() as u64, published_at_ms: crate::service::now().0 };
    let json = serde_json::to_vec_pretty(&p).map_err(|e| UpdateError::State(e.to_string()))?;
    write_atomic(data_dir, &d.join(PUBLISHED), &json, 0o644)?;
    tracing::info!(version = %p.manifest.version, "release published to the children");
    Ok(p)
}

/// The release on offer, if any.
pub fn published(data_dir: &Path) -> Result<Option<Published>, UpdateError> {
    let f = dir(data_dir).join(PUBLISHED);
    match std::fs::read(&f) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| UpdateError::State(format!("{}: {e}", f.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&f)(e)),
    }
}

/// The archive bytes of the release on offer.
pub fn archive(data_dir: &Path, p: &Published) -> Result<Vec<u8>, UpdateError> {
    let f = dir(data_dir).join(&p.file);
    std::fs::read(&f).map_err(io(&f))
}
