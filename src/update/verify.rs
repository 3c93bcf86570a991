//! Release archives: make a key pair, sign an archive, verify one.
//!
//! A release is a `.tar.gz` holding `banpol` (the executable), `manifest.json` and
//! `manifest.sig` (hex of the ed25519 signature over the manifest's exact bytes). The whole
//! archive also carries a zipsign signature (ed25519ph over the gzip stream, appended as a gzip
//! member, no context: the zipsign tool's .tar.gz format). `verify` demands both, from
//! a trusted key, and that the manifest names the executable's SHA-256.

use super::manifest::Manifest;
use super::UpdateError;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read};

/// Public keys compiled into the binary, one hex key per line (`#` comments).
pub const COMPILED_KEYS: &str = include_str!("../../packaging/release-keys.pub");

/// Test-only: hex public keys (comma-separated) trusted in addition to the compiled ones. It
/// exists only in builds with the `test-hooks` feature (which `cargo test` turns on through the
/// self dev-dependency in Cargo.toml); a release build refuses the variable as an unknown setting
/// (`config::Layer::from_env`, which reads it into `config::Supervision` in test builds). Every use is logged as a warning.
#[cfg(feature = "test-hooks")]
pub const TEST_KEY_ENV: &str = "BANPOL_TEST_TRUSTED_KEY";

/// The keys a release must be signed with (one of them).
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<VerifyingKey>,
}

impl TrustedKeys {
    /// Only the keys compiled into this binary.
    pub fn compiled() -> Result<TrustedKeys, UpdateError> {
        Ok(TrustedKeys { keys: parse_key_lines(COMPILED_KEYS)? })
    }

    /// The compiled keys; in a `test-hooks` build also `BANPOL_TEST_TRUSTED_KEY` (logged).
    #[cfg(not(feature = "test-hooks"))]
    pub fn load(_: &crate::config::Supervision) -> Result<TrustedKeys, UpdateError> {
        Self::compiled()
    }

    /// The compiled keys; in a `test-hooks` build also `BANPOL_TEST_TRUSTED_KEY` (logged).
    #[cfg(feature = "test-hooks")]
    pub fn load(s: &crate::config::Supervision) -> Result<TrustedKeys, UpdateError> {
        let mut t = Self::compiled()?;
        if let Some(extra) = &s.test_trusted_keys {
            let extra = parse_key_lines(&extra.replace(',', "\n"))?;
            tracing::warn!(keys = extra.len(), "{TEST_KEY_ENV} is set: trusting test release keys (never on a post)");
            t.keys.extend(extra);
        }
        Ok(t)
    }

    pub fn from_keys(keys: Vec<VerifyingKey>) -> TrustedKeys {
        TrustedKeys { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

fn parse_key_lines(text: &str) -> Result<Vec<VerifyingKey>, UpdateError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(parse_public_key(line)?);
    }
    Ok(out)
}

pub fn parse_public_key(hex_text: &str) -> Result<VerifyingKey, UpdateError> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(hex_text.trim(), &mut b)
        .map_err(|_| UpdateError::Key(format!("{:?} is not a hex ed25519 public key", hex_text.trim())))?;
    VerifyingKey::from_bytes(&b).map_err(|e| UpdateError::Key(e.to_string()))
}

/// A new key pair as (secret hex, public hex).
pub fn keygen() -> (String, String) {
    let seed: [u8; 32] = rand::random();
    let sk = SigningKey::from_bytes(&seed);
    (hex::encode(seed), hex::encode(sk.verifying_key().to_bytes()))
}

pub fn parse_secret_key(text: &str) -> Result<SigningKey, UpdateError> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
        UpdateError::Key("the private key file must hold one hex ed25519 seed (from release keygen)".into())
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The files of a release archive.
struct Contents {
    binary: Option<Vec<u8>>,
    manifest: Option<Vec<u8>>,
    sig: Option<Vec<u8>>,
}

const MAX_BINARY: u64 = 512 << 20;

