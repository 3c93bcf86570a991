//! The case summaries: their stored form (`ticket_summary`, a compact binary value with a
//! version byte, ending with the words the case is found by) and their mirror in memory
//! (`CaseIndex`: the summaries, and an inverted index of the words), which the commit thread
//! brings up to date right after each sled transaction commits. The queue, the search and the
//! board read the mirror and decode only the cases they show.

use super::FastMap;
use super::StoreError;
use crate::model::summary::CaseSummary;
use crate::model::{Category, Millis, Priority, State, Ticket, UnitCode};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// The version byte of a stored summary: V2 adds the key of the reporter's number after the
/// regency, V3 the next escalation's time (`F_ESCALATES`; it replaced the `dueticket_none`
/// tree). Older summaries still decode until `Store::ensure_indexes` rewrites them.
const V1: u8 = 1;
const V2: u8 = 2;
const V3: u8 = 3;

const F_MARKED: u8 = 1;
const F_BLOCKED: u8 = 2;
const F_PRANK: u8 = 4;
const F_UNVERIFIED: u8 = 8;
const F_DUE: u8 = 16;
const F_POINT: u8 = 32;
/// a kecamatan code follows the regency (added with the official areas; older values lack it)
const F_DISTRICT: u8 = 64;
/// the next escalation's time follows the due time (V3)
const F_ESCALATES: u8 = 128;

use super::codec::CHANNELS;

