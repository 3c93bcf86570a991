//! Time as plain numbers: unix milliseconds, hybrid logical clock timestamps, WIB formatting.
//! The clock is passed in; nothing here reads the system time.

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

/// Unix time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Millis(pub u64);

impl Millis {
    pub fn plus(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
    fn to_datetime(self, offset: UtcOffset) -> OffsetDateTime {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(offset)
    }
    /// RFC 3339 in the given offset, e.g. `2026-11-28T22:04:05+07:00`.
    pub fn rfc3339(self, offset: UtcOffset) -> String {
        let fmt = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
        );
        self.to_datetime(offset).format(&fmt).unwrap_or_default()
    }
    /// The local calendar date as `YYMMDD`, used in ticket numbers.
    pub fn yymmdd(self, offset: UtcOffset) -> String {
        let d = self.to_datetime(offset);
        format!("{:02}{:02}{:02}", d.year() % 100, u8::from(d.month()), d.day())
    }
}

/// Western Indonesia Time (WIB, Asia/Jakarta): UTC+7, no daylight saving since 1964.
pub const WIB: UtcOffset = time::macros::offset!(+7);

/// The fixed offset of an Indonesian time zone name. The SOP names its zone; Indonesia has no
/// daylight saving, so a fixed offset is exact.
pub fn zone_offset(name: &str) -> Option<UtcOffset> {
    match name {
        "Asia/Jakarta" | "Asia/Pontianak" | "WIB" => Some(WIB),
        "Asia/Makassar" | "WITA" => Some(time::macros::offset!(+8)),
        "Asia/Jayapura" | "WIT" => Some(time::macros::offset!(+9)),
        "UTC" => Some(UtcOffset::UTC),
        _ => None,
    }
}

/// A hybrid logical clock timestamp: 48 bits of unix milliseconds, 16 bits of logical counter.
/// Ordered like the events it stamps: causally later events get larger timestamps even when the
/// wall clocks of two nodes disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Hlc(pub u64);

impl Hlc {
    pub fn new(ms: u64, logical: u16) -> Self {
        Hlc((ms << 16) | u64::from(logical))
    }
    pub fn millis(self) -> Millis {
        Millis(self.0 >> 16)
    }
    pub fn logical(self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

/// The state of a node's hybrid logical clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    pub fn starting_after(last: Hlc) -> Self {
        Self { last }
    }
    /// A timestamp for a local event at wall time `now`.
    pub fn tick(&mut self, now: Millis) -> Hlc {
        let next = if now.0 > self.last.millis().0 {
            Hlc::new(now.0, 0)
        } else if self.last.logical() < u16::MAX {
            Hlc(self.last.0 + 1)
        } else {
            Hlc::new(self.last.millis().0 + 1, 0)
        };
        self.last = next;
        next
    }
    /// Take a timestamp seen on a remote event into account.
    pub fn observe(&mut self, remote: Hlc) {
        if remote > self.last {
            self.last = remote;
        }
    }
    pub fn last(&self) -> Hlc {
        self.last
    }
}

/// A duration in the SOP's notation: `90s`, `5m`, `2h`, `3d`. Returns milliseconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: u64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let mult = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    if n == 0 {
        return None;
    }
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (s, want) in [
            ("90s", Some(90_000)),
            ("5m", Some(300_000)),
            ("2h", Some(7_200_000)),
            ("3d", Some(259_200_000)),
            ("0m", None),
            ("5", None),
            ("m", None),
            ("5w", None),
            ("-5m", None),
        ] {
            assert_eq!(parse_duration(s), want, "{s}");
        }
    }

    #[test]
    fn wib_dates_roll_over_at_local_midnight() {
        // 2026-11-28T16:59:59Z is 23:59:59 WIB; one second later it is the 29th in Jakarta.
        let before = Millis(1_764_349_199_000);
        assert_eq!(before.yymmdd(WIB), "251128");
        assert_eq!(before.plus(1000).yymmdd(WIB), "251129");
        assert_eq!(before.rfc3339(WIB), "2025-11-28T23:59:59+07:00");
    }

    #[test]
    fn hlc_is_monotonic_and_follows_remote_clocks() {
        let mut c = HlcClock::default();
        let a = c.tick(Millis(1000));
        let b = c.tick(Millis(1000));
        let d = c.tick(Millis(999)); // wall clock stepped back
        assert!(a < b && b < d);
        c.observe(Hlc::new(5000, 3));
        let e = c.tick(Millis(1001));
        assert_eq!(e, Hlc::new(5000, 4));
        assert_eq!(c.tick(Millis(6000)), Hlc::new(6000, 0));
    }
}
