//! Prank control (DESIGN §7): the score of a new report *with its reasons*, the reporter's record,
//! and the similarity measure for near-duplicates. Pure: the caller gathers the history.
//! The score orders and marks the queue; it never rejects by itself.

use super::event::Channel;
use super::ids::Ticket;
use super::time::Millis;
use super::workflow::State;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Weights (points) of each factor; from the SOP's `[prank.weights]`, defaults below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weights {
    /// per confirmed prank of this number in the repeat window
    pub confirmed_prank: u32,
    /// this number filed `burst_count` or more reports within `burst_window`
    pub burst: u32,
    /// the same number has an open case filed within the duplicate window
    pub duplicate_same_reporter: u32,
    /// an open case in the same regency within the duplicate window has similar text
    pub duplicate_similar_text: u32,
    /// the coordinates are outside the Polda's territory
    pub outside_territory: u32,
    /// no coordinates were given
    pub no_coordinates: u32,
    /// the description says nothing
    pub empty_description: u32,
    /// the number is on the blocklist
    pub blocked: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            confirmed_prank: 25,
            burst: 20,
            duplicate_same_reporter: 20,
            duplicate_similar_text: 15,
            outside_territory: 25,
            no_coordinates: 5,
            empty_description: 20,
            blocked: 30,
        }
    }
}

/// Prank thresholds, read from the SOP's `[prank]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct PrankPolicy {
    pub repeat_window_ms: u64,
    pub block_after: u32,
    pub block_review_by: String,
    pub duplicate_window_ms: u64,
    /// how long an automatic block lasts (`block_for`, default 30d)
    pub block_for_ms: u64,
    /// `burst_count` reports within `burst_window` (defaults 3 in 10m) is a burst
    pub burst_window_ms: u64,
    pub burst_count: u32,
    /// trigram Jaccard similarity at or above which two descriptions are near-duplicates (0.5)
    pub similarity: f64,
    /// a score at or above this marks the report as suspect in the queue (40)
    pub mark_at: u32,
    pub weights: Weights,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    ConfirmedPranks,
    Burst,
    DuplicateSameReporter,
    DuplicateSimilarText,
    OutsideTerritory,
    NoCoordinates,
    EmptyDescription,
    Blocked,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmedPranks => "confirmed_pranks",
            Self::Burst => "burst",
            Self::DuplicateSameReporter => "duplicate_same_reporter",
            Self::DuplicateSimilarText => "duplicate_similar_text",
            Self::OutsideTerritory => "outside_territory",
            Self::NoCoordinates => "no_coordinates",
            Self::EmptyDescription => "empty_description",
            Self::Blocked => "blocked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub factor: Factor,
    pub weight: u32,
    /// for a person, in Bahasa Indonesia
    pub detail: String,
}

/// The score of a report and why.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Assessment {
    pub score: u32,
    pub reasons: Vec<Reason>,
    /// open cases this report may repeat, most similar first
    pub duplicate_candidates: Vec<Ticket>,
    /// the number was on the blocklist when it reported
    pub blocked: bool,
}

impl Assessment {
    pub fn marked(&self, policy: &PrankPolicy) -> bool {
        self.score >= policy.mark_at
    }
}

/// An earlier case as the scorer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastCase {
    pub ticket: Ticket,
    pub created: Millis,
    pub state: State,
    pub reject_reason: Option<String>,
    /// when it was rejected (for the repeat window)
    pub closed_at: Millis,
    pub regency: Arc<str>,
    /// `trigrams16` of its description (shared with the store's cache of them)
    pub trigrams: Arc<[u16]>,
}

/// What the scorer needs about a new report.
pub struct Report<'a> {
    pub now: Millis,
    pub description: &'a str,
    /// `trigram_hashes(description)`: the caller keeps them for the store's cache
    pub trigrams: &'a [u32],
    pub regency: &'a str,
    pub coordinates: Option<(f64, f64)>,
    /// where it came in: staff take calls and walk-ins with an address from a person on the
    /// line, so missing coordinates say nothing about those
    pub channel: Channel,
    /// this number's earlier cases
    pub history: &'a [PastCase],
    /// other cases in the same regency filed within the duplicate window
    pub nearby: &'a [PastCase],
    pub blocked: bool,
}

