//! Value encoding: one format-version byte, then JSON. JSON keeps values readable by the
//! previous release (unknown fields are ignored, new fields get defaults); the version byte lets
//! a future format be told apart and migrated forward.

use super::StoreError;
use serde::{de::DeserializeOwned, Serialize};

pub const V1: u8 = 1;

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(V1);
    serde_json::to_writer(&mut out, v).expect("our records always serialize");
    out
}

pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&V1, body)) => serde_json::from_slice(body).map_err(|e| StoreError::Corrupt(format!("{what}: {e}"))),
        Some((v, _)) => Err(StoreError::Corrupt(format!("{what}: unknown value format {v}"))),
        None => Err(StoreError::Corrupt(format!("{what}: empty value"))),
    }
}

/// `a \0 b \0 ...`: composite keys whose parts are codes (no NUL inside).
pub fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p);
    }
    k
}
