//! Events: the unit of storage, audit and sync. A case is the fold of its events.

use super::ids::{EventId, NodeCode, Phone, Ticket, UnitCode};
use super::role::Role;
use super::sop::{Category, Priority, Step};
use super::time::{Hlc, Millis};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// SHA-256 over an event's stored bytes; each event carries its predecessor's (per origin).
pub type Hash = [u8; 32];

pub fn hash_bytes(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub hlc: Hlc,
    pub case: Ticket,
    pub actor: Actor,
    pub sop_version: String,
    #[serde(with = "hex_hash")]
    pub prev_hash: Hash,
    pub kind: EventKind,
    /// the SOP checklist items (their Indonesian text) the actor ticked for the step this event
    /// completes; absent in events without ticks (and in every event written before them)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<String>,
    /// the drill (Latihan) this event belongs to: set on every event of a drill case (`LAT-`
    /// ticket), absent on real work
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

impl Event {
    /// The total order the case fold uses: HLC, then origin, then seq.
    pub fn order_key(&self) -> (Hlc, &NodeCode, u64) {
        (self.hlc, &self.id.origin, self.id.seq)
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// a member of the public, through a public channel
    Citizen,
    /// a logged-in person
    Staff { user: String, role: Role, unit: Option<UnitCode> },
    /// the node itself (the deadline scheduler)
    System { node: NodeCode },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Phone,
    WalkIn,
    Whatsapp,
    /// a partner's app through Open311 GeoReport v2 (`/open311/v2/`)
    Open311,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Phone => "phone",
            Self::WalkIn => "walk_in",
            Self::Whatsapp => "whatsapp",
            Self::Open311 => "open311",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: String,
    pub phone: Phone,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// the regency's name as the units directory writes it
    pub regency: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// the official codes (`model::wilayah`) and what the reporter typed; absent in reports
    /// filed before they were kept, and when not given
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regency_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_code: Option<String>,
    /// the kecamatan as typed
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village_code: Option<String>,
    /// the desa/kelurahan as typed
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
}

/// The first event of every case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedCase {
    pub category: Category,
    pub priority: Priority,
    pub description: String,
    pub reporter: Reporter,
    pub location: Location,
    pub channel: Channel,
    /// hex SHA-256 of the public tracking token; the token itself is never stored
    pub token_hash: String,
    /// the unit whose territory holds the location: what dispatch suggests
    pub suggested_unit: Option<UnitCode>,
    /// the prank score at intake, with its reasons (DESIGN §7)
    #[serde(default)]
    pub assessment: super::prank::Assessment,
    /// photos sent with the report (WhatsApp media ids; the files are fetched separately)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

impl Eq for ReportedCase {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// boxed: by far the largest variant
    Reported(Box<ReportedCase>),
    Verified {
        method: String,
        priority: Priority,
    },
    Rejected {
        reason: String,
        note: String,
        /// set when the case was linked as a duplicate of another
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate_of: Option<Ticket>,
    },
    Dispatched {
        unit: UnitCode,
        node: NodeCode,
        note: String,
        /// written by the root node (the Polda hub) on a case held elsewhere: it takes the case
        /// back, e.g. from a post that is cut off and not answering (DESIGN §2, departure noted)
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        takeover: bool,
    },
    Acknowledged {
        note: String,
    },
    Progressed {
        note: String,
        /// shown to the reporter on public tracking; absent in events written before it existed
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        public: bool,
    },
    Resolved {
        summary: String,
    },
    Closed {
        note: String,
    },
    Reopened {
        reason: String,
    },
    Noted {
        text: String,
        public: bool,
    },
    Escalated {
        step: Step,
        rung: u8,
        to_role: String,
        due: Millis,
    },
    /// written on the original when another case is linked to it as a duplicate
    DuplicateLinked {
        duplicate: Ticket,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reported(_) => "reported",
            Self::Verified { .. } => "verified",
            Self::Rejected { .. } => "rejected",
            Self::Dispatched { .. } => "dispatched",
            Self::Acknowledged { .. } => "acknowledged",
            Self::Progressed { .. } => "progressed",
            Self::Resolved { .. } => "resolved",
            Self::Closed { .. } => "closed",
            Self::Reopened { .. } => "reopened",
            Self::Noted { .. } => "noted",
            Self::Escalated { .. } => "escalated",
            Self::DuplicateLinked { .. } => "duplicate_linked",
        }
    }
    /// The workflow move this event records, if it moves the case.
    pub fn action(&self) -> Option<super::workflow::CaseAction> {
        use super::workflow::CaseAction as A;
        Some(match self {
            Self::Verified { .. } => A::Verify,
            Self::Rejected { .. } => A::Reject,
            Self::Dispatched { .. } => A::Dispatch,
            Self::Acknowledged { .. } => A::Acknowledge,
            Self::Progressed { .. } => A::Progress,
            Self::Resolved { .. } => A::Resolve,
            Self::Closed { .. } => A::Close,
            Self::Reopened { .. } => A::Reopen,
            Self::Reported(_) | Self::Noted { .. } | Self::Escalated { .. } | Self::DuplicateLinked { .. } => {
                return None
            }
        })
    }
}

mod hex_hash {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
    /// Reads the digits where they are (no string allocated: every event decoded has one).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        struct Digits;
        impl serde::de::Visitor<'_> for Digits {
            type Value = [u8; 32];
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a SHA-256 hash as 64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<[u8; 32], E> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).map_err(E::custom)?;
                Ok(out)
            }
        }
        d.deserialize_str(Digits)
    }
}

