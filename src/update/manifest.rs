//! The release manifest and the pure rules on it: versions, the minimum version, store formats,
//! cohorts. No I/O here (the sync side calls `meant_for` on what the hub sends).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;

pub const MANIFEST_FORMAT: u32 = 1;

/// `manifest.json` inside a release archive, signed (ed25519 over its exact bytes, `manifest.sig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_format: u32,
    /// the release's version, `MAJOR.MINOR.PATCH`
    pub version: String,
    /// what it runs on: `<arch>-<os>`, e.g. `x86_64-linux` (`this_target()`)
    pub target: String,
    /// SHA-256 (hex) of the `banpol` executable in the archive
    pub sha256: String,
    /// once this release has passed probation, no release below this version is installed
    /// (a replayed old release cannot bring old bugs back)
    pub min_version: String,
    /// the store format this build writes
    pub store_format: u64,
    /// the oldest store format this build reads (it migrates forward from it)
    pub reads_store_from: u64,
    #[serde(default)]
    pub cohort: Cohort,
    /// when it was signed (RFC 3339), for people
    #[serde(default)]
    pub signed_at: String,
}

/// Who gets a release, in order: the canary posts; then, once the canaries run it well, a share
/// of the other nodes; then every node after `all_after`. The default is everyone at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    /// node codes that get it first (e.g. `["PLG"]`)
    #[serde(default)]
    pub canary: Vec<String>,
    /// percent (0-100) of the other nodes that get it once the canaries are healthy
    #[serde(default = "hundred")]
    pub share_percent: u8,
    /// from this time (RFC 3339) every node gets it, canaries healthy or not
    #[serde(default)]
    pub all_after: Option<String>,
}

fn hundred() -> u8 {
    100
}

impl Default for Cohort {
    fn default() -> Self {
        Cohort { canary: Vec::new(), share_percent: 100, all_after: None }
    }
}

/// What the hub knows when it answers a node: the time, and whether every canary runs this
/// release past its probation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortState {
    pub now_unix_s: i64,
    pub canaries_healthy: bool,
}

/// Is this release meant for `node` now? Pure: canary nodes always; everyone once `all_after`
/// has passed; otherwise, when the canaries are healthy (or there are none), the nodes whose
/// stable bucket (SHA-256 of version and node code, 0..100) is below `share_percent`.
pub fn meant_for(m: &Manifest, node: &str, state: &CohortState) -> bool {
    let c = &m.cohort;
    if c.canary.iter().any(|n| n == node) {
        return true;
    }
    if let Some(t) = &c.all_after {
        match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
            Ok(at) if state.now_unix_s >= at.unix_timestamp() => return true,
            Ok(_) => {}
            Err(_) => return false, // a malformed schedule sends nothing
        }
    }
    if !c.canary.is_empty() && !state.canaries_healthy {
        return false;
    }
    u16::from(bucket(&m.version, node)) < u16::from(c.share_percent)
}

/// A node's stable place (0..100) in the rollout of one version.
pub fn bucket(version: &str, node: &str) -> u8 {
    let h = Sha256::digest(format!("{version}/{node}").as_bytes());
    (u16::from_be_bytes([h[0], h[1]]) % 100) as u8
}

