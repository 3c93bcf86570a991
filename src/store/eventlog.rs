//! Where events live: their bytes in an append-only file (`store/events.log`), and two small
//! sled trees that find them: `originblock_eventrefs` (an origin's events by seq, 64 to a key:
//! each slot the offset and length of a record) and `ticket_eventids` (a case's events: the
//! list of their ids). Events are written once and never change, so they need none of what a
//! B-tree gives; kept in sled, one key each, they made most of its page rewrites and bytes.
//!
//! The commit thread journals a round's ops as before (`Tree::Events` and `Tree::CaseEvents`
//! puts, one per event, so journals of every release replay), then `Events::place` appends the
//! events to the file and rewrites the few blocks and case lists they touch.
//!
//! Durability rides on the journal: a round's events are in its journal record (fdatasynced)
//! before they are appended here, and the file is fdatasynced at every checkpoint *before* sled
//! is flushed and the journal segments are removed. The checkpoint records the length it
//! synced (`eventlog_len` in `name_meta`); at open the file is cut back to that length and the
//! journal's records are applied again, which appends their events anew and points their slots
//! at the new copies. A slot sled holds is thus either below the recorded length (synced) or
//! rewritten by that replay. The cost is a few dead records after a crash, never a lost or
//! wrong one.
//!
//! Record: `len: u32 LE | crc32(payload): u32 LE | payload` (the event's stored bytes, `V1`
//! or `V2`). Slot: `offset: u64 BE | len: u32 BE` (len 0: no event). Case list: `V3`, then per
//! event `id len: u8 | id` (the id as `eventid_event` keyed it: origin, NUL, seq u64 BE).

use super::StoreError;
use std::collections::btree_map::{BTreeMap, Entry};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The format byte of a block and of a case list.
pub const V3: u8 = 3;
const HEADER: usize = 8;
/// Events per block: `seq >> BLOCK_BITS` names the block.
const BLOCK_BITS: u32 = 6;
const SLOTS: usize = 1 << BLOCK_BITS;
const SLOT: usize = 12;

pub(crate) struct EventLog {
    path: PathBuf,
    file: File,
    /// bytes written (appends take `append`; readers only read below this)
    len: AtomicU64,
    append: Mutex<Vec<u8>>,
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("event log {}: {e}", path.display()))
}

impl EventLog {
    /// Opens (or creates, mode 0600) the log at `path` and cuts it back to `synced`, the length
    /// the last checkpoint made durable: what lies beyond came from rounds the journal replays.
    /// A log shorter than `synced` lost durable events: that is damage, not a torn tail.
    pub fn open(path: &Path, synced: u64) -> Result<EventLog, StoreError> {
        let file = crate::fsx::open_or_create_log(path).map_err(|e| io(path, e))?;
        let len = file.metadata().map_err(|e| io(path, e))?.len();
        if len < synced {
            return Err(StoreError::Corrupt(format!(
                "event log {} holds {len} bytes but {synced} were made durable: restore from a backup",
                path.display()
            )));
        }
        if len > synced {
            file.set_len(synced).map_err(|e| io(path, e))?;
            file.sync_all().map_err(|e| io(path, e))?;
        }
        Ok(EventLog { path: path.to_path_buf(), file, len: AtomicU64::new(synced), append: Mutex::new(Vec::new()) })
    }

    /// The bytes written so far (durable only up to the last `sync`).
    pub fn len(&self) -> u64 {
        self.len.load(Ordering::SeqCst)
    }