/// A box around the Polda's territory: the Polres seats plus a margin (seats are approximate,
/// so this catches coordinates clearly elsewhere, e.g. Jakarta or a (0, 0) default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Territory {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl Territory {
    pub const MARGIN_DEG: f64 = 0.8;

    pub fn around(points: impl IntoIterator<Item = (f64, f64)>) -> Option<Territory> {
        let mut t: Option<Territory> = None;
        for (lat, lon) in points {
            let b = t.get_or_insert(Territory { min_lat: lat, max_lat: lat, min_lon: lon, max_lon: lon });
            b.min_lat = b.min_lat.min(lat);
            b.max_lat = b.max_lat.max(lat);
            b.min_lon = b.min_lon.min(lon);
            b.max_lon = b.max_lon.max(lon);
        }
        t.map(|b| Territory {
            min_lat: b.min_lat - Self::MARGIN_DEG,
            max_lat: b.max_lat + Self::MARGIN_DEG,
            min_lon: b.min_lon - Self::MARGIN_DEG,
            max_lon: b.max_lon + Self::MARGIN_DEG,
        })
    }

    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

/// Lower-case letters and digits, every other run of characters one space.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    let mut push = |c: char, alnum: bool| {
        if alnum {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    };
    for c in s.chars() {
        if c.is_ascii() {
            push(c.to_ascii_lowercase(), c.is_ascii_alphanumeric());
        } else {
            for l in c.to_lowercase() {
                push(l, l.is_alphanumeric());
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// The distinct character trigrams of a text (lower-cased, punctuation folded to spaces, padded
/// at both ends), each as a 32-bit FNV-1a hash, sorted. Kept with every open case so a new
/// report is compared without decoding old ones.
pub fn trigram_hashes(s: &str) -> Vec<u32> {
    trigrams_of_normalised(&normalise(s))
}

/// `trigram_hashes` as the store keeps them, two bytes each (every hash is folded to 16 bits).
pub fn trigrams16(s: &str) -> Arc<[u16]> {
    as16(&trigram_hashes(s))
}

/// `trigram_hashes` already computed, in the form `trigrams16` gives.
pub fn as16(hashes: &[u32]) -> Arc<[u16]> {
    hashes.iter().map(|h| *h as u16).collect()
}

fn trigrams_of_normalised(norm: &str) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(norm.len());
    let mut window = [' '; 3];
    for (i, c) in std::iter::once(' ').chain(norm.chars()).chain(std::iter::once(' ')).enumerate() {
        window = [window[1], window[2], c];
        if i >= 2 {
            let mut h: u32 = 0x811c_9dc5;
            for c in window {
                for b in (c as u32).to_le_bytes() {
                    h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
                }
            }
            out.push(fold16(h));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A trigram hash folded to 16 bits: the store keeps two bytes per trigram, and a text of a few
/// hundred trigrams loses almost nothing of its Jaccard similarity to the rare collision.
pub fn fold16(h: u32) -> u32 {
    (h ^ (h >> 16)) & 0xffff
}

/// Jaccard similarity of two sorted, distinct sets.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// A text's trigrams (`trigram_hashes`, 16-bit) as a bitmap, for comparing it with many others:
/// each comparison tests the other's trigrams against it, with no merge of the two lists. The
/// 8 KiB bitmap is reused by the next set made on the same thread (cleared word by word on drop),
/// so scoring a report neither allocates nor zeroes it.
struct TrigramSet<'a> {
    hashes: &'a [u32],
    bits: Box<[u64]>,
}

thread_local! {
    static SPARE_BITS: std::cell::Cell<Option<Box<[u64]>>> = const { std::cell::Cell::new(None) };
}

impl<'a> TrigramSet<'a> {
    const WORDS: usize = 1024;

    /// The bitmap word of a hash.
    fn word(h: u32) -> usize {
        (h as usize >> 6) & (Self::WORDS - 1)
    }

    fn of(hashes: &'a [u32]) -> TrigramSet<'a> {
        let mut bits = SPARE_BITS.with(|s| s.take()).unwrap_or_else(|| vec![0u64; Self::WORDS].into_boxed_slice());
        for h in hashes {
            bits[Self::word(*h)] |= 1 << (h & 63);
        }
        TrigramSet { hashes, bits }
    }

    /// `jaccard(self, other)` for `other` sorted and distinct, as `trigrams16` gives.
    fn jaccard(&self, other: &[u16]) -> f64 {
        if self.hashes.is_empty() && other.is_empty() {
            return 1.0;
        }
        // a 16-bit hash's word is below 1024: indexing the array needs no bounds check
        let bits: &[u64; 1024] = self.bits[..].try_into().expect("the bitmap has WORDS words");
        let common = other.iter().filter(|h| bits[usize::from(**h) >> 6] & (1 << (**h & 63)) != 0).count();
        common as f64 / (self.hashes.len() + other.len() - common) as f64
    }
}

impl Drop for TrigramSet<'_> {
    fn drop(&mut self) {
        for h in self.hashes {
            self.bits[Self::word(*h)] = 0;
        }
        let bits = std::mem::take(&mut self.bits);
        if bits.len() == Self::WORDS {
            SPARE_BITS.with(|s| s.set(Some(bits)));
        }
    }
}

/// **Character-trigram Jaccard similarity** of two texts, in [0, 1]: the share of distinct
/// three-character sequences (see `trigram_hashes`) that the two have in common. Chosen over word
/// overlap because Indonesian affixes (di-, -kan, -nya) and typing slips change words but keep
/// most trigrams.
pub fn trigram_jaccard(a: &str, b: &str) -> f64 {
    jaccard(&trigram_hashes(a), &trigram_hashes(b))
}

/// A description that says nothing: fewer than three distinct words of three or more letters,
/// or mostly one repeated character ("aaaaaaaaaa", "tes tes tes").
pub fn says_nothing(description: &str) -> bool {
    says_nothing_normalised(&normalise(description))
}

fn says_nothing_normalised(norm: &str) -> bool {
    let mut words: Vec<&str> = Vec::with_capacity(3);
    for w in norm.split(' ') {
        if words.len() < 3 && !words.contains(&w) && w.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
            words.push(w);
        }
    }
    if words.len() < 3 {
        return true;
    }
    // the most frequent letter: ASCII counted in place, the rest in a short list
    let (mut ascii, mut other, mut letters) = ([0usize; 128], Vec::<(char, usize)>::new(), 0usize);
    for c in norm.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if c.is_ascii() {
            ascii[c as usize] += 1;
        } else if let Some(e) = other.iter_mut().find(|e| e.0 == c) {
            e.1 += 1;
        } else {
            other.push((c, 1));
        }
    }
    let top = ascii.iter().copied().chain(other.iter().map(|e| e.1)).max().unwrap_or(0);
    letters >= 10 && top * 2 > letters
}

/// Confirmed pranks of a number's history within the repeat window ending at `now`.
pub fn pranks_in_window(history: &[PastCase], now: Millis, window_ms: u64) -> Vec<&PastCase> {
    history
        .iter()
        .filter(|c| c.reject_reason.as_deref() == Some("prank") && c.closed_at.0 + window_ms >= now.0)
        .collect()
}

/// Scores a new report. Total and deterministic; every point comes with its reason.
/// How many duplicate candidates an assessment names.
const CANDIDATES: usize = 5;

pub fn assess(r: &Report, territory: Option<&Territory>, p: &PrankPolicy) -> Assessment {
    let w = &p.weights;
    let mut reasons = Vec::new();
    let mut add = |factor, weight: u32, detail: String| {
        if weight > 0 {
            reasons.push(Reason { factor, weight, detail });
        }
    };
    if r.blocked {
        add(Factor::Blocked, w.blocked, "nomor ini sedang diblokir".into());
    }
    let pranks = pranks_in_window(r.history, r.now, p.repeat_window_ms).len() as u32;
    if pranks > 0 {
        add(
            Factor::ConfirmedPranks,
            w.confirmed_prank * pranks,
            format!("{pranks} laporan palsu terkonfirmasi dalam periode"),
        );
    }
    let recent = r.history.iter().filter(|c| c.created.0 + p.burst_window_ms >= r.now.0).count() as u32 + 1;
    if recent >= p.burst_count {
        add(Factor::Burst, w.burst, format!("{recent} laporan dari nomor ini dalam waktu singkat"));
    }
    let in_window = |c: &&PastCase| {
        c.created.0 + p.duplicate_window_ms >= r.now.0 && c.state.is_open() && c.state != State::Resolved
    };
    // the description normalised for the "says nothing" test (its trigrams come with the report)
    let text = normalise(r.description);
    let mine = TrigramSet::of(r.trigrams);
    // (score, ticket): the same reporter's open cases first (1 + similarity), then similar
    // texts of others; the best five are the duplicate candidates
    let mut candidates: Vec<(f64, &Ticket)> = Vec::new();
    let same_reporter: Vec<&PastCase> = r.history.iter().filter(in_window).collect();
    if let Some(c) = same_reporter.first() {
        add(
            Factor::DuplicateSameReporter,
            w.duplicate_same_reporter,
            format!("nomor ini sudah punya laporan terbuka {}", c.ticket),
        );
        for c in &same_reporter {
            candidates.push((1.0 + mine.jaccard(&c.trigrams), &c.ticket));
        }
    }
    let mut similar: Vec<(f64, &Ticket)> = r
        .nearby
        .iter()
        .filter(in_window)
        .filter(|c| *c.regency == *r.regency && !same_reporter.iter().any(|s| s.ticket == c.ticket))
        .map(|c| (mine.jaccard(&c.trigrams), &c.ticket))
        .filter(|(s, _)| *s >= p.similarity)
        .collect();
    let best_first = |a: &(f64, &Ticket), b: &(f64, &Ticket)| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1));
    if similar.len() > CANDIDATES {
        similar.select_nth_unstable_by(CANDIDATES - 1, best_first);
        similar.truncate(CANDIDATES);
    }
    similar.sort_unstable_by(best_first);
    if let Some((s, t)) = similar.first() {
        add(
            Factor::DuplicateSimilarText,
            w.duplicate_similar_text,
            format!("mirip {:.0}% dengan laporan terbuka {} di wilayah yang sama", s * 100.0, t),
        );
    }
    candidates.extend(similar);
    candidates.sort_by(best_first);
    let staffed = matches!(r.channel, Channel::Phone | Channel::WalkIn);
    match (r.coordinates, territory) {
        (None, _) if staffed => {}
        (None, _) => add(Factor::NoCoordinates, w.no_coordinates, "tanpa koordinat lokasi".into()),
        (Some((lat, lon)), Some(t)) if !t.contains(lat, lon) => add(
            Factor::OutsideTerritory,
            w.outside_territory,
            format!("koordinat ({lat:.3}, {lon:.3}) di luar wilayah Polda"),
        ),
        _ => {}
    }
    if says_nothing_normalised(&text) {
        add(Factor::EmptyDescription, w.empty_description, "uraian kejadian tidak berisi keterangan".into());
    }
    let score = reasons.iter().map(|x| x.weight).sum();
    let mut seen = HashSet::new();
    let duplicate_candidates =
        candidates.into_iter().filter(|(_, t)| seen.insert(*t)).map(|(_, t)| t.clone()).take(CANDIDATES).collect();
    Assessment { score, reasons, duplicate_candidates, blocked: r.blocked }
}

