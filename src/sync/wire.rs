//! What goes over the sync link. Events travel as their exact stored bytes (the hash chain is
//! over them), length-prefixed and gzip-compressed in batches; the small control messages are
//! JSON.

use crate::model::sync::{Head, Segment};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const API: &str = "/sync/v1";
/// At most this many events per batch, and this many framed bytes before compression: a batch
/// ends with the event that reaches `BATCH_BYTES` (it always holds at least one event).
pub const BATCH_EVENTS: usize = 2000;
pub const BATCH_BYTES: usize = 4 << 20;
/// The largest stored event a batch is sized for. Events are made from requests of at most
/// 64 KiB (`http::extract::BODY_LIMIT`) and WhatsApp messages; 1 MiB leaves room to spare.
pub const MAX_EVENT_BYTES: usize = 1 << 20;
/// A batch inflates to at most `BATCH_BYTES` plus its last event plus framing (4 bytes per
/// event): anything larger is refused (a compression bomb, or a bug). 5 MiB and 8,000 bytes.
pub const MAX_INFLATED: u64 = (BATCH_BYTES + MAX_EVENT_BYTES + 4 * BATCH_EVENTS) as u64;
/// The most a push body may carry: one batch, gzipped. Deflate adds at most 5 bytes per stored
/// 64 KiB block to data it cannot shrink, gzip 18 bytes of header and trailer; a request over
/// this is refused before it is read, by its `Content-Length` or as it streams.
pub const MAX_PUSH_BODY: usize = MAX_INFLATED as usize + MAX_INFLATED as usize / 1024 + 1024;
/// Every other request of the sync port (enrollment, hello) is small JSON.
pub const MAX_CONTROL_BODY: usize = 64 << 10;

/// Where a batch of `sizes` (stored event lengths, in log order) ends: after at most
/// `BATCH_EVENTS` events and the first event that brings it to `BATCH_BYTES` framed bytes.
pub fn batch_len(sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for size in sizes.into_iter().take(BATCH_EVENTS) {
        n += 1;
        bytes += 4 + size;
        if bytes >= BATCH_BYTES {
            break;
        }
    }
    n
}

pub const H_ORIGIN: &str = "x-banpol-origin";
pub const H_SEGMENTS: &str = "x-banpol-segments";
pub const H_BACKLOG: &str = "x-banpol-backlog";
pub const H_LAG_MS: &str = "x-banpol-lag-ms";
pub const H_FEED_NEXT: &str = "x-banpol-feed-next";
pub const H_FEED_EPOCH: &str = "x-banpol-feed-epoch";
pub const H_FEED_HEAD: &str = "x-banpol-feed-head";

/// Frames events: `u32 length (LE) + bytes` each, then gzip.
pub fn pack<'a>(events: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for e in events {
        enc.write_all(&(e.len() as u32).to_le_bytes()).expect("writing to memory");
        enc.write_all(e).expect("writing to memory");
    }
    enc.finish().expect("writing to memory")
}

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("the batch is not valid gzip: {0}")]
    Gzip(String),
    #[error("the batch is larger than {MAX_INFLATED} bytes inflated")]
    TooLarge,
    #[error("the batch's framing is broken")]
    Framing,
}

pub fn unpack(body: &[u8]) -> Result<Vec<Vec<u8>>, UnpackError> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut raw)
        .map_err(|e| UnpackError::Gzip(e.to_string()))?;
    if raw.len() as u64 > MAX_INFLATED {
        return Err(UnpackError::TooLarge);
    }
    let mut out = Vec::new();
    let mut rest = &raw[..];
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(UnpackError::Framing);
        }
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        rest = &rest[4..];
        if rest.len() < n {
            return Err(UnpackError::Framing);
        }
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    Ok(out)
}