/// One break found while checking a node's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Checks one origin's chain given `(seq, stored bytes, prev_hash recorded in the event)` in
/// seq order. Returns the hash of the last event, or the first break.
pub fn verify_chain<'a>(items: impl IntoIterator<Item = (u64, &'a [u8], Hash)>) -> Result<(u64, Hash), ChainBreak> {
    verify_log(items, &[])
}

/// `verify_chain` for a log with epochs: each `(first, prev)` says that the event at seq
/// `first` starts a new epoch and chains to the event at seq `prev` (a restored copy went on
/// from there). Events of an abandoned branch stay verifiable up to where they end.
pub fn verify_log<'a>(
    items: impl IntoIterator<Item = (u64, &'a [u8], Hash)>,
    epochs: &[(u64, u64)],
) -> Result<(u64, Hash), ChainBreak> {
    let anchors: std::collections::HashSet<u64> = epochs.iter().map(|(_, p)| *p).collect();
    let mut kept: std::collections::HashMap<u64, Hash> = std::collections::HashMap::new();
    kept.insert(0, [0u8; 32]);
    let mut expect_seq = 1;
    let mut prev = [0u8; 32];
    for (seq, bytes, recorded_prev) in items {
        let chained_to = if seq == expect_seq {
            prev
        } else if let Some((_, p)) = epochs.iter().find(|(first, _)| *first == seq) {
            *kept.get(p).ok_or_else(|| ChainBreak { seq, reason: format!("epoch start chains to missing seq {p}") })?
        } else {
            return Err(ChainBreak { seq, reason: format!("gap: expected seq {expect_seq}") });
        };
        if recorded_prev != chained_to {
            return Err(ChainBreak { seq, reason: "previous-hash mismatch: the log was altered".into() });
        }
        prev = hash_bytes(bytes);
        if anchors.contains(&seq) {
            kept.insert(seq, prev);
        }
        expect_seq = seq + 1;
    }
    Ok((expect_seq - 1, prev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_detect_gaps_and_tampering() {
        let a = b"first".as_slice();
        let b = b"second".as_slice();
        let c = b"third".as_slice();
        let ha = hash_bytes(a);
        let hb = hash_bytes(b);
        let good = vec![(1, a, [0u8; 32]), (2, b, ha), (3, c, hb)];
        assert_eq!(verify_chain(good.clone()), Ok((3, hash_bytes(c))));
        let gap = vec![(1, a, [0u8; 32]), (3, c, hb)];
        assert_eq!(verify_chain(gap).unwrap_err().seq, 3);
        let tampered = vec![(1, b"f1rst".as_slice(), [0u8; 32]), (2, b, ha)];
        assert_eq!(verify_chain(tampered).unwrap_err().seq, 2);
        assert_eq!(verify_chain(Vec::new()), Ok((0, [0u8; 32])));
    }

    /// A restored log goes on at a higher seq from an older event; the branch it abandoned
    /// still verifies, a jump that is not a declared epoch is a gap.
    #[test]
    fn epochs_continue_from_an_older_event() {
        let (a, b, c) = (b"one".as_slice(), b"two".as_slice(), b"three".as_slice());
        let (ha, hb) = (hash_bytes(a), hash_bytes(b));
        let log = vec![(1, a, [0u8; 32]), (2, b, ha), (1000, c, ha)];
        assert_eq!(verify_log(log.clone(), &[(1000, 1)]), Ok((1000, hash_bytes(c))));
        assert_eq!(verify_log(log, &[]).unwrap_err().seq, 1000);
        let wrong = vec![(1, a, [0u8; 32]), (2, b, ha), (1000, c, hb)];
        assert_eq!(verify_log(wrong, &[(1000, 1)]).unwrap_err().seq, 1000);
    }
}