/// `[V3, state, category, priority, channel, flags, rung, escalations u32, created u64,
/// updated u64, (due u64), (escalates u64), (lat f64, lon f64), unit len, unit, regency len,
/// regency, (district len, district), phone key u64, words]`,
/// integers big-endian, the words separated by spaces.
pub(crate) fn encode(s: &CaseSummary, words: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(64 + s.regency.len() + words.len());
    let mut flags = 0;
    for (on, f) in [
        (s.marked, F_MARKED),
        (s.blocked, F_BLOCKED),
        (s.prank, F_PRANK),
        (s.dispatched_unverified, F_UNVERIFIED),
        (s.due.is_some(), F_DUE),
        (s.lat.is_some() && s.lon.is_some(), F_POINT),
        (s.district.is_some(), F_DISTRICT),
        (s.escalates.is_some(), F_ESCALATES),
    ] {
        if on {
            flags |= f;
        }
    }
    v.extend_from_slice(&[
        V3,
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
    if let Some(e) = s.escalates {
        v.extend_from_slice(&e.0.to_be_bytes());
    }
    if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
        v.extend_from_slice(&lat.to_be_bytes());
        v.extend_from_slice(&lon.to_be_bytes());
    }
    let unit = s.unit.as_ref().map(|u| u.as_str()).unwrap_or("");
    v.push(unit.len().min(255) as u8);
    v.extend_from_slice(&unit.as_bytes()[..unit.len().min(255)]);
    let regency = &s.regency.as_bytes()[..s.regency.len().min(255)];
    v.push(regency.len() as u8);
    v.extend_from_slice(regency);
    if let Some(d) = &s.district {
        let d = &d.as_bytes()[..d.len().min(255)];
        v.push(d.len() as u8);
        v.extend_from_slice(d);
    }
    v.extend_from_slice(&s.phone_key.to_be_bytes());
    v.extend_from_slice(words.as_bytes());
    v
}

/// A stored summary and the words it carries (space-separated, as stored).
pub(crate) fn decode(ticket: &[u8], v: &[u8]) -> Result<(CaseSummary, String), StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("case summary: {what}"));
    let ticket = Ticket::parse(std::str::from_utf8(ticket).map_err(|_| bad("ticket"))?).map_err(|_| bad("ticket"))?;
    let mut r = Reader(v);
    let version = r.u8()?;
    if !matches!(version, V1 | V2 | V3) {
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
    let escalates =
        if version >= V3 && flags & F_ESCALATES != 0 { Some(Millis(u64::from_be_bytes(r.take()?))) } else { None };
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
    let regency_len = usize::from(r.u8()?);
    let regency = std::str::from_utf8(r.bytes(regency_len)?).map_err(|_| bad("regency"))?.to_owned();
    let district = if flags & F_DISTRICT != 0 {
        let n = usize::from(r.u8()?);
        Some(std::str::from_utf8(r.bytes(n)?).map_err(|_| bad("district"))?.to_owned())
    } else {
        None
    };
    let phone_key = if version == V1 { 0 } else { u64::from_be_bytes(r.take()?) };
    let words = std::str::from_utf8(r.0).map_err(|_| bad("words"))?.to_owned();
    let summary = CaseSummary {
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
        district,
        phone_key,
        lat,
        lon,
        created,
        updated,
        escalation_rung,
        escalations_total,
        escalates,
    };
    Ok((summary, words))
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

/// The summaries of every case, in memory (the committed state of `ticket_summary`), and the
/// words each case is found by, as an inverted index into them.
#[derive(Clone, Default)]
pub(crate) struct CaseIndex(Arc<RwLock<Mirror>>);

#[derive(Default)]
pub struct Mirror {
    /// one per case, in the order they arrived (a case's position never changes)
    all: Vec<CaseSummary>,
    at: FastMap<Ticket, u32>,
    /// word -> positions of the cases that have it (a case's words never change: they come from
    /// its report)
    words: BTreeMap<Box<str>, Vec<u32>>,
    /// `phone_key` -> position of the first case of that number; `more_phones`: the others
    phones: FastMap<u64, u32>,
    more_phones: FastMap<u64, Vec<u32>>,
    /// regency -> positions of its cases by creation time (oldest first): a new report's
    /// near-duplicate check reads the newest open ones
    by_regency: FastMap<Box<str>, Vec<u32>>,
    /// while the store opens: `by_regency` is appended to and sorted once at the end
    /// (`CaseIndex::loaded`), not kept sorted case by case
    bulk: bool,
}

impl Mirror {
    /// Every case's summary, in no particular order.
    pub fn all(&self) -> &[CaseSummary] {
        &self.all
    }

    /// Cases whose next escalation is due at or before `now`, soonest first (then by ticket).
    /// A scan of the summaries under the read lock: 0.3–0.9 ms over 100,000 on the 2-core
    /// machine, at the scheduler's tick (500 ms by default) and each `/metrics` scrape.
    pub fn due_by(&self, now: Millis) -> Vec<Ticket> {
        let mut due: Vec<(Millis, &Ticket)> =
            self.all.iter().filter_map(|s| s.escalates.filter(|e| *e <= now).map(|e| (e, &s.ticket))).collect();
        due.sort_unstable();
        due.into_iter().map(|(_, t)| t.clone()).collect()
    }

    /// Whether the case is here (committed).
    pub fn holds(&self, t: &Ticket) -> bool {
        self.at.contains_key(t)
    }

    /// Cases with a word that starts with `prefix` (a case with two such words comes twice).
    pub fn with_word<'a, 'p>(&'a self, prefix: &'p str) -> impl Iterator<Item = &'a CaseSummary> + 'p
    where
        'a: 'p,
    {
        self.words
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(move |(w, _)| w.starts_with(prefix))
            .flat_map(|(_, at)| at.iter())
            .map(|i| &self.all[*i as usize])
    }

    /// The tickets of a reporter's cases, in ticket order (node, day, counter).
    pub fn tickets_of_phone(&self, phone: &str) -> Vec<Ticket> {
        let key = crate::model::summary::phone_key(phone);
        let at = self.phones.get(&key).into_iter().chain(self.more_phones.get(&key).into_iter().flatten());
        let mut out: Vec<Ticket> = at.map(|i| self.all[*i as usize].ticket.clone()).collect();
        out.sort();
        out
    }

    /// The newest `limit` open cases of a regency (not yet resolved) created at or after
    /// `since`, newest first, as (ticket, created, state).
    pub fn recent_open(&self, regency: &str, since: Millis, limit: usize) -> Vec<(Ticket, Millis, State)> {
        let Some(at) = self.by_regency.get(regency) else { return Vec::new() };
        let mut out = Vec::with_capacity(limit.min(at.len()));
        out.extend(
            at.iter()
                .rev()
                .map(|i| &self.all[*i as usize])
                .take_while(|s| s.created >= since)
                .filter(|s| s.state.is_open() && s.state != State::Resolved)
                .take(limit)
                .map(|s| (s.ticket.clone(), s.created, s.state)),
        );
        out
    }

    /// Puts position `i` in its regency's list, in creation order (cases mostly arrive in it).
    fn index_regency(&mut self, i: u32) {
        let s = &self.all[i as usize];
        let created = s.created;
        let all = &self.all;
        if !self.by_regency.contains_key(s.regency.as_str()) {
            self.by_regency.insert(s.regency.as_str().into(), Vec::new());
        }
        let at = self.by_regency.get_mut(s.regency.as_str()).expect("inserted above");
        if self.bulk {
            at.push(i);
            return;
        }
        // most cases arrive in creation order: then it goes last, with no search of the list
        if at.last().is_none_or(|j| all[*j as usize].created <= created) {
            at.push(i);
            return;
        }
        let pos = at.partition_point(|j| all[*j as usize].created <= created);
        at.insert(pos, i);
    }

    fn unindex_regency(&mut self, i: u32, regency: &str) {
        if let Some(at) = self.by_regency.get_mut(regency) {
            at.retain(|j| *j != i);
        }
    }

    fn index_phone(&mut self, key: u64, i: u32) {
        if key == 0 {
            return;
        }
        match self.phones.entry(key) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.more_phones.entry(key).or_default().push(i),
        }
    }

    fn put(&mut self, s: CaseSummary, words: &str) {
        match self.at.get(&s.ticket) {
            Some(i) => {
                let i = *i;
                let key = s.phone_key;
                let old = std::mem::replace(&mut self.all[i as usize], s);
                // a V1 summary rewritten with its number's key (`ensure_indexes`)
                if old.phone_key != key {
                    self.index_phone(key, i);
                }
                if old.regency != self.all[i as usize].regency || old.created != self.all[i as usize].created {
                    self.unindex_regency(i, &old.regency);
                    self.index_regency(i);
                }
            }
            None => {
                let i = self.all.len() as u32;
                self.at.insert(s.ticket.clone(), i);
                self.index_phone(s.phone_key, i);
                self.all.push(s);
                self.index_regency(i);
                for w in words.split(' ').filter(|w| !w.is_empty()) {
                    // looked up by `&str` first: a word already indexed costs no allocation
                    match self.words.get_mut(w) {
                        Some(at) if at.last() != Some(&i) => at.push(i),
                        Some(_) => {}
                        None => drop(self.words.insert(w.into(), vec![i])),
                    }
                }
            }
        }
    }
}