    /// Appends the events' stored bytes as records and returns where each went (offset,
    /// length), in order. Not synced: the journal holds them until the next checkpoint.
    pub fn append(&self, payloads: &[&[u8]]) -> Result<Vec<(u64, u32)>, StoreError> {
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let mut buf = self.append.lock().unwrap_or_else(|e| e.into_inner());
        buf.clear();
        let start = self.len();
        let mut refs = Vec::with_capacity(payloads.len());
        for p in payloads {
            let len = u32::try_from(p.len()).map_err(|_| StoreError::Corrupt("an event of 4 GiB".into()))?;
            refs.push((start + buf.len() as u64, len));
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(&crc32fast::hash(p).to_le_bytes());
            buf.extend_from_slice(p);
        }
        if let Err(e) = (&self.file).write_all(&buf) {
            // no slot points into a partial write: cut it off (best effort; the next open cuts
            // back to the synced length anyway)
            let _ = self.file.set_len(start);
            return Err(io(&self.path, e));
        }
        self.len.store(start + buf.len() as u64, Ordering::SeqCst);
        if buf.capacity() > 8 << 20 {
            *buf = Vec::new();
        }
        Ok(refs)
    }

    /// Makes everything appended so far durable; returns the length that now is.
    pub fn sync(&self) -> Result<u64, StoreError> {
        let len = self.len();
        self.file.sync_data().map_err(|e| io(&self.path, e))?;
        Ok(len)
    }

    /// The record at `at` of `len` payload bytes, checked.
    pub fn read(&self, at: u64, len: u32) -> Result<Vec<u8>, StoreError> {
        let bad = |why: &str| StoreError::Corrupt(format!("event log {}: {why}", self.path.display()));
        if at + HEADER as u64 + u64::from(len) > self.len() {
            return Err(bad(&format!("a slot points past the end (offset {at})")));
        }
        let mut buf = vec![0u8; HEADER + len as usize];
        self.file.read_exact_at(&mut buf, at).map_err(|e| io(&self.path, e))?;
        let (head, payload) = buf.split_at(HEADER);
        if head[..4] != len.to_le_bytes() || head[4..] != crc32fast::hash(payload).to_le_bytes() {
            return Err(bad(&format!("the record at offset {at} is damaged")));
        }
        buf.drain(..HEADER);
        Ok(buf)
    }
}

/// An event id as `eventid_event` keys it (origin, NUL, seq BE), split.
fn split_id(id: &[u8]) -> Option<(&[u8], u64)> {
    let at = id.len().checked_sub(9)?;
    (id[at] == 0).then(|| (&id[..at], u64::from_be_bytes(id[at + 1..].try_into().expect("8 bytes"))))
}

fn block_key(origin: &[u8], seq: u64) -> Vec<u8> {
    super::codec::key(&[origin, &(seq >> BLOCK_BITS).to_be_bytes()])
}

fn slot_of(block: &[u8], seq: u64) -> Option<(u64, u32)> {
    let at = 1 + (seq as usize & (SLOTS - 1)) * SLOT;
    let s = block.get(at..at + SLOT)?;
    let len = u32::from_be_bytes(s[8..].try_into().expect("4 bytes"));
    (len > 0).then(|| (u64::from_be_bytes(s[..8].try_into().expect("8 bytes")), len))
}

/// The ids in a case list.
fn list_ids(list: &[u8]) -> Result<Vec<&[u8]>, StoreError> {
    let mut out = Vec::new();
    let mut rest = match list.split_first() {
        Some((&V3, rest)) => rest,
        _ => return Err(StoreError::Corrupt("case event list: unknown format".into())),
    };
    while let Some((&n, tail)) = rest.split_first() {
        let id = tail.get(..usize::from(n)).ok_or_else(|| StoreError::Corrupt("case event list: cut short".into()))?;
        out.push(id);
        rest = &tail[usize::from(n)..];
    }
    Ok(out)
}

/// The event log with the two trees that find its records.
#[derive(Clone)]
pub(crate) struct Events {
    pub(crate) log: Arc<EventLog>,
    refs: sled::Tree,
    ids: sled::Tree,
}

impl Events {
    pub const REFS: &'static str = "originblock_eventrefs";
    pub const IDS: &'static str = "ticket_eventids";

    pub fn new(log: EventLog, db: &sled::Db) -> Result<Events, StoreError> {
        Ok(Events { log: Arc::new(log), refs: db.open_tree(Self::REFS)?, ids: db.open_tree(Self::IDS)? })
    }

