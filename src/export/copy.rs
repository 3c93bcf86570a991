//! The rows of a batch in PostgreSQL's binary `COPY` format (`COPY ... FROM STDIN (FORMAT
//! binary)`): built by the reader, off the async threads and while the previous batch is being
//! written, so the writer only sends bytes. The format: a header, then per row the field count
//! (i16) and each field as its length (i32; -1 for NULL) and its value in the type's binary
//! send format; a trailer (-1).
//!
//! Times go as `timestamptz` (microseconds since 2000-01-01 UTC), days as `date` (days since
//! 2000-01-01), JSON as `jsonb` (version byte 1, then the text).

use crate::model::export::{CaseRow, EventRow, StepRow};

const MAGIC: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// 2000-01-01 00:00 UTC in unix milliseconds: PostgreSQL's epoch.
const PG_EPOCH_MS: i64 = 946_684_800_000;
const DAY_MS: i64 = 86_400_000;
/// WIB is UTC+7, all year.
const WIB_MS: i64 = 7 * 3_600_000;
const OID_TEXT: u32 = 25;
const OID_INT8: u32 = 20;

/// One COPY payload being built.
pub struct Copy {
    buf: Vec<u8>,
    rows: u64,
}

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Copy {
    pub fn new() -> Copy {
        Copy::with_capacity(1 << 16)
    }

    /// A payload with room for `bytes` (a batch's size is known before it is encoded: growing
    /// a buffer of megabytes by doubling copied it and churned the allocator).
    pub fn with_capacity(bytes: usize) -> Copy {
        let mut buf = Vec::with_capacity(bytes.max(64));
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        buf.extend_from_slice(&0i32.to_be_bytes()); // header extension
        Copy { buf, rows: 0 }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn row(&mut self, fields: i16) {
        self.rows += 1;
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn text(&mut self, s: &str) {
        self.field(s.as_bytes());
    }

    fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    fn i64(&mut self, v: i64) {
        self.field(&v.to_be_bytes());
    }

    fn opt_i64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.i64(ms(v)),
            None => self.null(),
        }
    }

    fn i32(&mut self, v: u32) {
        self.field(&i32::try_from(v).unwrap_or(i32::MAX).to_be_bytes());
    }

    fn bool(&mut self, v: bool) {
        self.field(&[u8::from(v)]);
    }

    /// Unix milliseconds as `timestamptz`.
    fn ts(&mut self, v: u64) {
        self.i64((ms(v) - PG_EPOCH_MS).saturating_mul(1000));
    }

    fn opt_ts(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.ts(v),
            None => self.null(),
        }
    }

    /// The WIB day of unix milliseconds as `date`.
    fn wib_day(&mut self, v: u64) {
        let days = (ms(v) + WIB_MS - PG_EPOCH_MS).div_euclid(DAY_MS);
        self.field(&(days as i32).to_be_bytes());
    }

    /// JSON text as `jsonb` (version 1, then the text).
    fn jsonb(&mut self, json: &str) {
        self.buf.extend_from_slice(&(json.len() as i32 + 1).to_be_bytes());
        self.buf.push(1);
        self.buf.extend_from_slice(json.as_bytes());
    }

    /// A one-dimensional array without NULLs: `items` are the elements' binary values.
    fn array<'a>(&mut self, oid: u32, items: impl ExactSizeIterator<Item = Vec<u8>> + 'a) {
        let n = items.len();
        let mut a = Vec::with_capacity(20 + n * 12);
        a.extend_from_slice(&i32::from(n > 0).to_be_bytes()); // dimensions
        a.extend_from_slice(&0i32.to_be_bytes()); // no NULLs
        a.extend_from_slice(&oid.to_be_bytes());
        if n > 0 {
            a.extend_from_slice(&(n as i32).to_be_bytes());
            a.extend_from_slice(&1i32.to_be_bytes()); // lower bound
        }
        for v in items {
            a.extend_from_slice(&(v.len() as i32).to_be_bytes());
            a.extend_from_slice(&v);
        }
        self.field(&a);
    }

    /// The payload, with its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

impl Default for Copy {
    fn default() -> Self {
        Copy::new()
    }
}

/// The columns `event` writes, in order.
pub const EVENT_COLUMNS: &str = "event_id, exporter, origin, seq, epoch, hlc, at_ms, at, ticket, kind, actor_kind, \
     actor_role, actor_unit, sop_version, drill, fields";

pub fn event(c: &mut Copy, exporter: &str, e: &EventRow) {
    c.row(16);
    c.text(&e.event_id);
    c.text(exporter);
    c.text(&e.origin);
    c.i64(ms(e.seq));
    // epochs are random u64: kept bit for bit
    c.i64(e.epoch as i64);
    c.i64(ms(e.hlc));
    c.i64(ms(e.at_ms));
    c.ts(e.at_ms);
    c.text(&e.ticket);
    c.text(e.kind);
    c.text(e.actor_kind);
    c.opt_text(e.actor_role.as_deref());
    c.opt_text(e.actor_unit.as_deref());
    c.text(&e.sop_version);
    c.bool(e.drill);
    c.jsonb(&e.fields);
}

