//! Value encoding: one format-version byte, then JSON. JSON keeps values readable by the
//! previous release (unknown fields are ignored, new fields get defaults); the version byte lets
//! a future format be told apart and migrated forward.

use super::StoreError;
use serde::{de::DeserializeOwned, Serialize};

pub const V1: u8 = 1;
/// An event's `V1` bytes with the JSON packed losslessly (`pack`).
pub const V2: u8 = 2;

/// The stored form of an event's bytes (`V1` + JSON, what the chain hashes and sync sends):
/// packed when that gives the same bytes back.
pub fn pack_event(raw: &[u8]) -> Vec<u8> {
    if let Some((&V1, json)) = raw.split_first() {
        let mut out = Vec::with_capacity(raw.len());
        out.push(V2);
        if super::pack::pack_into(json, &mut out) {
            return out;
        }
    }
    raw.to_vec()
}

/// `encode` into `out` (cleared first), for a caller that reuses one buffer.
pub fn encode_into<T: Serialize>(v: &T, out: &mut Vec<u8>) {
    out.clear();
    out.push(V1);
    serde_json::to_writer(&mut *out, v).expect("our records always serialize");
}

/// An event's bytes as written (`V1` + JSON), from its stored form.
pub fn event_raw(stored: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, StoreError> {
    match stored.split_first() {
        Some((&V2, packed)) => {
            let json = super::pack::unpack(packed).map_err(|e| StoreError::Corrupt(format!("event: {e}")))?;
            let mut out = Vec::with_capacity(1 + json.len());
            out.push(V1);
            out.extend_from_slice(&json);
            Ok(std::borrow::Cow::Owned(out))
        }
        _ => Ok(std::borrow::Cow::Borrowed(stored)),
    }
}

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(v, &mut out);
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

/// A channel's byte in the binary values (case summaries, recap rows). Frozen: append, never
/// reorder.
pub(crate) const CHANNELS: [crate::model::event::Channel; 5] = {
    use crate::model::event::Channel;
    [Channel::Web, Channel::Phone, Channel::WalkIn, Channel::Whatsapp, Channel::Open311]
};