fn read_archive(archive: &[u8]) -> Result<Contents, UpdateError> {
    let gz = flate2::read::GzDecoder::new(Cursor::new(archive));
    let mut tar = tar::Archive::new(gz);
    let mut c = Contents { binary: None, manifest: None, sig: None };
    let entries = tar.entries().map_err(|e| UpdateError::Archive(e.to_string()))?;
    for e in entries {
        let mut e = e.map_err(|e| UpdateError::Archive(e.to_string()))?;
        let path = e.path().map_err(|e| UpdateError::Archive(e.to_string()))?.to_string_lossy().into_owned();
        let name = path.trim_start_matches("./");
        let slot = match name {
            "banpol" => &mut c.binary,
            "manifest.json" => &mut c.manifest,
            "manifest.sig" => &mut c.sig,
            _ => continue,
        };
        if slot.is_some() {
            return Err(UpdateError::Archive(format!("{name} appears twice")));
        }
        let mut buf = Vec::new();
        e.by_ref().take(MAX_BINARY + 1).read_to_end(&mut buf).map_err(|e| UpdateError::Archive(e.to_string()))?;
        if buf.len() as u64 > MAX_BINARY {
            return Err(UpdateError::Archive(format!("{name} is larger than 512 MiB")));
        }
        *slot = Some(buf);
    }
    Ok(c)
}

/// A release whose signatures and checksum held.
#[derive(Debug, Clone)]
pub struct VerifiedRelease {
    pub manifest: Manifest,
    /// the manifest's exact signed bytes and its signature (hex), e.g. to pass on
    pub manifest_bytes: Vec<u8>,
    pub manifest_sig: String,
    /// the executable
    pub binary: Vec<u8>,
    /// hex of the public key that signed it
    pub key: String,
}

/// Verifies a release archive against `keys`: the zipsign signature of the archive, the
/// manifest's signature, and the executable's SHA-256. With no trusted key, refuses.
pub fn verify(archive: &[u8], keys: &TrustedKeys) -> Result<VerifiedRelease, UpdateError> {
    if keys.is_empty() {
        return Err(UpdateError::NoTrustedKey);
    }
    match zipsign_api::verify::verify_tar(&mut Cursor::new(archive), &keys.keys, None) {
        Ok(_) => {}
        // zipsign's error kinds are not public: tell "no signature" from "wrong signature" by its message
        Err(e) if e.to_string().contains("no matching key") => return Err(UpdateError::BadSignature),
        Err(_) => return Err(UpdateError::Unsigned),
    }
    let c = read_archive(archive)?;
    let (Some(binary), Some(manifest_bytes), Some(sig)) = (c.binary, c.manifest, c.sig) else {
        return Err(UpdateError::Archive("a release holds banpol, manifest.json and manifest.sig".into()));
    };
    let mut sig_bytes = [0u8; 64];
    hex::decode_to_slice(String::from_utf8_lossy(&sig).trim(), &mut sig_bytes)
        .map_err(|_| UpdateError::Archive("manifest.sig is not a hex signature".into()))?;
    let signature = ed25519_dalek::Signature::from_bytes(&sig_bytes);
    let key = keys
        .keys
        .iter()
        .find(|k| k.verify_strict(&manifest_bytes, &signature).is_ok())
        .ok_or(UpdateError::BadManifestSignature)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| UpdateError::Archive(format!("manifest.json: {e}")))?;
    let sha = hex::encode(Sha256::digest(&binary));
    if !sha.eq_ignore_ascii_case(&manifest.sha256) {
        return Err(UpdateError::Checksum { expected: manifest.sha256.clone(), found: sha });
    }
    Ok(VerifiedRelease {
        manifest,
        manifest_bytes,
        manifest_sig: hex::encode(sig_bytes),
        binary,
        key: hex::encode(key.to_bytes()),
    })
}

/// Checks an installed executable before it is started: its manifest (kept next to it) must
/// carry a trusted signature and name the executable's SHA-256. Whoever can write the data
/// directory still cannot make the supervisor start an unsigned executable.
pub fn verify_installed(
    binary: &[u8],
    manifest_bytes: &[u8],
    sig_hex: &str,
    keys: &TrustedKeys,
) -> Result<Manifest, UpdateError> {
    if keys.is_empty() {
        return Err(UpdateError::NoTrustedKey);
    }
    let mut sig_bytes = [0u8; 64];
    hex::decode_to_slice(sig_hex.trim(), &mut sig_bytes)
        .map_err(|_| UpdateError::Archive("the kept manifest signature is not hex".into()))?;
    let signature = ed25519_dalek::Signature::from_bytes(&sig_bytes);
    if !keys.keys.iter().any(|k| k.verify_strict(manifest_bytes, &signature).is_ok()) {
        return Err(UpdateError::BadManifestSignature);
    }
    let manifest: Manifest =
        serde_json::from_slice(manifest_bytes).map_err(|e| UpdateError::Archive(format!("manifest.json: {e}")))?;
    let sha = hex::encode(Sha256::digest(binary));
    if !sha.eq_ignore_ascii_case(&manifest.sha256) {
        return Err(UpdateError::Checksum { expected: manifest.sha256.clone(), found: sha });
    }
    Ok(manifest)
}

