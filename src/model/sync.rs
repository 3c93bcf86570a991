//! Where a log stands and what to send of it (DESIGN §5): an origin's `Head` with its epochs,
//! and the upward sync plan, a pure function of this node's heads and what the parent holds.
//! The sync worker (`sync::client`) does the I/O around it.

use super::{Millis, NodeCode};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The head of one origin's log: the last seq, the hash of its stored bytes, and the epoch (a
/// new epoch means the log was restored or reset, DESIGN §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    pub epoch: u64,
    /// where each epoch after the first began (a restored log continues from its copy's last
    /// event at a fresh, higher seq, so it never reuses a seq the lost copy had sent up)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
}

/// The start of an epoch: its first seq, and the seq of the event its first event chains to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub epoch: u64,
    pub first: u64,
    pub prev: u64,
}

impl Head {
    /// The head of a log with no event yet.
    pub fn empty() -> Head {
        Head { seq: 0, hash: hex::encode([0u8; 32]), epoch: 0, segments: Vec::new() }
    }

    /// Starts a new epoch of this log (after a restore): it goes on at a seq higher than any
    /// the old copy could have used (a million events a second could not reach it), chained to
    /// the last event this copy holds. `fresh` draws epoch numbers (random, in the store) until
    /// one differs from the current epoch.
    pub fn begin_epoch(&mut self, now: Millis, mut fresh: impl FnMut() -> u64) {
        let first = now.0.saturating_mul(1024).max(self.next_seq());
        let mut epoch = fresh();
        while epoch == self.epoch {
            epoch = fresh();
        }
        self.segments.push(Segment { epoch, first, prev: self.seq });
        self.epoch = epoch;
    }

    /// The seq the next event of this log gets: the start of a new epoch not yet begun, else
    /// the next one.
    pub fn next_seq(&self) -> u64 {
        match self.segments.last() {
            Some(s) if s.first > self.seq => s.first,
            _ => self.seq + 1,
        }
    }

    /// How many events of this log come after seq `after`: seqs are dense within an epoch and
    /// jump between epochs, so the gaps between segments hold none.
    pub fn waiting_after(&self, after: u64) -> u64 {
        let mut ranges = Vec::new();
        let mut start = 1;
        for s in &self.segments {
            ranges.push((start, s.prev));
            start = s.first;
        }
        ranges.push((start, self.seq));
        ranges.iter().map(|&(a, b)| if b < a { 0 } else { b.saturating_sub(after.max(a - 1)) }).sum()
    }
}

/// How far the parent holds each of this node's logs, in this node's epoch of it: the seq it
/// acknowledged, or 0 (send the whole log).
pub type Held = BTreeMap<NodeCode, u64>;

/// What the parent holds, read from its vector (`theirs`, its heads by origin): its seq where
/// its epoch is this node's; 0 for a log it holds in another epoch (this one was restored: the
/// whole log goes again, replays are no-ops) or does not know.
pub fn held_by_parent(mine: &HashMap<NodeCode, Head>, theirs: &BTreeMap<String, Head>) -> Held {
    mine.iter()
        .map(|(origin, head)| {
            let seq = match theirs.get(origin.as_str()) {
                Some(h) if h.epoch == head.epoch => h.seq.min(head.seq),
                _ => 0,
            };
            (origin.clone(), seq)
        })
        .collect()
}

/// One origin's events to send: those after `after` up to `until` (its head), `events` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub origin: NodeCode,
    pub after: u64,
    pub until: u64,
    pub events: u64,
}