impl CaseIndex {
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Mirror) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Adds or replaces a summary from its stored bytes.
    pub(crate) fn load(&self, ticket: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let (s, words) = decode(ticket, value)?;
        self.0.write().unwrap_or_else(|e| e.into_inner()).put(s, &words);
        Ok(())
    }

    /// Loads the stored summaries at open: the per-regency lists are sorted once at the end
    /// (summaries come in ticket order, which is not creation order: keeping each list sorted
    /// case by case moved most of it at every insert, quadratic on a large store).
    pub(crate) fn load_all(
        &self,
        summaries: impl Iterator<Item = Result<(sled::IVec, sled::IVec), sled::Error>>,
    ) -> Result<(), StoreError> {
        let mut m = self.0.write().unwrap_or_else(|e| e.into_inner());
        m.bulk = true;
        let loaded = summaries.map(|kv| -> Result<(), StoreError> {
            let (k, v) = kv?;
            let (s, words) = decode(&k, &v)?;
            m.put(s, &words);
            Ok(())
        });
        let done = loaded.collect::<Result<(), StoreError>>();
        m.bulk = false;
        let Mirror { all, by_regency, .. } = &mut *m;
        for at in by_regency.values_mut() {
            // stable: cases created in the same millisecond keep their order
            at.sort_by_key(|i| all[*i as usize].created);
        }
        done
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
        for (s, words) in decoded {
            m.put(s, &words);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Channel;

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
            district: Some("16.02.05".into()),
            phone_key: crate::model::summary::phone_key("+6281234567890"),
            lat: Some(-3.4),
            lon: Some(104.8),
            created: Millis(1_763_999_000_000),
            updated: Millis(1_763_999_500_000),
            escalation_rung: 2,
            escalations_total: 3,
            escalates: Some(Millis(1_764_000_600_000)),
        }
    }

    #[test]
    fn summaries_round_trip() {
        let s = sample();
        let bytes = encode(&s, "curanmor pasar");
        assert_eq!(decode(s.ticket.as_str().as_bytes(), &bytes).unwrap(), (s.clone(), "curanmor pasar".to_owned()));
        let bare =
            CaseSummary { due: None, escalates: None, lat: None, lon: None, unit: None, district: None, ..sample() };
        let bytes = encode(&bare, "");
        assert_eq!(decode(bare.ticket.as_str().as_bytes(), &bytes).unwrap(), (bare.clone(), String::new()));
        assert!(bytes.len() < 72, "{} bytes (28 of them the regency)", bytes.len());
        // a V1 summary (before the number was kept) still decodes, with no number
        let mut v1 = bytes[..bytes.len() - 8].to_vec();
        v1[0] = V1;
        let (old, _) = decode(bare.ticket.as_str().as_bytes(), &v1).unwrap();
        assert_eq!(old, CaseSummary { phone_key: 0, ..bare.clone() });
        // a V2 summary (before the escalation time was kept) decodes with none
        let mut v2 = bytes.clone();
        v2[0] = V2;
        assert_eq!(decode(bare.ticket.as_str().as_bytes(), &v2).unwrap().0, bare);
    }

    #[test]
    fn words_find_cases_by_prefix_once_each() {
        let idx = CaseIndex::default();
        let a = sample();
        let b = CaseSummary { ticket: Ticket::parse("PLG-261128-0043").unwrap(), ..sample() };
        idx.load(a.ticket.as_str().as_bytes(), &encode(&a, "lalu lintas")).unwrap();
        idx.load(b.ticket.as_str().as_bytes(), &encode(&b, "lama")).unwrap();
        // a new state for a: replaced in place, its words not indexed twice
        let a2 = CaseSummary { state: State::Resolved, ..a.clone() };
        idx.load(a.ticket.as_str().as_bytes(), &encode(&a2, "lalu lintas")).unwrap();
        idx.read(|m| {
            let found = |p: &str| m.with_word(p).map(|s| s.ticket.as_str().to_owned()).collect::<Vec<_>>();
            assert_eq!(m.all().len(), 2);
            assert_eq!(found("lal"), ["PLG-261128-0042"]);
            assert_eq!(found("la"), ["PLG-261128-0042", "PLG-261128-0043"], "lalu, then lama (word order)");
            assert_eq!(found("lintas"), ["PLG-261128-0042"]);
            assert!(found("x").is_empty());
            assert_eq!(m.with_word("lalu").next().unwrap().state, State::Resolved);
        });
    }

    /// The escalation scan: the cases whose next escalation is due by `now`, soonest first.
    #[test]
    fn cases_due_for_escalation_soonest_first() {
        let idx = CaseIndex::default();
        let at = |n: u32, escalates: Option<u64>| CaseSummary {
            ticket: Ticket::parse(&format!("PLG-261128-{n:04}")).unwrap(),
            escalates: escalates.map(Millis),
            ..sample()
        };
        for s in [at(1, Some(300)), at(2, Some(100)), at(3, None), at(4, Some(100)), at(5, Some(301))] {
            idx.load(s.ticket.as_str().as_bytes(), &encode(&s, "")).unwrap();
        }
        let due = |now: u64| {
            idx.read(|m| m.due_by(Millis(now))).into_iter().map(|t| t.as_str()[11..].to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(due(300), ["0002", "0004", "0001"]);
        assert!(due(99).is_empty());
        // an escalation recorded moves the case's time on
        let moved = at(2, Some(1_000));
        idx.load(moved.ticket.as_str().as_bytes(), &encode(&moved, "")).unwrap();
        assert_eq!(due(301), ["0004", "0001", "0005"]);
    }

    /// The near-duplicate check's view: a regency's open cases from `since`, newest first,
    /// whatever order they arrived in (a hub receives posts' cases late).
    #[test]
    fn recent_open_cases_of_a_regency_newest_first() {
        let idx = CaseIndex::default();
        let at = |n: u32, created: u64, state: State, regency: &str| CaseSummary {
            ticket: Ticket::parse(&format!("PLG-261128-{n:04}")).unwrap(),
            created: Millis(created),
            state,
            regency: regency.into(),
            ..sample()
        };
        for s in [
            at(1, 100, State::New, "Kota Palembang"),
            at(2, 300, State::Verified, "Kota Palembang"),
            at(3, 200, State::Closed, "Kota Palembang"),
            at(4, 250, State::Resolved, "Kota Palembang"),
            at(5, 150, State::New, "Kota Palembang"),
            at(6, 400, State::New, "Kabupaten Banyuasin"),
        ] {
            idx.load(s.ticket.as_str().as_bytes(), &encode(&s, "")).unwrap();
        }
        let found = |since: u64, limit: usize| {
            idx.read(|m| m.recent_open("Kota Palembang", Millis(since), limit))
                .into_iter()
                .map(|(t, c, _)| (t.as_str()[11..].to_owned(), c.0))
                .collect::<Vec<_>>()
        };
        assert_eq!(found(0, 10), [("0002".into(), 300), ("0005".into(), 150), ("0001".into(), 100)]);
        assert_eq!(found(120, 10), [("0002".to_owned(), 300), ("0005".to_owned(), 150)]);
        assert_eq!(found(0, 1), [("0002".to_owned(), 300)]);
        // a case that closes leaves the view; one that moves in time moves in the order
        let closed = at(2, 300, State::Closed, "Kota Palembang");
        idx.load(closed.ticket.as_str().as_bytes(), &encode(&closed, "")).unwrap();
        let later = at(1, 500, State::New, "Kota Palembang");
        idx.load(later.ticket.as_str().as_bytes(), &encode(&later, "")).unwrap();
        assert_eq!(found(0, 10), [("0001".to_owned(), 500), ("0005".to_owned(), 150)]);
        assert!(idx.read(|m| m.recent_open("Kota Prabumulih", Millis(0), 10)).is_empty());
    }

    #[test]
    fn damaged_summaries_are_errors() {
        let s = sample();
        let bytes = encode(&s, "");
        for cut in [0, 1, 10, 30] {
            assert!(decode(s.ticket.as_str().as_bytes(), &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut v9 = bytes.clone();
        v9[0] = 9;
        assert!(decode(s.ticket.as_str().as_bytes(), &v9).is_err());
    }
}