/// The columns `case` writes, in order (every column of `banpol.cases` but `exported_at`).
pub const CASE_COLUMNS: &str = "ticket, exporter, origin, owner, category, priority, status, channel, unit, regency, \
     regency_code, district_code, village_code, sop_version, created_ms, created_at, created_day, updated_at, \
     verified_at, rejected_at, dispatched_at, acknowledged_at, in_progress_at, resolved_at, closed_at, \
     reject_reason, duplicate, emergency_unverified, escalations, conflicts, reopened, prank_score, \
     reporter_phone_key, reporter_name_key, reporter_phone, reporter_name, description, address, drill, \
     verified_ms, state_trail, state_trail_ms, escalations_ms";

pub fn case(c: &mut Copy, exporter: &str, r: &CaseRow) {
    c.row(43);
    c.text(&r.ticket);
    c.text(exporter);
    c.text(&r.origin);
    c.text(&r.owner);
    c.text(r.category);
    c.text(r.priority);
    c.text(r.status);
    c.text(r.channel);
    c.opt_text(r.unit.as_deref());
    c.text(&r.regency);
    c.opt_text(r.regency_code.as_deref());
    c.opt_text(r.district_code.as_deref());
    c.opt_text(r.village_code.as_deref());
    c.text(&r.sop_version);
    c.i64(ms(r.created_ms));
    c.ts(r.created_ms);
    c.wib_day(r.created_ms);
    c.ts(r.updated_ms);
    // State::ALL order: verified, rejected, dispatched, acknowledged, in_progress, resolved, closed
    for at in &r.entered_ms[1..8] {
        c.opt_ts(*at);
    }
    c.opt_text(r.reject_reason.as_deref());
    c.bool(r.duplicate);
    c.bool(r.emergency_unverified);
    c.i32(r.escalations);
    c.i32(r.conflicts);
    c.i32(r.reopened);
    c.i32(r.prank_score);
    c.text(&r.reporter_phone_key);
    c.text(&r.reporter_name_key);
    for i in 0..4 {
        c.opt_text(r.personal.as_ref().map(|p| p[i].as_str()));
    }
    c.bool(r.drill);
    c.opt_i64(r.verified_ms);
    c.array(OID_TEXT, r.trail.iter().map(|(s, _)| s.as_bytes().to_vec()));
    c.array(OID_INT8, r.trail.iter().map(|(_, at)| ms(*at).to_be_bytes().to_vec()));
    c.array(OID_INT8, r.escalations_ms.iter().map(|at| ms(*at).to_be_bytes().to_vec()));
}

/// The columns `step` writes, in order.
pub const STEP_COLUMNS: &str = "ticket, step, n, entered_ms, left_ms, left_by, deadline_ms";

pub fn step(c: &mut Copy, s: &StepRow) {
    c.row(7);
    c.text(&s.ticket);
    c.text(s.step);
    c.i32(s.n);
    c.i64(ms(s.entered_ms));
    c.opt_i64(s.left_ms);
    c.text(&s.left_by);
    c.opt_i64(s.deadline_ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_in_the_binary_send_formats() {
        let mut c = Copy::new();
        c.row(3);
        c.ts(946_684_800_001); // 2000-01-01 00:00:00.001 UTC
        c.wib_day(946_684_800_000 - 7 * 3_600_000); // 2000-01-01 00:00 WIB
        c.array(OID_INT8, [5i64.to_be_bytes().to_vec()].into_iter());
        let b = c.finish();
        assert_eq!(&b[..11], MAGIC);
        let body = &b[19..];
        assert_eq!(&body[..2], &3i16.to_be_bytes());
        assert_eq!(&body[2..14], &[&8i32.to_be_bytes()[..], &1000i64.to_be_bytes()[..]].concat()[..]);
        assert_eq!(&body[14..22], &[&4i32.to_be_bytes()[..], &0i32.to_be_bytes()[..]].concat()[..]);
        // array: 1 dimension, no NULLs, int8, 1 element from 1, (8 bytes: 5)
        let arr: Vec<u8> =
            [1i32, 0, 20, 1, 1, 8].iter().flat_map(|v| v.to_be_bytes()).chain(5i64.to_be_bytes()).collect();
        assert_eq!(&body[22..26], &(arr.len() as i32).to_be_bytes());
        assert_eq!(&body[26..26 + arr.len()], &arr[..]);
        assert_eq!(&b[b.len() - 2..], &(-1i16).to_be_bytes());
    }
}