/// A block lifted before its time, by Propam, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lift {
    pub at: Millis,
    pub by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub since: Millis,
    pub until: Millis,
    pub reason: String,
    /// `sistem` for an automatic block, else the username
    pub by: String,
    pub lifted: Option<Lift>,
}

/// Every block a number has had, oldest first: the audit trail of the blocklist.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockHistory {
    pub blocks: Vec<Block>,
}

impl BlockHistory {
    /// The block in force at `now`: not lifted and not expired.
    pub fn active(&self, now: Millis) -> Option<&Block> {
        self.blocks.last().filter(|b| b.lifted.is_none() && b.until > now)
    }
}

/// Whether a prank rejection just recorded should block the number: `block_after` confirmed
/// pranks in the repeat window and no block in force.
pub fn should_block(history: &[PastCase], blocks: &BlockHistory, now: Millis, p: &PrankPolicy) -> bool {
    blocks.active(now).is_none() && pranks_in_window(history, now, p.repeat_window_ms).len() as u32 >= p.block_after
}

/// What the service knows about a reporter (one E.164 number), from its cases.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReporterRecord {
    pub reports: u32,
    pub verified: u32,
    pub rejected: BTreeMap<String, u32>,
    /// of this number's cases, how many were linked as duplicates of another
    pub duplicates_linked: u32,
    pub first_seen: Option<Millis>,
    pub last_seen: Option<Millis>,
    pub pranks_in_window: u32,
}

