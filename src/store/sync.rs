//! What sync needs from the store: events in log order (only what is on disk), receiving events
//! from another node (checked against the origin's chain, idempotent, refolding the cases they
//! touch), and the per-child feeds a parent keeps of the events each child must see.

use super::codec::{decode, encode, key};
use super::{seq_key, FastMap, FastSet, Head, Kv, Op, Segment, Store, StoreError, Tree, Txn};
use crate::model::event::hash_bytes;
use crate::model::{Case, Event, EventId, Millis, NodeCode, Ticket};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Which children follow which nodes. `children` are this node's enrolled children; `route`
/// maps a node further down (a grandchild) to the child whose subtree it is in; `parent` maps
/// it to its own parent, as the children report their subtrees at `hello`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    pub children: HashSet<NodeCode>,
    pub route: HashMap<NodeCode, NodeCode>,
    pub parent: HashMap<NodeCode, NodeCode>,
}

impl Routing {
    /// The child whose subtree holds `node`, if any.
    pub fn child_for(&self, node: &NodeCode) -> Option<&NodeCode> {
        if let Some(c) = self.children.get(node) {
            return Some(c);
        }
        self.route.get(node).filter(|c| self.children.contains(*c))
    }

    /// Whether `a` is above `b` within this node's subtree, as far as this node knows: on `b`'s
    /// reported parent chain (a node whose parent was not reported: the child it is routed
    /// through stands in).
    pub fn above(&self, a: &NodeCode, b: &NodeCode) -> bool {
        let mut cur = b;
        for _ in 0..64 {
            if self.children.contains(cur) {
                return false;
            }
            match self.parent.get(cur).or_else(|| self.route.get(cur)) {
                Some(p) if p == a => return true,
                Some(p) => cur = p,
                None => return false,
            }
        }
        false
    }

    /// This node's subtree below it, each node with its parent, as `hello` reports it upward.
    pub fn subtree(&self, me: &NodeCode) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self.children.iter().map(|c| (c.to_string(), me.to_string())).collect();
        for (n, c) in &self.route {
            if self.children.contains(c) && !self.children.contains(n) {
                let p = self.parent.get(n).unwrap_or(c);
                out.insert(n.to_string(), p.to_string());
            }
        }
        out
    }
}

/// What receiving one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// events new to this node
    pub new: u64,
    /// events it already held (replays)
    pub replayed: u64,
    /// cases whose projection changed
    pub cases: Vec<Ticket>,
}

/// Why a batch from another node was refused. Nothing of a refused batch is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncRefusal {
    #[error("gap in {origin}'s log: expected seq {expected}, got {got}")]
    Gap { origin: String, expected: u64, got: u64 },
    #[error("{origin} seq {seq} does not chain to the event before it: the log was altered")]
    BrokenChain { origin: String, seq: u64 },
    #[error("{origin} seq {seq} differs from the copy this node already holds (a forked log)")]
    Fork { origin: String, seq: u64 },
    #[error("event {0} cannot be read: {1}")]
    Undecodable(String, String),
    #[error("{0}")]
    NotAllowed(String),
}

/// A received event made ready outside the write lock (see `prepare`): its bytes as written,
/// decoded, hashed, and packed as the store keeps it. `Txn::receive` only checks and places it.
pub struct Incoming {
    raw: Vec<u8>,
    ev: Event,
    hash: [u8; 32],
    stored: Vec<u8>,
}

impl Incoming {
    pub fn event(&self) -> &Event {
        &self.ev
    }
}

/// Decodes, hashes and packs a received batch: the CPU work of a receive, done before the
/// write lock is taken, so that the batches in flight are made ready side by side while one is
/// written. An event that cannot be read refuses the whole batch.
pub fn prepare(batch: Vec<Vec<u8>>) -> Result<Vec<Incoming>, SyncRefusal> {
    batch
        .into_iter()
        .map(|raw| {
            let ev: Event = decode("event", &raw).map_err(|e| SyncRefusal::Undecodable("?".into(), e.to_string()))?;
            Ok(Incoming { hash: hash_bytes(&raw), stored: super::codec::pack_event(&raw), ev, raw })
        })
        .collect()
}

/// What to do with one received event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    Take,
    /// this node writes it or gets it from below: ignore
    Skip,
    Refuse(String),
}

/// One entry of a child's feed: its position and the event's stored bytes.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub pos: u64,
    pub bytes: Vec<u8>,
}

fn feed_key(child: &NodeCode, pos: u64) -> Vec<u8> {
    key(&[child.as_str().as_bytes(), &pos.to_be_bytes()])
}

