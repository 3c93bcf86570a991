//! The write-ahead journal: what makes a staged write durable.
//!
//! The commit thread appends each round's ops as one record to the current segment
//! (`store/journal/<16 hex digits>.wal`) and fdatasyncs it before it applies them to sled and
//! releases the waiting requests. sled itself is flushed only in the background (every second)
//! and at checkpoints, so no request waits for sled's fsync and no round pays for a sled
//! transaction: a record is all-or-nothing on disk (length and CRC-32), and a crash between the
//! record and sled is repaired at open by replaying the journal.
//!
//! A segment is closed when it grows past `SEGMENT_BYTES` or has been open `SEGMENT_AGE` with
//! something in it; once every record of a closed segment is applied, a sled flush makes them
//! redundant and the checkpoint removes the segment. Replay applies whole records in order:
//! each op sets a key's full value or removes it, so replaying what sled already holds is
//! harmless, and after replay every key has the value of its last op.
//!
//! Record: `len: u32 LE | crc32(payload): u32 LE | payload`; payload: ops, each
//! `tree name len: u8 | tree name | key len: u32 LE | key | 0 (remove) or 1 (put) |
//! [value len: u32 LE | value]`. Trees go by name, which a later release never gives another
//! meaning, so a journal left by a crash replays into the release that starts next.

use super::{Op, StoreError, Tree};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A segment is closed past this size...
const SEGMENT_BYTES: u64 = 8 << 20;
/// ...or this long after its first record.
const SEGMENT_AGE: Duration = Duration::from_secs(2);
/// Longer than any record the commit thread writes: a length beyond it is damage.
const MAX_RECORD: u32 = 1 << 30;

pub(crate) struct Journal {
    dir: PathBuf,
    file: File,
    segment: u64,
    size: u64,
    first_record: Option<Instant>,
    buf: Vec<u8>,
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(format!("journal: {e}"))
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:016x}.wal"))
}