/// The uploads that bring the parent up to `mine`: every origin it does not hold to its head,
/// the nodes below first and this node's own log (`me`) last, each group by code. An event may
/// rest on events of the nodes below (a note on a case reported there), and the parent takes
/// an event only after what allows it (the write rule).
pub fn plan(me: &NodeCode, mine: &HashMap<NodeCode, Head>, held: &Held) -> Vec<Upload> {
    let mut out: Vec<Upload> = mine
        .iter()
        .filter_map(|(origin, head)| {
            let after = held.get(origin).copied().unwrap_or(0);
            (after < head.seq).then(|| Upload {
                origin: origin.clone(),
                after,
                until: head.seq,
                events: head.waiting_after(after),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.origin == me, a.origin.as_str()).cmp(&(&b.origin == me, b.origin.as_str())));
    out
}

/// Events of all logs the parent does not hold yet.
pub fn backlog(mine: &HashMap<NodeCode, Head>, held: &Held) -> u64 {
    mine.iter().map(|(o, h)| h.waiting_after(held.get(o).copied().unwrap_or(0))).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    /// A head at `seq` in `epoch`, with segments `(epoch, first, prev)`.
    fn head(seq: u64, epoch: u64, segments: &[(u64, u64, u64)]) -> Head {
        Head {
            seq,
            epoch,
            segments: segments.iter().map(|&(epoch, first, prev)| Segment { epoch, first, prev }).collect(),
            ..Head::empty()
        }
    }

    fn heads(list: &[(&str, Head)]) -> HashMap<NodeCode, Head> {
        list.iter().map(|(c, h)| (code(c), h.clone())).collect()
    }

    /// Plans for node `me` against the parent's vector `theirs`; returns `(origin, after, events)`.
    fn check(me: &str, mine: &[(&str, Head)], theirs: &[(&str, Head)], expect: &[(&str, u64, u64)]) {
        let mine = heads(mine);
        let theirs: BTreeMap<String, Head> = theirs.iter().map(|(c, h)| (c.to_string(), h.clone())).collect();
        let held = held_by_parent(&mine, &theirs);
        let got: Vec<(String, u64, u64)> =
            plan(&code(me), &mine, &held).into_iter().map(|u| (u.origin.to_string(), u.after, u.events)).collect();
        let want: Vec<(String, u64, u64)> = expect.iter().map(|&(o, a, n)| (o.to_owned(), a, n)).collect();
        assert_eq!(got, want);
        let total: u64 = want.iter().map(|w| w.2).sum();
        assert_eq!(backlog(&mine, &held), total, "the backlog is what the plan sends");
    }

    #[test]
    fn the_plan_sends_what_the_parent_lacks() {
        let e = 7;
        // nothing to send: the parent holds every log to its head
        check("PSTA", &[("PSTA", head(10, e, &[]))], &[("PSTA", head(10, e, &[]))], &[]);
        check("PSTA", &[], &[], &[]);
        // an empty log is never sent, even to a parent that does not know it
        check("PSTA", &[("PSTA", head(0, e, &[]))], &[], &[]);
        // same epoch: from where the parent stands
        check("PSTA", &[("PSTA", head(10, e, &[]))], &[("PSTA", head(4, e, &[]))], &[("PSTA", 4, 6)]);
        // the parent claims more than this node holds (it cannot): nothing to send, none waits
        check("PSTA", &[("PSTA", head(10, e, &[]))], &[("PSTA", head(12, e, &[]))], &[]);
        // new epoch (this node was restored): the whole log again
        check("PSTA", &[("PSTA", head(10, 9, &[]))], &[("PSTA", head(10, e, &[]))], &[("PSTA", 0, 10)]);
        // unknown origin (the parent never saw it): the whole log
        check("PSTA", &[("PSTA", head(3, e, &[]))], &[("PSTB", head(3, e, &[]))], &[("PSTA", 0, 3)]);
        // gaps: a log restored twice; seqs jump at each epoch, and the gaps hold no event
        let gapped = head(2_000_003, 9, &[(8, 1_000_000, 5), (9, 2_000_000, 1_000_001)]);
        check("PSTA", &[("PSTA", gapped.clone())], &[("PSTA", head(3, 1, &[]))], &[("PSTA", 0, 5 + 2 + 4)]);
        check("PSTA", &[("PSTA", gapped.clone())], &[("PSTA", head(2_000_001, 9, &[]))], &[("PSTA", 2_000_001, 2)]);
        check("PSTA", &[("PSTA", gapped)], &[("PSTA", head(1_000_001, 9, &[]))], &[("PSTA", 1_000_001, 4)]);
        // a new epoch begun but no event in it yet: the events of the old epochs still count
        check("PSTA", &[("PSTA", head(5, 8, &[(8, 1_000_000, 5)]))], &[], &[("PSTA", 0, 5)]);
        // the nodes below first (by code), this node's own log last
        check(
            "PSTM",
            &[
                ("PSTM", head(2, e, &[])),
                ("PSTZ", head(1, e, &[])),
                ("PSTB", head(4, e, &[])),
                ("PSTC", head(2, e, &[])),
            ],
            &[("PSTC", head(2, e, &[])), ("PSTB", head(1, e, &[]))],
            &[("PSTB", 1, 3), ("PSTZ", 0, 1), ("PSTM", 0, 2)],
        );
    }

    #[test]
    fn a_new_epoch_starts_above_every_seq_and_never_repeats_the_epoch() {
        let mut h = head(41, 5, &[]);
        let mut draws = vec![5, 6].into_iter();
        // the first draw equals the current epoch and is drawn again
        h.begin_epoch(Millis(1_000), || draws.next().unwrap());
        assert_eq!((h.epoch, h.seq, h.next_seq()), (6, 41, 1_024_000));
        assert_eq!(h.segments, vec![Segment { epoch: 6, first: 1_024_000, prev: 41 }]);
        // a clock behind the log still moves forward
        let mut h = head(5_000_000, 5, &[]);
        h.begin_epoch(Millis(1), || 8);
        assert_eq!(h.next_seq(), 5_000_001);
        assert_eq!(Head::empty().next_seq(), 1);
    }
}