/// The parent's heads of the child's subtree (GET vector), and the ack of a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vector {
    pub node: String,
    pub heads: BTreeMap<String, Head>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ack {
    pub origin: String,
    pub head: Head,
    pub new: u64,
    pub replayed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub node: String,
    pub version: String,
    pub events_waiting: u64,
    pub lag_ms: Option<u64>,
    /// the nodes enrolled below the child, each with its parent: the origins it may send up
    #[serde(default)]
    pub below: BTreeMap<String, String>,
    /// the child's update state (`update::UpdateStatus`): what runs, the last rollback
    #[serde(default)]
    pub update: Option<serde_json::Value>,
    /// the SOP version the child runs for new cases
    #[serde(default)]
    pub sop: Option<String>,
}

/// A release the parent offers this child now (its cohort includes it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Offer {
    pub version: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelloReply {
    pub node: String,
    pub version: String,
    /// the Polda's pseudonym key for the export (hex; `service::export`), for a child that
    /// enrolled before the join handed it down (absent from a parent that predates it)
    #[serde(default)]
    pub pseudonym_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    pub token: String,
    /// the raw P-256 public key, hex
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinReply {
    pub node: String,
    pub parent: String,
    pub cert_pem: String,
    pub ca_pem: String,
    /// the hub's SOP signing key (hex ed25519 public key): the child takes only SOP versions it
    /// sealed (absent from a parent that predates it)
    #[serde(default)]
    pub sop_key: Option<String>,
    /// the Polda's pseudonym key for the export (hex, secret; `service::export`): the child's
    /// export gives a reporter the same pseudonym as the hub's
    #[serde(default)]
    pub pseudonym_key: Option<String>,
}

pub fn segments_header(s: &[Segment]) -> String {
    serde_json::to_string(s).expect("segments serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_broken_input_is_refused() {
        let evs: Vec<&[u8]> = vec![b"one", b"", b"three"];
        let packed = pack(evs.iter().copied());
        assert_eq!(unpack(&packed).unwrap(), vec![b"one".to_vec(), vec![], b"three".to_vec()]);
        assert!(matches!(unpack(b"not gzip"), Err(UnpackError::Gzip(_))));
        let truncated = pack([b"\x05\x00\x00\x00ab".as_slice()]);
        let inner = unpack(&truncated).unwrap();
        assert!(matches!(unpack(&pack([&inner[0][..3]])).map(|v| v.len()), Ok(1)));
        let bad = {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
            enc.finish().unwrap()
        };
        assert!(matches!(unpack(&bad), Err(UnpackError::Framing)));
    }

    #[test]
    fn a_batch_fits_its_bounds() {
        assert_eq!(batch_len([]), 0);
        assert_eq!(batch_len(vec![1_500; 5_000]), BATCH_EVENTS, "small events: the count bounds it");
        assert_eq!(batch_len(vec![60_000; 500]), 70, "large events: the bytes bound it");
        assert_eq!(batch_len([MAX_EVENT_BYTES, 10]), 2);
        assert_eq!(batch_len([BATCH_BYTES, 10]), 1, "an event that fills a batch goes alone");
        let worst = (BATCH_BYTES - 5) + 4 + MAX_EVENT_BYTES + 4;
        assert!(worst as u64 <= MAX_INFLATED);
        // a batch of the largest size that does not compress still fits a push body
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..MAX_INFLATED as usize - 4)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let packed = pack([noise.as_slice()]);
        assert!(packed.len() <= MAX_PUSH_BODY, "{} > {MAX_PUSH_BODY}", packed.len());
        assert_eq!(unpack(&packed).unwrap()[0].len(), noise.len());
    }
}

/// Shift handover snapshots sent up (`POST /sync/v1/shifts`), at most `SHIFT_BATCH`, oldest
/// revision first; they fit `MAX_CONTROL_BODY` (each lists at most 100 + 100 tickets).
#[derive(Debug, Serialize, Deserialize)]
pub struct ShiftBatch {
    pub shifts: Vec<crate::model::recap::ShiftRecap>,
}

pub const SHIFT_BATCH: usize = 8;

/// The highest revision of the batch the parent holds now.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShiftAck {
    pub rev: u64,
}
