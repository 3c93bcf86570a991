//! Identifier newtypes. Each is parsed once at the edge; a function that takes one never
//! re-validates a string.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("node code must be 2-6 capital letters (A-Z), got {0:?}")]
    NodeCode(String),
    #[error("unit code must be 2-16 capital letters or digits, got {0:?}")]
    UnitCode(String),
    #[error("ticket must look like PLG-261128-0042, got {0:?}")]
    Ticket(String),
    #[error("phone number {0:?} is not a valid number; write it like 0812-3456-7890 or +62 812 3456 7890")]
    Phone(String),
}

fn all_upper(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_uppercase())
}

/// The short code of a node (a command post or the hub), e.g. `PLG`, `SUMSEL`.
/// Shared text (`Arc<str>`): codes and tickets are cloned into every event, case and index
/// entry, and a clone is then a count, not a copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct NodeCode(Arc<str>);

impl NodeCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if (2..=6).contains(&s.len()) && all_upper(s) {
            Ok(Self(s.into()))
        } else {
            Err(IdError::NodeCode(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The code of a police unit that can receive a disposition: a Polres, the Polda, a satker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if (2..=16).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && s.as_bytes()[0].is_ascii_uppercase()
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::UnitCode(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A case id, the ticket a citizen reads over the phone: `PLG-261128-0042`
/// (origin node, date in WIB as YYMMDD, daily counter of at least four digits).
/// (`Arc<str>`, as `NodeCode`)
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Ticket(Arc<str>);

impl Ticket {
    pub fn new(origin: &NodeCode, yymmdd: &str, counter: u64) -> Self {
        Self(format!("{}-{}-{:04}", origin.as_str(), yymmdd, counter).into())
    }
    /// A drill case's ticket (Latihan): `LAT-PLG-261202-0001`, its own counter.
    pub fn drill(origin: &NodeCode, yymmdd: &str, counter: u64) -> Self {
        Self(format!("{}{}-{}-{:04}", super::drill::TICKET_PREFIX, origin.as_str(), yymmdd, counter).into())
    }
    /// Whether this is a drill case (`LAT-` prefix): never mixed with real work.
    pub fn is_drill(&self) -> bool {
        self.0.starts_with(super::drill::TICKET_PREFIX) && self.0.matches('-').count() == 3
    }
    /// Accepts any case; tickets are read over the phone and typed by hand.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = || IdError::Ticket(s.to_owned());
        let up = s.trim().to_ascii_uppercase();
        let rest = match up.strip_prefix(super::drill::TICKET_PREFIX) {
            Some(r) if r.matches('-').count() == 2 => r,
            _ => &up,
        };
        let mut parts = rest.split('-');
        let (node, date, counter) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(d), Some(c), None) => (n, d, c),
            _ => return Err(err()),
        };
        NodeCode::parse(node).map_err(|_| err())?;
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if date.len() != 6 || !digits(date) || counter.len() < 4 || counter.len() > 9 || !digits(counter) {
            return Err(err());
        }
        Ok(Self(up.into()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The node that created the case.
    pub fn origin(&self) -> NodeCode {
        let rest = if self.is_drill() { &self.0[super::drill::TICKET_PREFIX.len()..] } else { &self.0 };
        NodeCode(rest.split('-').next().unwrap_or_default().into())
    }
}

/// An event id: the node where it was written and its position in that node's log (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId {
    pub origin: NodeCode,
    pub seq: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.origin, self.seq)
    }
}

/// A phone number in E.164 form (`+6281234567890`). Indonesian local forms are accepted and
/// normalised: `0812-3456-7890`, `62812...`, `812...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let err = || IdError::Phone(raw.to_owned());
        let trimmed = raw.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(err()),
            }
        }
        // the digits after the `+`, built once (this runs on every report)
        let country = |rest: &str| {
            let mut e = String::with_capacity(2 + rest.len());
            e.push_str("62");
            e.push_str(rest);
            e
        };
        let e164 = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            country(rest)
        } else if digits.starts_with("62") {
            digits
        } else if digits.starts_with('8') {
            country(&digits)
        } else {
            return Err(err());
        };
        let ok_len = if let Some(national) = e164.strip_prefix("62") {
            // Indonesian numbers: mobile 8xx (9-12 digits), landlines with an area code (7-11)
            (7..=12).contains(&national.len()) && !national.starts_with('0')
        } else {
            (8..=15).contains(&e164.len()) && !e164.starts_with('0')
        };
        if ok_len {
            let mut e = String::with_capacity(1 + e164.len());
            e.push('+');
            e.push_str(&e164);
            Ok(Self(e))
        } else {
            Err(err())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($($t:ident),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0.to_string()
            }
        }
        /// as the string itself (no copy into a `String` first)
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    )*};
}
string_newtype_impls!(NodeCode, UnitCode, Ticket, Phone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_to_e164() {
        let cases = [
            ("0812-3456-7890", Some("+6281234567890")),
            ("+62 812 3456 7890", Some("+6281234567890")),
            ("6281234567890", Some("+6281234567890")),
            ("81234567890", Some("+6281234567890")),
            ("(0711) 354-321", Some("+62711354321")),
            ("0062 812 3456 7890", Some("+6281234567890")),
            ("+44 20 7946 0958", Some("+442079460958")),
            ("12345", None),
            ("0812-abc", None),
            ("", None),
            ("+62 0812 3456 7890", None),
            ("08123456789012345", None),
        ];
        for (raw, want) in cases {
            let got = Phone::parse(raw).ok().map(|p| p.0);
            assert_eq!(got.as_deref(), want, "input {raw:?}");
        }
    }

    #[test]
    fn tickets_parse_and_format() {
        let plg = NodeCode::parse("PLG").unwrap();
        assert_eq!(Ticket::new(&plg, "261128", 42).as_str(), "PLG-261128-0042");
        assert_eq!(Ticket::new(&plg, "261128", 12345).as_str(), "PLG-261128-12345");
        assert_eq!(Ticket::parse("plg-261128-0042").unwrap().as_str(), "PLG-261128-0042");
        assert_eq!(Ticket::parse("PLG-261128-0042").unwrap().origin(), plg);
        let drill = Ticket::drill(&plg, "261202", 7);
        assert_eq!((drill.as_str(), drill.is_drill()), ("LAT-PLG-261202-0007", true));
        assert_eq!(Ticket::parse("lat-plg-261202-0007").unwrap(), drill);
        assert_eq!(drill.origin(), plg);
        assert!(!Ticket::parse("PLG-261202-0007").unwrap().is_drill());
        for bad in [
            "LAT-PLG-26120-0007",
            "LAT-LAT-PLG-261202-0007",
            "PLG-26112-0042",
            "PLG-261128-42",
            "P-261128-0042",
            "PLG261128",
            "PLG-261128-0042-1",
            "../etc",
        ] {
            assert!(Ticket::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_validate() {
        assert!(NodeCode::parse("SUMSEL").is_ok());
        assert!(NodeCode::parse("plg").is_err());
        assert!(NodeCode::parse("TOOLONGX").is_err());
        assert!(UnitCode::parse("DITRESKRIMUM").is_ok());
        assert!(UnitCode::parse("9AB").is_err());
    }
}
