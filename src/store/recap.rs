//! The stored form of a recap row (`createdticket_recap`, `model::recap::Fact`): a compact
//! binary value with a version byte. The key holds the creation time and the ticket, so the
//! value does not repeat them; times are signed deltas (from the creation, or from the previous
//! state entry), integers LEB128 varints, the regency and the rejection reason a code from a
//! frozen table (the name itself when it is not in it), and each row's usernames are listed once
//! and referred to by index.
//!
//! Rows written before this form are `V1` + JSON (`codec::encode`) and still decode here;
//! `Store::ensure_indexes` rewrites them once (`RECAP_ROWS` in `name_meta`).
//!
//! `[R2, flags, category, priority, channel, (node), (unit), regency, (district), (reason),
//! conflicts, 5 deadlines (0: none, else ms + 1), users, entries (state, Δt, user + 1),
//! (verified Δt), escalations (rung, Δt)]`; a string is its length (varint) and its bytes.

use super::codec::V1;
use super::StoreError;
use crate::model::recap::Fact;
use crate::model::{Category, Priority};

/// The version byte of the binary form.
pub(crate) const R2: u8 = 3;

const F_NODE: u8 = 1;
const F_UNIT: u8 = 2;
const F_DISTRICT: u8 = 4;
const F_REASON: u8 = 8;
const F_VERIFIED: u8 = 16;
const F_DUPLICATE: u8 = 32;
const F_EMERGENCY: u8 = 64;

use super::codec::CHANNELS;

/// Regency names as the units directory writes them. Frozen: append, never reorder.
const REGENCIES: [&str; 17] = [
    "Kota Palembang",
    "Kabupaten Banyuasin",
    "Kabupaten Musi Banyuasin",
    "Kabupaten Ogan Komering Ilir",
    "Kabupaten Ogan Ilir",
    "Kabupaten Ogan Komering Ulu",
    "Kabupaten Ogan Komering Ulu Timur",
    "Kabupaten Ogan Komering Ulu Selatan",
    "Kabupaten Muara Enim",
    "Kabupaten Lahat",
    "Kota Pagar Alam",
    "Kabupaten Empat Lawang",
    "Kabupaten Musi Rawas",
    "Kabupaten Musi Rawas Utara",
    "Kota Lubuklinggau",
    "Kota Prabumulih",
    "Kabupaten Penukal Abab Lematang Ilir",
];

/// Rejection reasons. Frozen: append, never reorder.
const REASONS: [&str; 4] = ["prank", "unverifiable", "duplicate", "out_of_scope"];