fn parse_seq(k: &[u8], prefix_len: usize) -> Result<u64, StoreError> {
    Ok(u64::from_be_bytes(k[prefix_len..].try_into().map_err(|_| StoreError::Corrupt("event key".into()))?))
}

impl Store {
    /// The head of an origin as the next writer sees it (staged included).
    pub fn staged_head(&self, origin: &NodeCode) -> Option<Head> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).heads.get(origin).cloned()
    }

    /// Every origin's head as the next writer sees it.
    pub fn staged_heads(&self) -> HashMap<NodeCode, Head> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).heads.clone()
    }

    /// `durable` for callers outside the async runtime's request path (admin commands).
    pub fn durable_blocking(&self, d: super::Durable) -> Result<(), StoreError> {
        self.commit.wait_blocking(d).map_err(StoreError::Flush)
    }

    /// This node's routing (which children follow which nodes' cases).
    pub fn routing(&self) -> Routing {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).routing.clone()
    }

    pub fn set_routing(&self, r: Routing) {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).routing = r;
    }

    /// The head of each origin as of the last flush (what may be sent to another node).
    pub fn flushed_heads(&self) -> HashMap<NodeCode, Head> {
        self.commit.flushed_heads()
    }

    /// Up to `limit` events of `origin` after seq `after`, in seq order, as stored, and only
    /// what is on disk.
    pub fn events_after(&self, origin: &NodeCode, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let Some(head) = self.flushed_heads().get(origin).map(|h| h.seq) else {
            return Ok(Vec::new());
        };
        if after >= head {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(limit.min(4096));
        for (seq, v) in self.t.events.range(origin.as_str().as_bytes(), after + 1, head, limit)? {
            out.push((seq, super::codec::event_raw(&v)?.into_owned()));
        }
        Ok(out)
    }

    /// The bytes of one event as written (what its successor's `prev_hash` covers).
    pub fn event_bytes(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        match self.t.events.get(&seq_key(&id.origin, id.seq))? {
            Some(v) => Ok(Some(super::codec::event_raw(&v)?.into_owned())),
            None => Ok(None),
        }
    }

    /// The last position of `child`'s feed (0: empty).
    pub fn feed_head(&self, child: &NodeCode) -> Result<u64, StoreError> {
        match self.t[Tree::Counters].get(feed_counter(child))? {
            Some(v) => decode("counter", &v),
            None => Ok(0),
        }
    }

    /// Up to `limit` entries of `child`'s feed after position `after`.
    pub fn feed_after(&self, child: &NodeCode, after: u64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
        let tree = &self.t[Tree::Kv(Kv::SyncFeed)];
        let end = feed_key(child, u64::MAX);
        let prefix_len = child.as_str().len() + 1;
        let mut out = Vec::new();
        for kv in tree.range(feed_key(child, after + 1)..=end).take(limit) {
            let (k, v) = kv?;
            let id: EventId = decode("feed entry", &v)?;
            if let Some(bytes) = self.event_bytes(&id)? {
                out.push(FeedEntry { pos: parse_seq(&k, prefix_len)?, bytes });
            }
        }
        Ok(out)
    }

    /// Gives this node's own log a new epoch (after a restore): the log continues at a seq
    /// higher than any the old copy could have used, chained to the last event it holds, so the
    /// parent takes a full resend and no seq is ever reused.
    pub fn begin_new_epoch(&self, now: Millis) -> Result<Head, StoreError> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let node = self.node.clone();
        let mut head = w.heads.get(&node).cloned().unwrap_or(Head::empty());
        head.begin_epoch(now, rand::random);
        // through the journal, after anything staged before it (a replay must not undo it)
        w.pending.push(super::Op::put(Tree::Heads, node.as_str().as_bytes().to_vec(), encode(&head)));
        let d = self.commit.written();
        w.heads.insert(node, head.clone());
        drop(w);
        self.commit.wait_blocking(d).map_err(StoreError::Flush)?;
        Ok(head)
    }
}

fn feed_counter(child: &NodeCode) -> Vec<u8> {
    format!("feed:{child}").into_bytes()
}

