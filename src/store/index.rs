//! The case summaries: their stored form (`ticket_summary`, a compact binary value with a
//! version byte) and their mirror in memory (`CaseIndex`), which the commit thread brings up to
//! date right after each sled transaction commits. The queue, the search and the board read the
//! mirror and decode only the cases they show.

use super::StoreError;
use crate::model::event::Channel;
use crate::model::summary::CaseSummary;
use crate::model::{Category, Millis, Priority, State, Ticket, UnitCode};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The version byte of a stored summary.
const V1: u8 = 1;

const F_MARKED: u8 = 1;
const F_BLOCKED: u8 = 2;
const F_PRANK: u8 = 4;
const F_UNVERIFIED: u8 = 8;
const F_DUE: u8 = 16;
const F_POINT: u8 = 32;

const CHANNELS: [Channel; 4] = [Channel::Web, Channel::Phone, Channel::WalkIn, Channel::Whatsapp];

/// `[V1, state, category, priority, channel, flags, rung, escalations u32, created u64,
/// updated u64, (due u64), (lat f64, lon f64), unit len, unit, regency]`, integers big-endian.
pub(crate) fn encode(s: &CaseSummary) -> Vec<u8> {
    let mut v = Vec::with_capacity(48 + s.regency.len());
    let mut flags = 0;
    for (on, f) in [
        (s.marked, F_MARKED),
        (s.blocked, F_BLOCKED),
        (s.prank, F_PRANK),
        (s.dispatched_unverified, F_UNVERIFIED),
        (s.due.is_some(), F_DUE),
        (s.lat.is_some() && s.lon.is_some(), F_POINT),
    ] {
        if on {
            flags |= f;
        }
    }
    v.extend_from_slice(&[
        V1,
        s.state.index(),
        s.category as u8,
        s.priority as u8,
        CHANNELS.iter().position(|c| *c == s.channel).unwrap_or(0) as u8,
        flags,
        s.escalation_rung,
    ]);
    v.extend_from_slice(&s.escalations_total.to_be_bytes());
    v.extend_from_slice(&s.created.0.to_be_bytes());
    v.extend_from_slice(&s.updated.0.to_be_bytes());
    if let Some(d) = s.due {
        v.extend_from_slice(&d.0.to_be_bytes());
    }
    if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
        v.extend_from_slice(&lat.to_be_bytes());
        v.extend_from_slice(&lon.to_be_bytes());
    }
    let unit = s.unit.as_ref().map(|u| u.as_str()).unwrap_or("");
    v.push(unit.len().min(255) as u8);
    v.extend_from_slice(&unit.as_bytes()[..unit.len().min(255)]);
    v.extend_from_slice(s.regency.as_bytes());
    v
}

pub(crate) fn decode(ticket: &[u8], v: &[u8]) -> Result<CaseSummary, StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("case summary: {what}"));
    let ticket = Ticket::parse(std::str::from_utf8(ticket).map_err(|_| bad("ticket"))?).map_err(|_| bad("ticket"))?;
    let mut r = Reader(v);
    if r.u8()? != V1 {
        return Err(bad("version"));
    }
    let state = State::ALL.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("state"))?;
    let category = Category::ALL.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("category"))?;
    let priority = Priority::ALL.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("priority"))?;
    let channel = CHANNELS.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("channel"))?;
    let flags = r.u8()?;
    let escalation_rung = r.u8()?;
    let escalations_total = u32::from_be_bytes(r.take()?);
    let created = Millis(u64::from_be_bytes(r.take()?));
    let updated = Millis(u64::from_be_bytes(r.take()?));
    let due = if flags & F_DUE != 0 { Some(Millis(u64::from_be_bytes(r.take()?))) } else { None };
    let (lat, lon) = if flags & F_POINT != 0 {
        (Some(f64::from_be_bytes(r.take()?)), Some(f64::from_be_bytes(r.take()?)))
    } else {
        (None, None)
    };
    let unit_len = usize::from(r.u8()?);
    let unit = r.bytes(unit_len)?;
    let unit = if unit.is_empty() {
        None
    } else {
        Some(UnitCode::parse(std::str::from_utf8(unit).map_err(|_| bad("unit"))?).map_err(|_| bad("unit"))?)
    };
    let regency = std::str::from_utf8(r.0).map_err(|_| bad("regency"))?.to_owned();
    Ok(CaseSummary {
        ticket,
        state,
        category,
        priority,
        channel,
        marked: flags & F_MARKED != 0,
        blocked: flags & F_BLOCKED != 0,
        prank: flags & F_PRANK != 0,
        dispatched_unverified: flags & F_UNVERIFIED != 0,
        due,
        unit,
        regency,
        lat,
        lon,
        created,
        updated,
        escalation_rung,
        escalations_total,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.0.len() < n {
            return Err(StoreError::Corrupt("case summary: too short".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.bytes(1)?[0])
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }
}

/// The summaries of every case, in memory: the committed state of `ticket_summary`.
#[derive(Clone, Default)]
pub(crate) struct CaseIndex(Arc<RwLock<HashMap<Ticket, CaseSummary>>>);

impl CaseIndex {
    pub(crate) fn read<R>(&self, f: impl FnOnce(&HashMap<Ticket, CaseSummary>) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn put(&self, s: CaseSummary) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(s.ticket.clone(), s);
    }

    /// Brings the mirror up to the summary values a committed batch wrote (last value per key
    /// wins, as in the transaction).
    pub(crate) fn committed<'a>(&self, values: impl Iterator<Item = (&'a [u8], &'a [u8])>) {
        let mut decoded = Vec::new();
        for (k, v) in values {
            match decode(k, v) {
                Ok(s) => decoded.push(s),
                Err(e) => tracing::error!(error = %e, "a committed case summary does not decode"),
            }
        }
        if decoded.is_empty() {
            return;
        }
        let mut m = self.0.write().unwrap_or_else(|e| e.into_inner());
        for s in decoded {
            m.insert(s.ticket.clone(), s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CaseSummary {
        CaseSummary {
            ticket: Ticket::parse("PLG-261128-0042").unwrap(),
            state: State::Dispatched,
            category: Category::Crime,
            priority: Priority::Emergency,
            channel: Channel::Whatsapp,
            marked: true,
            blocked: false,
            prank: false,
            dispatched_unverified: true,
            due: Some(Millis(1_764_000_000_000)),
            unit: Some(UnitCode::parse("OKI").unwrap()),
            regency: "Kabupaten Ogan Komering Ilir".into(),
            lat: Some(-3.4),
            lon: Some(104.8),
            created: Millis(1_763_999_000_000),
            updated: Millis(1_763_999_500_000),
            escalation_rung: 2,
            escalations_total: 3,
        }
    }

    #[test]
    fn summaries_round_trip() {
        let s = sample();
        let bytes = encode(&s);
        assert_eq!(decode(s.ticket.as_str().as_bytes(), &bytes).unwrap(), s);
        let bare = CaseSummary { due: None, lat: None, lon: None, unit: None, ..sample() };
        let bytes = encode(&bare);
        assert_eq!(decode(bare.ticket.as_str().as_bytes(), &bytes).unwrap(), bare);
        assert!(bytes.len() < 64, "{} bytes", bytes.len());
    }

    #[test]
    fn damaged_summaries_are_errors() {
        let s = sample();
        let bytes = encode(&s);
        for cut in [0, 1, 10, 30] {
            assert!(decode(s.ticket.as_str().as_bytes(), &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert!(decode(s.ticket.as_str().as_bytes(), &v2).is_err());
    }
}