/// Folds a number's cases (`verified`: whether each was ever verified) into its record.
pub fn reporter_record(cases: &[(PastCase, bool, bool)], now: Millis, p: &PrankPolicy) -> ReporterRecord {
    let mut r = ReporterRecord::default();
    for (c, verified, duplicate) in cases {
        r.reports += 1;
        r.verified += u32::from(*verified);
        r.duplicates_linked += u32::from(*duplicate);
        if let Some(reason) = &c.reject_reason {
            *r.rejected.entry(reason.clone()).or_default() += 1;
        }
        r.first_seen = Some(r.first_seen.map_or(c.created, |f| f.min(c.created)));
        r.last_seen = Some(r.last_seen.map_or(c.created, |l| l.max(c.created)));
    }
    let past: Vec<PastCase> = cases.iter().map(|(c, _, _)| c.clone()).collect();
    r.pranks_in_window = pranks_in_window(&past, now, p.repeat_window_ms).len() as u32;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PrankPolicy {
        PrankPolicy {
            repeat_window_ms: 30 * 86_400_000,
            block_after: 3,
            block_review_by: "bid_propam".into(),
            duplicate_window_ms: 2 * 3_600_000,
            block_for_ms: 30 * 86_400_000,
            burst_window_ms: 600_000,
            burst_count: 3,
            similarity: 0.5,
            mark_at: 40,
            weights: Weights::default(),
        }
    }

    const NOW: Millis = Millis(100 * 86_400_000);

    fn past(n: u64, ago_ms: u64, state: State, reason: Option<&str>, text: &str) -> PastCase {
        PastCase {
            ticket: Ticket::parse(&format!("PLG-261128-{n:04}")).unwrap(),
            created: Millis(NOW.0 - ago_ms),
            state,
            reject_reason: reason.map(String::from),
            closed_at: Millis(NOW.0 - ago_ms + 60_000),
            regency: "Kota Palembang".into(),
            trigrams: trigrams16(text),
        }
    }

    const STORY: &str = "Motor Honda Beat hitam saya dicuri di parkiran Pasar 16 Ilir tadi pagi";

    /// The texts' trigrams and the "says nothing" test equal those of the plain definitions
    /// (a `format!`-padded `Vec<char>`, a `HashSet` of words, a `BTreeMap` of letters) on
    /// ASCII, Indonesian, accented, capitalised and empty texts.
    #[test]
    fn trigrams_and_says_nothing_match_their_plain_definitions() {
        fn plain_normalise(s: &str) -> String {
            let mut out = String::new();
            let mut space = true;
            for c in s.chars().flat_map(char::to_lowercase) {
                if c.is_alphanumeric() {
                    out.push(c);
                    space = false;
                } else if !space {
                    out.push(' ');
                    space = true;
                }
            }
            out.trim_end().to_owned()
        }
        fn plain_trigrams(s: &str) -> Vec<u32> {
            let padded: Vec<char> = format!(" {} ", plain_normalise(s)).chars().collect();
            let mut out: Vec<u32> = padded
                .windows(3)
                .map(|w| {
                    let mut h: u32 = 0x811c_9dc5;
                    for b in w.iter().flat_map(|c| (*c as u32).to_le_bytes()) {
                        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
                    }
                    fold16(h)
                })
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        }
        fn plain_says_nothing(d: &str) -> bool {
            let norm = plain_normalise(d);
            let words: HashSet<&str> =
                norm.split(' ').filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3).collect();
            let letters: Vec<char> = norm.chars().filter(|c| c.is_alphabetic()).collect();
            let mut counts = BTreeMap::new();
            for c in &letters {
                *counts.entry(*c).or_insert(0usize) += 1;
            }
            let top = counts.values().copied().max().unwrap_or(0);
            words.len() < 3 || (letters.len() >= 10 && top * 2 > letters.len())
        }
        for text in [
            "",
            " ",
            "a",
            "ab",
            "Sepeda motor dicuri di parkiran pasar, pelaku dua orang memakai helm hitam",
            "  TOLONG!!  ada   KEBAKARAN di Jl. Sudirman no.12 ",
            "tes tes tes",
            "aaaaaaaaaaaa bbb ccc",
            "ÉÉÉÉÉÉÉÉÉÉ ééé ñandú Ölçü",
            "İstanbul ǅemal ẞtraße ﬁne",
            "rumah saya kemalingan 2x, kerugian Rp 5.000.000",
            "ꙮꙮꙮ 中文字符 кириллица",
        ] {
            assert_eq!(trigram_hashes(text), plain_trigrams(text), "{text:?}");
            assert_eq!(says_nothing(text), plain_says_nothing(text), "{text:?}");
        }
    }

    /// The bitmap's similarity is the merge's, for texts near, far and empty.
    #[test]
    fn the_trigram_bitmap_gives_the_merged_jaccard() {
        let texts = ["", "motor dicuri di pasar", "motor hilang dicuri di pasar 16 ilir", "kebakaran rumah", "a"];
        for a in texts {
            let mine = trigram_hashes(a);
            let set = TrigramSet::of(&mine);
            for b in texts {
                let other = trigram_hashes(b);
                assert_eq!(set.jaccard(&trigrams16(b)), jaccard(&trigram_hashes(a), &other), "{a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn trigram_jaccard_table() {
        let cases = [
            (STORY, STORY, 1.0, 1.0),
            (STORY, "motor honda beat hitam SAYA dicuri, di parkiran pasar 16 ilir tadi pagi!!", 1.0, 1.0),
            (STORY, "Sepeda motor Honda Beat warna hitam dicuri di parkiran Pasar 16 Ilir pagi ini", 0.5, 0.9),
            (STORY, "Ada kebakaran rumah di Jalan Sudirman, api sudah besar", 0.0, 0.2),
            ("", "", 1.0, 1.0),
            ("abc", "", 0.0, 0.0),
        ];
        for (a, b, lo, hi) in cases {
            let s = trigram_jaccard(a, b);
            assert!((lo..=hi).contains(&s), "{a:?} ~ {b:?} = {s}");
            assert_eq!(s, trigram_jaccard(b, a), "symmetric");
        }
    }

    #[test]
    fn says_nothing_table() {
        for (text, empty) in [
            (STORY, false),
            ("tes tes tes tes tes", true),
            ("aaaaaaaaaaaaaaaaaaaa", true),
            ("halo pak polisi", false),
            ("??? !!! 123 456", true),
            ("Ada bom di sekolah", false),
            ("ok ok ok ok ok ok ok", true),
        ] {
            assert_eq!(says_nothing(text), empty, "{text:?}");
        }
    }

    #[test]
    fn territory_contains_the_polda_and_not_jakarta() {
        let t = Territory::around([(-2.976, 104.775), (-4.53, 104.07), (-2.73, 102.62)]).unwrap();
        assert!(t.contains(-3.0, 104.7));
        assert!(!t.contains(-6.2, 106.8), "Jakarta");
        assert!(!t.contains(0.0, 0.0), "a (0, 0) default");
    }

    /// Each row: history, nearby, input tweaks, the factors expected (in order) and the score.
    #[test]
    fn scoring_table() {
        let t = Territory::around([(-2.976, 104.775), (-4.53, 104.07), (-2.73, 102.62)]).unwrap();
        let p = policy();
        let day = 86_400_000;
        struct Row {
            name: &'static str,
            history: Vec<PastCase>,
            nearby: Vec<PastCase>,
            description: &'static str,
            coordinates: Option<(f64, f64)>,
            channel: Channel,
            blocked: bool,
            want: Vec<Factor>,
            score: u32,
        }
        let clean = (-2.99, 104.76);
        let rows = vec![
            Row {
                name: "a first, clear report",
                history: vec![],
                nearby: vec![],
                description: STORY,
                coordinates: Some(clean),
                channel: Channel::Web,
                blocked: false,
                want: vec![],
                score: 0,
            },
            Row {
                name: "no GPS",
                history: vec![],
                nearby: vec![],
                description: STORY,
                coordinates: None,
                channel: Channel::Web,
                blocked: false,
                want: vec![Factor::NoCoordinates],
                score: 5,
            },
            Row {
                name: "no GPS over WhatsApp",
                history: vec![],
                nearby: vec![],
                description: STORY,
                coordinates: None,
                channel: Channel::Whatsapp,
                blocked: false,
                want: vec![Factor::NoCoordinates],
                score: 5,
            },
            Row {
                name: "a 110 call taken by staff has an address, not GPS",
                history: vec![],
                nearby: vec![],
                description: STORY,
                coordinates: None,
                channel: Channel::Phone,
                blocked: false,
                want: vec![],
                score: 0,
            },
            Row {
                name: "a walk-in has an address, not GPS",
                history: vec![],
                nearby: vec![],
                description: STORY,
                coordinates: None,
                channel: Channel::WalkIn,
                blocked: false,
                want: vec![],
                score: 0,
            },
            Row {
                name: "a call with coordinates outside the territory still counts",
                history: vec![],
                nearby: vec![],
                description: STORY,
                coordinates: Some((-6.2, 106.8)),
                channel: Channel::Phone,
                blocked: false,
                want: vec![Factor::OutsideTerritory],
                score: 25,
            },
            Row {
                name: "two pranks in the window, one older",
                history: vec![
                    past(1, 2 * day, State::Rejected, Some("prank"), "bom"),
                    past(2, 5 * day, State::Rejected, Some("prank"), "bom"),
                    past(3, 40 * day, State::Rejected, Some("prank"), "bom"),
                    past(4, 3 * day, State::Rejected, Some("unverifiable"), "x"),
                ],
                nearby: vec![],
                description: STORY,
                coordinates: Some(clean),
                channel: Channel::Web,
                blocked: false,
                want: vec![Factor::ConfirmedPranks],
                score: 50,
            },
            Row {
                name: "a burst: two in the last ten minutes plus this one",
                history: vec![past(1, 60_000, State::Closed, None, "a"), past(2, 120_000, State::Closed, None, "b")],
                nearby: vec![],
                description: STORY,
                coordinates: Some(clean),
                channel: Channel::Web,
                blocked: false,
                want: vec![Factor::Burst],
                score: 20,
            },
            Row {
                name: "same reporter has an open case within the duplicate window",
                history: vec![past(7, 30 * 60_000, State::Verified, None, STORY)],
                nearby: vec![],
                description: STORY,
                coordinates: Some(clean),
                channel: Channel::Web,
                blocked: false,
                want: vec![Factor::DuplicateSameReporter],
                score: 20,
            },
            Row {
                name: "similar text in the same regency, another reporter",
                history: vec![],
                nearby: vec![
                    past(
                        8,
                        30 * 60_000,
                        State::New,
                        None,
                        "Sepeda motor Honda Beat hitam dicuri di parkiran Pasar 16 Ilir pagi ini",
                    ),
                    past(9, 30 * 60_000, State::New, None, "Kebakaran gudang di Jalan Sudirman"),
                    past(10, 5 * 3_600_000, State::New, None, STORY),
                ],
                description: STORY,
                coordinates: Some(clean),
                channel: Channel::Web,
                blocked: false,
                want: vec![Factor::DuplicateSimilarText],
                score: 15,
            },
            Row {
                name: "outside the territory and says nothing, from a blocked number",
                history: vec![],
                nearby: vec![],
                description: "tes tes tes tes tes",
                coordinates: Some((-6.2, 106.8)),
                channel: Channel::Web,
                blocked: true,
                want: vec![Factor::Blocked, Factor::OutsideTerritory, Factor::EmptyDescription],
                score: 75,
            },
        ];
        for row in rows {
            let a = assess(
                &Report {
                    now: NOW,
                    description: row.description,
                    trigrams: &trigram_hashes(row.description),
                    regency: "Kota Palembang",
                    coordinates: row.coordinates,
                    channel: row.channel,
                    history: &row.history,
                    nearby: &row.nearby,
                    blocked: row.blocked,
                },
                Some(&t),
                &p,
            );
            let factors: Vec<Factor> = a.reasons.iter().map(|r| r.factor).collect();
            assert_eq!(factors, row.want, "{}", row.name);
            assert_eq!(a.score, row.score, "{}", row.name);
            assert_eq!(a.score, a.reasons.iter().map(|r| r.weight).sum::<u32>(), "the score is the sum of its reasons");
            assert!(a.reasons.iter().all(|r| !r.detail.is_empty()), "{}", row.name);
        }
    }

    #[test]
    fn blocks_follow_pranks_and_end_by_lift_or_expiry() {
        let p = policy();
        let day = 86_400_000;
        let two = vec![
            past(1, day, State::Rejected, Some("prank"), "x"),
            past(2, 2 * day, State::Rejected, Some("prank"), "x"),
        ];
        let mut three = two.clone();
        three.push(past(3, 3 * day, State::Rejected, Some("prank"), "x"));
        let none = BlockHistory::default();
        assert!(!should_block(&two, &none, NOW, &p), "two pranks are not enough");
        assert!(should_block(&three, &none, NOW, &p));
        let mut h = BlockHistory {
            blocks: vec![Block {
                since: NOW,
                until: Millis(NOW.0 + 30 * day),
                reason: "3 prank".into(),
                by: "sistem".into(),
                lifted: None,
            }],
        };
        assert!(h.active(NOW).is_some());
        assert!(!should_block(&three, &h, NOW, &p), "already blocked");
        assert!(h.active(Millis(NOW.0 + 30 * day)).is_none(), "expired");
        h.blocks[0].lifted = Some(Lift { at: NOW, by: "propam1".into(), reason: "nomor dipakai orang lain".into() });
        assert!(h.active(NOW).is_none(), "lifted");
        let old = vec![
            past(1, 40 * day, State::Rejected, Some("prank"), "x"),
            past(2, 41 * day, State::Rejected, Some("prank"), "x"),
            past(3, 42 * day, State::Rejected, Some("prank"), "x"),
        ];
        assert!(!should_block(&old, &none, NOW, &p), "pranks outside the window do not count");
    }

    #[test]
    fn reporter_record_counts_by_outcome() {
        let p = policy();
        let cases = vec![
            (past(1, 86_400_000, State::Rejected, Some("prank"), "x"), false, false),
            (past(2, 3_600_000, State::Closed, None, "x"), true, false),
            (past(3, 60_000, State::Rejected, Some("duplicate"), "x"), false, true),
        ];
        let r = reporter_record(&cases, NOW, &p);
        assert_eq!((r.reports, r.verified, r.duplicates_linked, r.pranks_in_window), (3, 1, 1, 1));
        assert_eq!(r.rejected.get("prank"), Some(&1));
        assert_eq!(r.first_seen, Some(Millis(NOW.0 - 86_400_000)));
        assert_eq!(r.last_seen, Some(Millis(NOW.0 - 60_000)));
    }

    #[test]
    fn duplicate_candidates_list_the_most_similar_first() {
        let p = policy();
        let nearby = vec![
            past(8, 60_000, State::New, None, "Motor Honda Beat hitam dicuri di parkiran Pasar 16 Ilir"),
            past(9, 60_000, State::New, None, STORY),
        ];
        let a = assess(
            &Report {
                now: NOW,
                description: STORY,
                trigrams: &trigram_hashes(STORY),
                regency: "Kota Palembang",
                coordinates: None,
                channel: Channel::Web,
                history: &[],
                nearby: &nearby,
                blocked: false,
            },
            None,
            &p,
        );
        let got: Vec<&str> = a.duplicate_candidates.iter().map(|t| t.as_str()).collect();
        assert_eq!(got, ["PLG-261128-0009", "PLG-261128-0008"]);
    }
}