/// What goes into the manifest besides what the archive says (version, cohort, ...).
#[derive(Debug, Clone)]
pub struct SignRequest {
    pub version: String,
    pub min_version: String,
    pub target: String,
    pub store_format: u64,
    pub reads_store_from: u64,
    pub cohort: super::manifest::Cohort,
    pub signed_at: String,
}

/// Signs a release: reads `banpol` from `archive` (a .tar.gz), writes the manifest with the
/// executable's SHA-256 and its signature, and returns the new archive with the zipsign
/// signature appended.
pub fn sign(archive: &[u8], key: &SigningKey, req: &SignRequest) -> Result<(Vec<u8>, Manifest), UpdateError> {
    let c = read_archive(archive)?;
    let binary = c.binary.ok_or_else(|| UpdateError::Archive("the archive holds no file named banpol".into()))?;
    super::manifest::Version::parse(&req.version)
        .ok_or_else(|| UpdateError::Key(format!("{:?} is not a version like 1.2.3", req.version)))?;
    super::manifest::Version::parse(&req.min_version)
        .ok_or_else(|| UpdateError::Key(format!("{:?} is not a version like 1.2.3", req.min_version)))?;
    let manifest = Manifest {
        manifest_format: super::manifest::MANIFEST_FORMAT,
        version: req.version.clone(),
        target: req.target.clone(),
        sha256: hex::encode(Sha256::digest(&binary)),
        min_version: req.min_version.clone(),
        store_format: req.store_format,
        reads_store_from: req.reads_store_from,
        cohort: req.cohort.clone(),
        signed_at: req.signed_at.clone(),
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    manifest_bytes.push(b'\n');
    let sig = hex::encode(key.sign(&manifest_bytes).to_bytes());

    let mut unsigned = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut unsigned, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mut add = |name: &str, mode: u32, data: &[u8]| -> Result<(), UpdateError> {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(mode);
            h.set_mtime(0);
            h.set_cksum();
            tar.append_data(&mut h, name, data).map_err(|e| UpdateError::Archive(e.to_string()))
        };
        add("banpol", 0o755, &binary)?;
        add("manifest.json", 0o644, &manifest_bytes)?;
        add("manifest.sig", 0o644, format!("{sig}\n").as_bytes())?;
        let gz = tar.into_inner().map_err(|e| UpdateError::Archive(e.to_string()))?;
        gz.finish().map_err(|e| UpdateError::Archive(e.to_string()))?;
    }
    let mut out = Cursor::new(Vec::new());
    zipsign_api::sign::copy_and_sign_tar(&mut Cursor::new(&unsigned), &mut out, std::slice::from_ref(key), None)
        .map_err(|e| UpdateError::Archive(format!("zipsign: {e}")))?;
    Ok((out.into_inner(), manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned_archive(binary: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(binary.len() as u64);
        h.set_mode(0o755);
        h.set_cksum();
        tar.append_data(&mut h, "banpol", binary).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
        out
    }

    fn request() -> SignRequest {
        SignRequest {
            version: "0.2.0".into(),
            min_version: "0.1.0".into(),
            target: super::super::manifest::this_target(),
            store_format: 1,
            reads_store_from: 1,
            cohort: Default::default(),
            signed_at: String::new(),
        }
    }

    #[test]
    fn sign_then_verify_and_every_tamper_is_refused() {
        let (secret, public) = keygen();
        let sk = parse_secret_key(&secret).unwrap();
        let keys = TrustedKeys::from_keys(vec![parse_public_key(&public).unwrap()]);
        let raw = unsigned_archive(b"#!/bin/sh\nexit 0\n");
        let (signed, m) = sign(&raw, &sk, &request()).unwrap();
        let v = verify(&signed, &keys).unwrap();
        assert_eq!(
            (v.manifest, v.binary.as_slice(), v.key.as_str()),
            (m, &b"#!/bin/sh\nexit 0\n"[..], public.as_str())
        );

        assert!(matches!(verify(&signed, &TrustedKeys::default()), Err(UpdateError::NoTrustedKey)));
        let (_, other) = keygen();
        let strangers = TrustedKeys::from_keys(vec![parse_public_key(&other).unwrap()]);
        assert!(matches!(verify(&signed, &strangers), Err(UpdateError::BadSignature)));
        assert!(matches!(verify(&raw, &keys), Err(UpdateError::Unsigned)));
        for at in [20, signed.len() / 2, signed.len() - 200] {
            let mut t = signed.clone();
            t[at] ^= 0x01;
            assert!(verify(&t, &keys).is_err(), "a flipped bit at {at} is refused");
        }
    }
}