/// The key of a row: creation time (BE), NUL, ticket.
pub(crate) fn key(created: u64, ticket: &[u8]) -> Vec<u8> {
    super::codec::key(&[&created.to_be_bytes(), ticket])
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A signed delta, zigzag-encoded.
fn put_delta(out: &mut Vec<u8>, from: u64, to: u64) {
    let d = to.wrapping_sub(from) as i64;
    put_varint(out, ((d << 1) ^ (d >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A code from `table` (index + 1), or 0 and the text.
fn put_coded(out: &mut Vec<u8>, table: &[&str], s: &str) {
    match table.iter().position(|t| *t == s) {
        Some(i) => put_varint(out, i as u64 + 1),
        None => {
            out.push(0);
            put_str(out, s);
        }
    }
}

/// The row of `f` (its ticket and creation time go in the key).
pub(crate) fn encode(f: &Fact) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 8 * f.entries.len());
    let origin = f.ticket.split('-').next().unwrap_or("");
    let mut flags = 0;
    for (on, bit) in [
        (f.node != origin, F_NODE),
        (f.unit.is_some(), F_UNIT),
        (f.district.is_some(), F_DISTRICT),
        (f.reject_reason.is_some(), F_REASON),
        (f.verified_at.is_some(), F_VERIFIED),
        (f.duplicate, F_DUPLICATE),
        (f.emergency_unverified, F_EMERGENCY),
    ] {
        if on {
            flags |= bit;
        }
    }
    out.extend_from_slice(&[
        R2,
        flags,
        f.category as u8,
        f.priority as u8,
        CHANNELS.iter().position(|c| *c == f.channel).unwrap_or(0) as u8,
    ]);
    if flags & F_NODE != 0 {
        put_str(&mut out, &f.node);
    }
    if let Some(u) = &f.unit {
        put_str(&mut out, u);
    }
    put_coded(&mut out, &REGENCIES, &f.regency);
    if let Some(d) = &f.district {
        put_str(&mut out, d);
    }
    if let Some(r) = &f.reject_reason {
        put_coded(&mut out, &REASONS, r);
    }
    put_varint(&mut out, u64::from(f.conflicts));
    for d in f.deadlines {
        put_varint(&mut out, d.map_or(0, |d| d.saturating_add(1)));
    }
    let mut users: Vec<&str> = Vec::new();
    for (_, _, by) in &f.entries {
        if !by.is_empty() && !users.contains(&by.as_str()) {
            users.push(by);
        }
    }
    put_varint(&mut out, users.len() as u64);
    for u in &users {
        put_str(&mut out, u);
    }
    put_varint(&mut out, f.entries.len() as u64);
    let mut last = f.created;
    for (state, at, by) in &f.entries {
        out.push(*state);
        put_delta(&mut out, last, *at);
        last = *at;
        put_varint(&mut out, users.iter().position(|u| u == by).map_or(0, |i| i as u64 + 1));
    }
    if let Some(v) = f.verified_at {
        put_delta(&mut out, f.created, v);
    }
    put_varint(&mut out, f.escalations.len() as u64);
    for (rung, at) in &f.escalations {
        out.push(*rung);
        put_delta(&mut out, f.created, *at);
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, StoreError> {
        let (b, rest) = self.0.split_first().ok_or_else(|| bad("short"))?;
        self.0 = rest;
        Ok(*b)
    }
    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(bad("varint"))
    }
    fn at(&mut self, from: u64) -> Result<u64, StoreError> {
        let z = self.varint()?;
        let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
        Ok(from.wrapping_add(d as u64))
    }
    fn str(&mut self) -> Result<String, StoreError> {
        let n = usize::try_from(self.varint()?).map_err(|_| bad("length"))?;
        if n > self.0.len() {
            return Err(bad("short"));
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).map_err(|_| bad("text"))
    }
    fn coded(&mut self, table: &[&str]) -> Result<String, StoreError> {
        match self.varint()? {
            0 => self.str(),
            i => table.get(i as usize - 1).map(|s| (*s).to_owned()).ok_or_else(|| bad("code")),
        }
    }
}

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("recap row: {what}"))
}

/// A stored row, binary or `V1` JSON, with its key.
pub(crate) fn decode(key: &[u8], v: &[u8]) -> Result<Fact, StoreError> {
    match v.first() {
        Some(&V1) => return super::codec::decode("recap", v),
        Some(&R2) => {}
        _ => return Err(bad("version")),
    }
    let created = u64::from_be_bytes(key.get(..8).and_then(|k| k.try_into().ok()).ok_or_else(|| bad("key"))?);
    let ticket = std::str::from_utf8(key.get(9..).ok_or_else(|| bad("key"))?).map_err(|_| bad("key"))?.to_owned();
    let mut r = Reader(&v[1..]);
    let flags = r.u8()?;
    let category = Category::ALL.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("category"))?;
    let priority = Priority::ALL.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("priority"))?;
    let channel = CHANNELS.get(usize::from(r.u8()?)).copied().ok_or_else(|| bad("channel"))?;
    let node = if flags & F_NODE != 0 { r.str()? } else { ticket.split('-').next().unwrap_or("").to_owned() };
    let unit = if flags & F_UNIT != 0 { Some(r.str()?) } else { None };
    let regency = r.coded(&REGENCIES)?;
    let district = if flags & F_DISTRICT != 0 { Some(r.str()?) } else { None };
    let reject_reason = if flags & F_REASON != 0 { Some(r.coded(&REASONS)?) } else { None };
    let conflicts = u32::try_from(r.varint()?).map_err(|_| bad("conflicts"))?;
    let mut deadlines = [None; 5];
    for d in &mut deadlines {
        *d = r.varint()?.checked_sub(1);
    }
    let n = r.varint()?;
    let mut users = Vec::new();
    for _ in 0..n {
        users.push(r.str()?);
    }
    let n = r.varint()?;
    let mut entries = Vec::new();
    let mut last = created;
    for _ in 0..n {
        let state = r.u8()?;
        last = r.at(last)?;
        let by = match r.varint()? {
            0 => String::new(),
            i => users.get(i as usize - 1).cloned().ok_or_else(|| bad("user"))?,
        };
        entries.push((state, last, by));
    }
    let verified_at = if flags & F_VERIFIED != 0 { Some(r.at(created)?) } else { None };
    let n = r.varint()?;
    let mut escalations = Vec::new();
    for _ in 0..n {
        let rung = r.u8()?;
        escalations.push((rung, r.at(created)?));
    }
    Ok(Fact {
        ticket,
        node,
        unit,
        category,
        priority,
        channel,
        regency,
        district,
        created,
        entries,
        verified_at,
        escalations,
        reject_reason,
        duplicate: flags & F_DUPLICATE != 0,
        emergency_unverified: flags & F_EMERGENCY != 0,
        conflicts,
        deadlines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Channel;

    fn fact() -> Fact {
        let m = 60_000;
        let t0 = 1_790_000_000_000;
        Fact {
            ticket: "PLG-261101-0001".into(),
            node: "PLG".into(),
            unit: Some("PLG".into()),
            category: Category::Crime,
            priority: Priority::High,
            channel: Channel::Whatsapp,
            regency: "Kota Palembang".into(),
            district: Some("16.71.09".into()),
            created: t0,
            entries: vec![
                (0, t0, String::new()),
                (1, t0 + 5 * m, "operator".into()),
                (3, t0 + 17 * m, "operator".into()),
                (4, t0 + 20 * m, "unit.plg".into()),
                // an entry stamped before the one it follows (another node's clock)
                (5, t0 + 19 * m, "unit.plg".into()),
            ],
            verified_at: Some(t0 + 5 * m),
            escalations: vec![(1, t0 + 10 * m), (2, t0 + 25 * m)],
            reject_reason: None,
            duplicate: false,
            emergency_unverified: true,
            conflicts: 2,
            deadlines: [Some(10 * m), Some(15 * m), Some(0), None, Some(86_400_000)],
        }
    }

    #[test]
    fn rows_come_back_as_written() {
        let f = fact();
        let k = key(f.created, f.ticket.as_bytes());
        let v = encode(&f);
        assert_eq!(v[0], R2);
        assert_eq!(decode(&k, &v).unwrap(), f);
        let json = super::super::codec::encode(&f);
        assert!(v.len() * 3 < json.len(), "binary {} bytes, JSON {}", v.len(), json.len());

        // another node, no unit, a regency and a reason outside the tables, a rejection
        let g = Fact {
            node: "SUMSEL".into(),
            unit: None,
            regency: "Kabupaten Baru".into(),
            district: None,
            reject_reason: Some("lainnya".into()),
            duplicate: true,
            emergency_unverified: false,
            verified_at: None,
            escalations: Vec::new(),
            entries: vec![(0, f.created, String::new())],
            deadlines: [None; 5],
            ..f.clone()
        };
        assert_eq!(decode(&k, &encode(&g)).unwrap(), g);
        let h = Fact { reject_reason: Some("prank".into()), channel: Channel::Open311, ..g.clone() };
        assert_eq!(decode(&k, &encode(&h)).unwrap(), h);
    }

    #[test]
    fn json_rows_of_older_stores_still_decode() {
        // a row as the previous release wrote it (no kecamatan)
        let old = br#"{"t":"PLG-261101-0002","n":"PLG","u":null,"c":"crime","p":"normal","h":"web","r":"Kota Palembang","at":1000,"e":[[0,1000,""],[1,61000,"operator"]],"v":61000,"x":[],"j":null,"d":false,"eu":false,"k":0,"dl":[600000,null,null,null,null]}"#;
        let mut v = vec![V1];
        v.extend_from_slice(old);
        let f = decode(&key(1000, b"PLG-261101-0002"), &v).unwrap();
        assert_eq!(f.ticket, "PLG-261101-0002");
        assert_eq!(f.entries, vec![(0, 1000, String::new()), (1, 61_000, "operator".into())]);
        assert_eq!(f.deadlines[0], Some(600_000));
        assert_eq!(f.district, None);
        assert_eq!(decode(&key(1000, b"PLG-261101-0002"), &encode(&f)).unwrap(), f);
    }

    #[test]
    fn damage_is_an_error() {
        let f = fact();
        let k = key(f.created, f.ticket.as_bytes());
        let v = encode(&f);
        for cut in 1..v.len() {
            assert!(decode(&k, &v[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(&k, &[9, 0]).is_err());
        assert!(decode(&k, &[]).is_err());
    }
}