/// `<arch>-<os>` of this build, e.g. `x86_64-linux`.
pub fn this_target() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` (which sorts before the release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub nums: [u64; 3],
    pub pre: Option<String>,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, Some(p.to_owned())),
            Some(_) => return None,
            None => (s, None),
        };
        let mut it = core.split('.');
        let mut nums = [0u64; 3];
        for n in &mut nums {
            let part = it.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *n = part.parse().ok()?;
        }
        if it.next().is_some() {
            return None;
        }
        Some(Version { nums, pre })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nums.cmp(&other.nums).then_with(|| match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.nums[0], self.nums[1], self.nums[2])?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

/// Why a release may not be installed on this node (pure checks, in this order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the manifest has format {0}; this binary reads format {MANIFEST_FORMAT}")]
    ManifestFormat(u32),
    #[error("{0:?} is not a version like 1.2.3")]
    BadVersion(String),
    #[error("the release is built for {found}, this node is {here}")]
    WrongTarget { found: String, here: String },
    #[error("version {version} was rejected on this node before ({reason}); publish a new version")]
    RejectedBefore { version: String, reason: String },
    #[error("version {version} is below the minimum version {floor} this node accepts (downgrade refused)")]
    BelowMinimum { version: String, floor: String },
    #[error("this node already runs version {0}")]
    AlreadyRunning(String),
    #[error("the store has format {store}; this release reads formats {from} to {to}")]
    StoreFormat { store: u64, from: u64, to: u64 },
}

/// What a node knows about itself when it checks a release.
pub struct NodeFacts<'a> {
    pub target: &'a str,
    pub running: &'a str,
    /// the minimum version (from the last release that passed probation)
    pub floor: Option<&'a str>,
    /// (version, reason) of releases rejected here
    pub rejected: &'a [(String, String)],
    pub store_format: u64,
}

/// Checks a manifest against the node. Pure.
pub fn check(m: &Manifest, node: &NodeFacts) -> Result<Version, Refusal> {
    if m.manifest_format != MANIFEST_FORMAT {
        return Err(Refusal::ManifestFormat(m.manifest_format));
    }
    let v = Version::parse(&m.version).ok_or_else(|| Refusal::BadVersion(m.version.clone()))?;
    Version::parse(&m.min_version).ok_or_else(|| Refusal::BadVersion(m.min_version.clone()))?;
    if m.target != node.target {
        return Err(Refusal::WrongTarget { found: m.target.clone(), here: node.target.to_owned() });
    }
    if let Some((_, reason)) = node.rejected.iter().find(|(rv, _)| *rv == m.version) {
        return Err(Refusal::RejectedBefore { version: m.version.clone(), reason: reason.clone() });
    }
    if let Some(floor) = node.floor.and_then(Version::parse) {
        if v < floor {
            return Err(Refusal::BelowMinimum { version: m.version.clone(), floor: floor.to_string() });
        }
    }
    if Version::parse(node.running).as_ref() == Some(&v) {
        return Err(Refusal::AlreadyRunning(m.version.clone()));
    }
    if node.store_format < m.reads_store_from || node.store_format > m.store_format {
        return Err(Refusal::StoreFormat { store: node.store_format, from: m.reads_store_from, to: m.store_format });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: &str) -> Manifest {
        Manifest {
            manifest_format: 1,
            version: version.into(),
            target: "x86_64-linux".into(),
            sha256: "00".into(),
            min_version: "0.1.0".into(),
            store_format: 1,
            reads_store_from: 1,
            cohort: Cohort::default(),
            signed_at: String::new(),
        }
    }

    #[test]
    fn versions_order() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("0.2.0") > v("0.1.9"));
        assert!(v("0.10.0") > v("0.9.9"));
        assert!(v("1.0.0") > v("1.0.0-rc1"));
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        for bad in ["1.2", "1.2.3.4", "a.b.c", "", "1..2", "1.2.3-"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn checks_in_order() {
        let rejected = vec![("0.3.0".to_owned(), "exited at start".to_owned())];
        let facts =
            |floor| NodeFacts { target: "x86_64-linux", running: "0.2.0", floor, rejected: &rejected, store_format: 1 };
        let table: Vec<(Manifest, Option<&str>, Result<(), &str>)> = vec![
            (manifest("0.4.0"), Some("0.2.0"), Ok(())),
            (manifest("0.1.5"), Some("0.2.0"), Err("below the minimum version 0.2.0")),
            (manifest("0.1.5"), None, Ok(())),
            (manifest("0.3.0"), None, Err("rejected on this node before")),
            (manifest("0.2.0"), None, Err("already runs")),
            (Manifest { target: "aarch64-linux".into(), ..manifest("0.4.0") }, None, Err("built for aarch64-linux")),
            (Manifest { store_format: 2, reads_store_from: 2, ..manifest("0.4.0") }, None, Err("reads formats 2 to 2")),
            (Manifest { manifest_format: 9, ..manifest("0.4.0") }, None, Err("format 9")),
            (manifest("latest"), None, Err("not a version")),
        ];
        for (m, floor, expect) in table {
            let got = check(&m, &facts(floor));
            match expect {
                Ok(()) => assert!(got.is_ok(), "{}: {got:?}", m.version),
                Err(text) => {
                    let e = got.expect_err(&m.version).to_string();
                    assert!(e.contains(text), "{}: {e}", m.version);
                }
            }
        }
    }

    #[test]
    fn cohorts() {
        let mut m = manifest("0.4.0");
        m.cohort =
            Cohort { canary: vec!["PLG".into()], share_percent: 30, all_after: Some("2026-12-01T00:00:00Z".into()) };
        let before = time::macros::datetime!(2026-11-28 00:00 UTC).unix_timestamp();
        let after = time::macros::datetime!(2026-12-02 00:00 UTC).unix_timestamp();
        let st = |now, healthy| CohortState { now_unix_s: now, canaries_healthy: healthy };
        assert!(meant_for(&m, "PLG", &st(before, false)), "the canary first");
        let others = ["OKI", "BAS", "MUBA", "OI", "OKU", "OKUT", "LLG", "PALI", "OKUS", "ME", "LHT", "PGA", "EL"];
        assert!(
            others.iter().all(|n| !meant_for(&m, n, &st(before, false))),
            "nobody else before the canary is healthy"
        );
        let share: Vec<_> = others.iter().filter(|n| meant_for(&m, n, &st(before, true))).collect();
        assert!(share.len() < others.len(), "only a share once the canary is healthy: {share:?}");
        for n in &others {
            assert_eq!(meant_for(&m, n, &st(before, true)), bucket("0.4.0", n) < 30);
        }
        assert!(others.iter().all(|n| meant_for(&m, n, &st(after, false))), "everyone after all_after");
        assert!(meant_for(&manifest("0.4.0"), "OKI", &st(before, false)), "the default cohort is everyone");
    }
}