impl Txn<'_> {
    fn head_ref(&self, origin: &NodeCode) -> Option<&Head> {
        self.heads.get(origin).or_else(|| self.w.heads.get(origin))
    }

    /// Whether the event is already held (committed, staged or in this write), and its bytes if
    /// they can be compared.
    fn held(&self, ev: &Event, in_batch: &FastSet<EventId>) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        if in_batch.contains(&ev.id) {
            return Ok(Some(None));
        }
        if let Some(evs) = self.w.staged_events.get(&ev.case) {
            if evs.iter().any(|(_, e)| e.id == ev.id) {
                return Ok(Some(None));
            }
        }
        Ok(self.store.event_bytes(&ev.id)?.map(Some))
    }

    /// Every event of a case this write can see (committed, staged, this write's), deduplicated.
    pub fn all_case_events(&self, t: &Ticket) -> Result<Vec<Event>, StoreError> {
        let mut out = self.store.case_events(t)?;
        let mut seen: HashSet<EventId> = out.iter().map(|e| e.id.clone()).collect();
        let staged = self.w.staged_events.get(t).into_iter().flatten().map(|(_, e)| e);
        for e in staged.chain(self.events.iter().filter(|e| &e.case == t)) {
            if seen.insert(e.id.clone()) {
                out.push(e.clone());
            }
        }
        Ok(out)
    }

    /// Receives events from another node, all or nothing. `contiguous` origins (a child's
    /// subtree, sent upward) must continue their chain exactly, or start a declared epoch
    /// segment; other events (sent down from the parent) are kept as they come. Replays are
    /// no-ops; a held event with other bytes is a fork and refuses the batch. `policy` decides
    /// per event, given the case as this node holds it with the batch's earlier events applied
    /// (`None`: its report is not here): the write rule, a child may not write takeovers, events
    /// this node writes itself are ignored when they come back from above. The cases touched
    /// are refolded.
    pub fn receive(
        &mut self,
        batch: Vec<Incoming>,
        contiguous: bool,
        segments: &[Segment],
        policy: &dyn Fn(&Event, Option<&Case>) -> Take,
    ) -> Result<Result<Applied, SyncRefusal>, StoreError> {
        let mut applied = Applied::default();
        let mut touched: BTreeSet<Ticket> = BTreeSet::new();
        let mut in_batch: FastSet<EventId> = FastSet::with_capacity_and_hasher(batch.len(), Default::default());
        // each touched case as the write rule sees it: held here, plus this batch so far
        let mut views: FastMap<Ticket, Option<Case>> = FastMap::default();
        // whether a view is the case's true fold: every new event of it came after what it held,
        // in HLC order (else the case is folded again from all its events at the end)
        let mut ordered: FastMap<Ticket, (bool, Option<crate::model::Hlc>)> = FastMap::default();
        for Incoming { raw, ev, hash, stored } in batch {
            if !views.contains_key(&ev.case) {
                let c = self.case(&ev.case)?;
                ordered.insert(ev.case.clone(), (true, c.as_ref().map(|c| c.last_hlc)));
                views.insert(ev.case.clone(), c);
            }
            match policy(&ev, views[&ev.case].as_ref()) {
                Take::Take => {}
                Take::Skip => continue,
                Take::Refuse(why) => return Ok(Err(SyncRefusal::NotAllowed(why))),
            }
            // the next event of a contiguous log cannot be held yet: skip the lookups
            let next_in_log = contiguous && self.head_ref(&ev.id.origin).is_none_or(|h| ev.id.seq > h.seq);
            let held = if next_in_log { None } else { self.held(&ev, &in_batch)? };
            match held {
                Some(Some(bytes)) if bytes != raw => {
                    return Ok(Err(SyncRefusal::Fork { origin: ev.id.origin.to_string(), seq: ev.id.seq }))
                }
                Some(_) => {
                    applied.replayed += 1;
                    continue;
                }
                None => {}
            }
            if contiguous {
                let origin = &ev.id.origin;
                let (head_seq, chains) = match self.head_ref(origin) {
                    Some(h) => (h.seq, hex_is(&h.hash, &ev.prev_hash)),
                    None => (0, ev.prev_hash == [0u8; 32]),
                };
                let mut segment = None;
                if ev.id.seq == head_seq + 1 {
                    if !chains {
                        return Ok(Err(SyncRefusal::BrokenChain { origin: origin.to_string(), seq: ev.id.seq }));
                    }
                } else if let Some(seg) = segments.iter().find(|s| s.first == ev.id.seq && s.first > head_seq) {
                    // a new epoch of a restored log: it must chain to an event held here
                    let anchor = if seg.prev == 0 {
                        Some([0u8; 32])
                    } else {
                        self.store
                            .event_bytes(&EventId { origin: origin.clone(), seq: seg.prev })?
                            .map(|b| hash_bytes(&b))
                    };
                    match anchor {
                        Some(h) if h == ev.prev_hash => {}
                        Some(_) => {
                            return Ok(Err(SyncRefusal::BrokenChain { origin: origin.to_string(), seq: ev.id.seq }))
                        }
                        None => {
                            return Ok(Err(SyncRefusal::Gap {
                                origin: origin.to_string(),
                                expected: head_seq + 1,
                                got: ev.id.seq,
                            }))
                        }
                    }
                    segment = Some(seg);
                } else {
                    return Ok(Err(SyncRefusal::Gap {
                        origin: origin.to_string(),
                        expected: head_seq + 1,
                        got: ev.id.seq,
                    }));
                }
                let next = self.head_mut(origin);
                if let Some(seg) = segment {
                    next.epoch = seg.epoch;
                    if !next.segments.contains(seg) {
                        next.segments.push(seg.clone());
                    }
                }
                next.seq = ev.id.seq;
                next.hash.clear();
                next.hash.push_str(&hex_of(&hash));
            }
            self.w.clock.observe(ev.hlc);
            let k = seq_key(&ev.id.origin, ev.id.seq);
            self.ops.push(Op::put(Tree::CaseEvents, key(&[ev.case.as_str().as_bytes(), &k]), Vec::new()));
            self.ops.push(Op::put(Tree::Events, k, stored));
            in_batch.insert(ev.id.clone());
            let view = views.get_mut(&ev.case).expect("looked up above");
            match view {
                Some(c) => c.apply(&ev),
                None => *view = Case::open(&ev),
            }
            let order = ordered.get_mut(&ev.case).expect("looked up above");
            order.0 &= view.is_some() && order.1.is_none_or(|last| ev.hlc > last);
            order.1 = Some(ev.hlc);
            touched.insert(ev.case.clone());
            self.events.push(ev);
            applied.new += 1;
        }
        for ticket in touched {
            let case = match ordered[&ticket] {
                // the common case: the new events are the newest, in order: the view is the fold
                (true, _) => views.remove(&ticket).flatten(),
                _ => Case::fold(&self.all_case_events(&ticket)?),
            };
            // events of a case whose report has not arrived yet wait in the log for it
            if let Some(c) = case {
                self.put_case(c)?;
                applied.cases.push(ticket);
            }
        }
        Ok(Ok(applied))
    }

    /// Adds the events of this write to the feeds of the children that follow their cases:
    /// every child whose subtree holds or held the case gets the events written outside that
    /// subtree, and a child that just started to follow a case gets its whole history.
    pub(crate) fn feed_children(&mut self) -> Result<(), StoreError> {
        if self.w.routing.children.is_empty() || self.events.is_empty() {
            return Ok(());
        }
        let routing = self.w.routing.clone();
        let mut entries: Vec<(NodeCode, EventId)> = Vec::new();
        let mut by_case: HashMap<&Ticket, Vec<&Event>> = HashMap::new();
        for e in &self.events {
            by_case.entry(&e.case).or_default().push(e);
        }
        let tickets: Vec<Ticket> = self.cases.keys().cloned().collect();
        for t in tickets {
            let (before, after) = &self.cases[&t];
            let followers = |c: &Case| -> HashSet<NodeCode> {
                c.holders.iter().filter_map(|h| routing.child_for(h).cloned()).collect()
            };
            let was: HashSet<NodeCode> = before.as_ref().map(followers).unwrap_or_default();
            let now = followers(after);
            if now.is_empty() {
                continue;
            }
            let new_here: Vec<&Event> = by_case.get(&t).cloned().unwrap_or_default();
            let history = if now.iter().any(|c| !was.contains(c)) && before.is_some() {
                // in fold order: each event after those that allowed it (the report, the
                // dispatch that made its writer a holder), as the child's write rule needs
                let mut all = self.all_case_events(&t)?;
                all.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
                all
            } else {
                Vec::new()
            };
            for child in &now {
                let outside = |e: &Event| routing.child_for(&e.id.origin) != Some(child);
                let all: Vec<&Event> =
                    if !was.contains(child) && before.is_some() { history.iter().collect() } else { new_here.clone() };
                entries.extend(all.into_iter().filter(|e| outside(e)).map(|e| (child.clone(), e.id.clone())));
            }
        }
        for (child, id) in entries {
            let pos = self.next_counter(&format!("feed:{child}"))?;
            self.kv.insert((Kv::SyncFeed, feed_key(&child, pos)), Some(encode(&id)));
        }
        Ok(())
    }
}

/// A hash as 64 lower-case hex digits, on the stack.
pub(super) fn hex_of(h: &[u8; 32]) -> HexHash {
    let mut out = [0u8; 64];
    hex::encode_to_slice(h, &mut out).expect("64 digits for 32 bytes");
    HexHash(out)
}

pub(super) struct HexHash([u8; 64]);

impl std::ops::Deref for HexHash {
    type Target = str;
    fn deref(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

/// Whether `hex` (a head's hash) spells `h`.
fn hex_is(hex: &str, h: &[u8; 32]) -> bool {
    *hex_of(h) == *hex
}