    /// Stores events (`(id, stored bytes)`) and adds ids to cases (`(ticket, id)`): appends
    /// the events to the log, then rewrites the blocks and case lists they touch. Placing an
    /// event again (a journal replay) points its slot at the new copy; an id already in a
    /// case's list is not added twice.
    pub fn place(&self, events: &[(&[u8], &[u8])], case_ids: &[(&[u8], &[u8])]) -> Result<(), StoreError> {
        let payloads: Vec<&[u8]> = events.iter().map(|(_, v)| *v).collect();
        let at = self.log.append(&payloads)?;
        let mut blocks: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for ((id, _), (offset, len)) in events.iter().zip(at) {
            let (origin, seq) = split_id(id).ok_or_else(|| StoreError::Corrupt("event id".into()))?;
            let k = block_key(origin, seq);
            let block = match blocks.entry(k) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let old = self.refs.get(e.key())?.map(|v| v.to_vec());
                    e.insert(old.filter(|v| v.len() == 1 + SLOTS * SLOT).unwrap_or_else(|| {
                        let mut b = vec![0u8; 1 + SLOTS * SLOT];
                        b[0] = V3;
                        b
                    }))
                }
            };
            let s = 1 + (seq as usize & (SLOTS - 1)) * SLOT;
            block[s..s + 8].copy_from_slice(&offset.to_be_bytes());
            block[s + 8..s + SLOT].copy_from_slice(&len.to_be_bytes());
        }
        let mut lists: BTreeMap<&[u8], Vec<u8>> = BTreeMap::new();
        for (ticket, id) in case_ids {
            let list = match lists.entry(ticket) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(self.ids.get(ticket)?.map_or_else(|| vec![V3], |v| v.to_vec())),
            };
            if !list_ids(list)?.contains(id) {
                list.push(u8::try_from(id.len()).map_err(|_| StoreError::Corrupt("a long event id".into()))?);
                list.extend_from_slice(id);
            }
        }
        // key by key, not a `sled::Batch` (which writes sled's log out twice): the journal
        // record these come from is what makes them all-or-nothing (see `store::apply_ops`)
        for (k, v) in blocks {
            self.refs.insert(k, v)?;
        }
        for (k, v) in lists {
            self.ids.insert(k, v)?;
        }
        Ok(())
    }

    /// The stored bytes of the event `id` (origin, NUL, seq BE), if held.
    pub fn get(&self, id: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((origin, seq)) = split_id(id) else { return Ok(None) };
        match self.refs.get(block_key(origin, seq))?.as_deref().and_then(|b| slot_of(b, seq)) {
            Some((at, len)) => Ok(Some(self.log.read(at, len)?)),
            None => Ok(None),
        }
    }

    /// Up to `limit` events of `origin` with seq in `from..=to`, in seq order, as stored.
    pub fn range(&self, origin: &[u8], from: u64, to: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        if from > to {
            return Ok(out);
        }
        for kv in self.refs.range(block_key(origin, from)..=block_key(origin, to)) {
            let (k, block) = kv?;
            let first = split_id(&k).ok_or_else(|| StoreError::Corrupt("event block key".into()))?.1 << BLOCK_BITS;
            for seq in first.max(from)..=(first + SLOTS as u64 - 1).min(to) {
                if out.len() == limit {
                    return Ok(out);
                }
                if let Some((at, len)) = slot_of(&block, seq) {
                    out.push((seq, self.log.read(at, len)?));
                }
            }
        }
        Ok(out)
    }

    /// The stored bytes of every event of the case `ticket`, in the order they were added.
    pub fn of_case(&self, ticket: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let Some(list) = self.ids.get(ticket)? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for id in list_ids(&list)? {
            out.push(self.get(id)?.ok_or_else(|| StoreError::Corrupt("a case names a missing event".into()))?);
        }
        Ok(out)
    }

    /// How many events the case `ticket` has.
    pub fn count_of_case(&self, ticket: &[u8]) -> Result<usize, StoreError> {
        match self.ids.get(ticket)? {
            Some(list) => Ok(list_ids(&list)?.len()),
            None => Ok(0),
        }
    }

    /// Every case's ticket with its events' stored bytes, in ticket order.
    pub fn each_case(
        &self,
        mut f: impl FnMut(&[u8], Vec<Vec<u8>>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for kv in self.ids.iter() {
            let (ticket, _) = kv?;
            f(&ticket, self.of_case(&ticket)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(origin: &str, seq: u64) -> Vec<u8> {
        crate::store::codec::key(&[origin.as_bytes(), &seq.to_be_bytes()])
    }

    /// Records read back; an unsynced tail is cut at open; a damaged record or a log shorter
    /// than its synced length is an error, never other bytes.
    #[test]
    fn records_read_back_and_the_unsynced_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let log = EventLog::open(&path, 0).unwrap();
        let at = log.append(&[b"\x02first", b"\x01{\"second\":2}"]).unwrap();
        assert_eq!(log.read(at[0].0, at[0].1).unwrap(), b"\x02first");
        assert_eq!(log.read(at[1].0, at[1].1).unwrap(), b"\x01{\"second\":2}");
        let synced = log.sync().unwrap();
        let late = log.append(&[b"\x02late"]).unwrap();
        drop(log);

        let log = EventLog::open(&path, synced).unwrap();
        assert_eq!(log.len(), synced);
        assert_eq!(log.read(at[1].0, at[1].1).unwrap(), b"\x01{\"second\":2}");
        assert!(log.read(late[0].0, late[0].1).is_err(), "a slot into the cut tail");
        drop(log);

        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let log = EventLog::open(&path, synced).unwrap();
        assert!(matches!(log.read(at[1].0, at[1].1), Err(StoreError::Corrupt(_))));
        drop(log);
        assert!(matches!(EventLog::open(&path, synced + 1), Err(StoreError::Corrupt(_))));
    }

    /// Events are found by id, by range (across blocks and gaps) and by case; placing one
    /// again (a replay) points at the new copy and does not list it twice.
    #[test]
    fn placed_events_are_found_by_id_range_and_case() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().temporary(true).open().unwrap();
        let ev = Events::new(EventLog::open(&dir.path().join("events.log"), 0).unwrap(), &db).unwrap();
        let seqs = [1u64, 2, 63, 64, 65, 1_000_000];
        let ids: Vec<Vec<u8>> = seqs.iter().map(|s| id("PLG", *s)).collect();
        let bodies: Vec<Vec<u8>> = seqs.iter().map(|s| format!("\x01{{\"seq\":{s}}}").into_bytes()).collect();
        let events: Vec<(&[u8], &[u8])> = ids.iter().zip(&bodies).map(|(i, b)| (i.as_slice(), b.as_slice())).collect();
        let cases: Vec<(&[u8], &[u8])> = ids.iter().map(|i| (&b"T1"[..], i.as_slice())).collect();
        ev.place(&events[..4], &cases[..4]).unwrap();
        ev.place(&events[4..], &cases[4..]).unwrap();
        assert_eq!(ev.get(&id("PLG", 64)).unwrap().unwrap(), bodies[3]);
        assert_eq!(ev.get(&id("PLG", 3)).unwrap(), None);
        assert_eq!(ev.get(&id("OKI", 1)).unwrap(), None);
        let r = ev.range(b"PLG", 2, u64::MAX, 10).unwrap();
        assert_eq!(r.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![2, 63, 64, 65, 1_000_000]);
        assert_eq!(ev.range(b"PLG", 1, 70, 2).unwrap().len(), 2);
        assert_eq!(ev.of_case(b"T1").unwrap(), bodies);
        // a replay of the first event: a new copy, listed once
        let len = ev.log.len();
        ev.place(&events[..1], &cases[..1]).unwrap();
        assert!(ev.log.len() > len);
        assert_eq!(ev.of_case(b"T1").unwrap(), bodies);
        let mut n = 0;
        ev.each_case(|t, evs| {
            assert_eq!((t, evs.len()), (&b"T1"[..], 6));
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 1);
    }
}