/// The segments in `dir`, oldest first.
fn segments(dir: &Path) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // the store was moved or removed under a closing node: nothing left to remove
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(e)),
    };
    for e in entries {
        let name = e.map_err(io)?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".wal").and_then(|h| u64::from_str_radix(h, 16).ok()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

impl Journal {
    /// Opens the journal in `dir` and returns the records to replay (every whole record of every
    /// segment, oldest first). A torn record can end only the newest segment (the one being
    /// written when the process stopped): it was never acknowledged and is cut off. The caller
    /// applies the records, makes sled durable and then calls `reset`.
    pub fn open(dir: &Path) -> Result<(Journal, Vec<Vec<Op>>), StoreError> {
        crate::fsx::create_private_dir(dir).map_err(io)?;
        let found = segments(dir)?;
        let mut records = Vec::new();
        for (i, &n) in found.iter().enumerate() {
            let path = segment_path(dir, n);
            let mut bytes = Vec::new();
            let mut f = crate::fsx::open_log(&path).map_err(io)?;
            f.read_to_end(&mut bytes).map_err(io)?;
            let (recs, whole) = parse(&bytes);
            if whole < bytes.len() {
                if i + 1 < found.len() {
                    return Err(StoreError::Corrupt(format!(
                        "journal segment {} is damaged at byte {whole} and newer segments follow it",
                        path.display()
                    )));
                }
                tracing::warn!(segment = %path.display(), at = whole, "cutting off a torn journal record (never acknowledged)");
                f.set_len(whole as u64).map_err(io)?;
                f.sync_all().map_err(io)?;
            }
            records.extend(recs);
        }
        let segment = found.last().map_or(1, |n| n + 1);
        let file = crate::fsx::create_log(&segment_path(dir, segment)).map_err(io)?;
        let journal = Journal {
            dir: dir.to_path_buf(),
            file,
            segment,
            size: 0,
            first_record: None,
            buf: Vec::with_capacity(1 << 16),
        };
        Ok((journal, records))
    }

    /// Removes every segment but the current one: call once what they hold is durable in sled.
    pub fn remove_before(dir: &Path, segment: u64) -> Result<usize, StoreError> {
        let mut n = 0;
        for s in segments(dir)?.into_iter().filter(|s| *s < segment) {
            std::fs::remove_file(segment_path(dir, s)).map_err(io)?;
            n += 1;
        }
        Ok(n)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The segment being written: every record in an older segment is applied to sled.
    pub fn segment(&self) -> u64 {
        self.segment
    }

    /// Appends `ops` as one record and makes it durable.
    pub fn append(&mut self, ops: &[&Op]) -> Result<(), StoreError> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; 8]);
        for op in ops {
            let name = op.tree.name().as_bytes();
            self.buf.push(u8::try_from(name.len()).expect("tree names are short"));
            self.buf.extend_from_slice(name);
            self.buf.extend_from_slice(&(op.key.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(&op.key);
            match &op.value {
                Some(v) => {
                    self.buf.push(1);
                    self.buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
                    self.buf.extend_from_slice(v);
                }
                None => self.buf.push(0),
            }
        }
        let len = (self.buf.len() - 8) as u32;
        let crc = crc32fast::hash(&self.buf[8..]);
        self.buf[..4].copy_from_slice(&len.to_le_bytes());
        self.buf[4..8].copy_from_slice(&crc.to_le_bytes());
        if let Err(e) = self.file.write_all(&self.buf).and_then(|_| self.file.sync_data()) {
            // a retry must not follow a partial record: cut it off (best effort; replay stops
            // at a torn record anyway, and this one was never acknowledged)
            let _ = self.file.set_len(self.size);
            return Err(io(e));
        }
        self.size += self.buf.len() as u64;
        self.first_record.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// Starts a new segment when the current one is big or old enough; returns whether it did.
    /// Call only after the current segment's records are applied to sled.
    pub fn rotate_if_due(&mut self) -> Result<bool, StoreError> {
        let due = self.size >= SEGMENT_BYTES || self.first_record.is_some_and(|t| t.elapsed() >= SEGMENT_AGE);
        if !due {
            return Ok(false);
        }
        let next = self.segment + 1;
        self.file = crate::fsx::create_log(&segment_path(&self.dir, next)).map_err(io)?;
        self.segment = next;
        self.size = 0;
        self.first_record = None;
        Ok(true)
    }
}

/// The whole records at the start of `bytes`, and how many bytes they take.
fn parse(bytes: &[u8]) -> (Vec<Vec<Op>>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_RECORD {
            break;
        }
        let Some(payload) = bytes.get(at + 8..at + 8 + len as usize) else { break };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Some(ops) = parse_ops(payload) else { break };
        out.push(ops);
        at += 8 + len as usize;
    }
    (out, at)
}

fn parse_ops(mut p: &[u8]) -> Option<Vec<Op>> {
    fn take<'a>(p: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (a, b) = (p.get(..n)?, p.get(n..)?);
        *p = b;
        Some(a)
    }
    fn len(p: &mut &[u8]) -> Option<usize> {
        let b = take(p, 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    let mut ops = Vec::new();
    while !p.is_empty() {
        let n = usize::from(take(&mut p, 1)?[0]);
        let name = take(&mut p, n)?;
        let tree = Tree::by_name(name);
        if tree.is_none() && !Tree::retired(name) {
            return None;
        }
        let n = len(&mut p)?;
        let key = take(&mut p, n)?.to_vec();
        let value = match take(&mut p, 1)?[0] {
            0 => None,
            1 => {
                let n = len(&mut p)?;
                Some(take(&mut p, n)?.to_vec())
            }
            _ => return None,
        };
        // an op on a tree this format no longer keeps is dropped (see `RETIRED_JOURNALED`)
        if let Some(tree) = tree {
            ops.push(Op { tree, key, value });
        }
    }
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(i: u8) -> Vec<Op> {
        vec![Op::put(Tree::Events, vec![i, 1], vec![i; 40]), Op::remove(Tree::Deadline, vec![i, 2])]
    }

    /// Records come back whole and in order; a torn tail of the newest segment is cut off and
    /// writing goes on in a new segment; rotated-away segments are removed on request.
    #[test]
    fn records_replay_in_order_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let jd = dir.path().join("journal");
        let (mut j, recs) = Journal::open(&jd).unwrap();
        assert!(recs.is_empty());
        for i in 0..3 {
            let o = ops(i);
            j.append(&o.iter().collect::<Vec<_>>()).unwrap();
        }
        let first = j.segment();
        drop(j);
        // a torn fourth record: its header promises more bytes than are there
        let path = segment_path(&jd, first);
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, 9, 9]).unwrap();
        drop(f);
        let (j, recs) = Journal::open(&jd).unwrap();
        assert_eq!(recs.len(), 3);
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.len(), 2);
            assert_eq!(
                (r[0].tree, r[0].key.clone(), r[0].value.clone()),
                (Tree::Events, vec![i as u8, 1], Some(vec![i as u8; 40]))
            );
            assert_eq!((r[1].tree, r[1].value.clone()), (Tree::Deadline, None));
        }
        assert!(j.segment() > first, "writing goes on in a new segment");
        assert_eq!(Journal::remove_before(&jd, j.segment()).unwrap(), 1);
        let (_, recs) = Journal::open(&jd).unwrap();
        assert!(recs.is_empty());
    }

    /// A record written before a tree was retired replays without that tree's ops; a name no
    /// format knew is damage.
    #[test]
    fn ops_on_retired_trees_are_dropped_unknown_trees_are_damage() {
        let record = |name: &str| {
            let mut p = vec![name.len() as u8];
            p.extend_from_slice(name.as_bytes());
            p.extend_from_slice(&2u32.to_le_bytes());
            p.extend_from_slice(b"k1");
            p.push(0);
            p
        };
        let mut p = record("regencycreatedticket_trigrams");
        p.extend(record(Tree::Deadline.name()));
        let ops = parse_ops(&p).expect("a retired tree's op is skipped");
        assert_eq!(ops.len(), 1);
        assert_eq!((ops[0].tree, ops[0].key.clone()), (Tree::Deadline, b"k1".to_vec()));
        assert!(parse_ops(&record("no_such_tree")).is_none());
    }

    /// A damaged record in an older segment is not silently skipped.
    #[test]
    fn damage_before_the_newest_segment_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let jd = dir.path().join("journal");
        let (mut j, _) = Journal::open(&jd).unwrap();
        let o = ops(1);
        j.append(&o.iter().collect::<Vec<_>>()).unwrap();
        let old = j.segment();
        drop(j);
        let (mut j, _) = Journal::open(&jd).unwrap();
        j.append(&o.iter().collect::<Vec<_>>()).unwrap();
        drop(j);
        let path = segment_path(&jd, old);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(Journal::open(&jd), Err(StoreError::Corrupt(_))));
    }
}
