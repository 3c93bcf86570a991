//! Lossless packing of the JSON the store keeps for events. An event's stored bytes are its
//! identity: the chain hashes them and sync sends them as they are, whichever release wrote
//! them. So an event is not re-encoded into another format; its JSON is packed so that
//! `unpack(pack(json)) == json` byte for byte, for any JSON `serde_json` writes:
//!
//! - a string that is in `WORDS` (field names, enum tags) becomes `K n` or, as an object key
//!   followed by `:`, `F n`;
//! - a string of 64 lower-case hex digits (hashes) becomes `H` and its 32 bytes;
//! - an integer of 9 digits or more outside strings (HLCs, timestamps) becomes `N` and its
//!   8 bytes, when writing it back gives the same digits;
//! - every other byte is kept. `serde_json`'s compact output has no byte below 0x20 (it
//!   escapes them inside strings), so those are free to mark the four forms above; input that
//!   has one is not packed (`pack` returns `None`).
//!
//! `WORDS` is append-only: a stored value names its words by position.

const K: u8 = 0x01;
const F: u8 = 0x02;
const H: u8 = 0x03;
const N: u8 = 0x04;

/// Strings the stored events repeat. APPEND ONLY: never reorder, remove or change an entry.
const WORDS: [&str; 100] = [
    // event and its id
    "id",
    "origin",
    "seq",
    "hlc",
    "case",
    "actor",
    "kind",
    "sop_version",
    "prev_hash",
    "type",
    // actors
    "citizen",
    "staff",
    "system",
    "user",
    "role",
    "unit",
    "node",
    // roles
    "operator",
    "pa_siaga",
    "ka_siaga",
    "unit_officer",
    "leader",
    "auditor",
    "tik_admin",
    // the reported event
    "reported",
    "category",
    "priority",
    "description",
    "reporter",
    "name",
    "phone",
    "location",
    "regency",
    "address",
    "lat",
    "lon",
    "channel",
    "token_hash",
    "suggested_unit",
    "assessment",
    "score",
    "reasons",
    "duplicate_candidates",
    "blocked",
    "attachments",
    "factor",
    "weight",
    "detail",
    // values of the reported event
    "crime",
    "information",
    "feedback",
    "appreciation",
    "emergency",
    "high",
    "normal",
    "low",
    "web",
    "phone",
    "walk_in",
    "whatsapp",
    // prank factors
    "confirmed_pranks",
    "burst",
    "duplicate_same_reporter",
    "duplicate_similar_text",
    "outside_territory",
    "no_coordinates",
    "empty_description",
    // workflow events and their fields
    "verified",
    "method",
    "rejected",
    "reason",
    "note",
    "duplicate_of",
    "dispatched",
    "takeover",
    "acknowledged",
    "progressed",
    "resolved",
    "summary",
    "closed",
    "reopened",
    "noted",
    "text",
    "public",
    "escalated",
    "step",
    "rung",
    "to_role",
    "due",
    "duplicate_linked",
    "duplicate",
    // steps and verification methods
    "verify",
    "dispatch",
    "acknowledge",
    "first_action",
    "resolve",
    "callback_confirmed",
    "scene_confirmed",
    "not_reachable",
    "prank",
];

/// The packed form of `json`, or `None` when it has a byte this packing reserves.
#[cfg(test)]
pub fn pack(json: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(json.len());
    pack_into(json, &mut out).then_some(out)
}

/// `pack`, appending to `out`; false (and `out` holding part of it) when `json` cannot be packed.
pub fn pack_into(json: &[u8], out: &mut Vec<u8>) -> bool {
    if json.iter().any(|b| *b < 0x20) {
        return false;
    }
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if b == b'"' {
            let Some(end) = string_end(json, i) else { return false };
            let body = &json[i + 1..end];
            let key = json.get(end + 1) == Some(&b':');
            if let Some(n) = word(body) {
                out.extend_from_slice(&[if key { F } else { K }, n]);
                i = end + 1 + usize::from(key);
            } else if body.len() == 64 && body.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)) {
                out.push(H);
                let mut raw = [0u8; 32];
                if hex::decode_to_slice(body, &mut raw).is_err() {
                    return false;
                }
                out.extend_from_slice(&raw);
                i = end + 1;
            } else {
                out.extend_from_slice(&json[i..=end]);
                i = end + 1;
            }
        } else if b.is_ascii_digit() && (i == 0 || matches!(json[i - 1], b':' | b',' | b'[')) {
            let len = json[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let digits = &json[i..i + len];
            let whole = matches!(json.get(i + len), None | Some(b',' | b'}' | b']'));
            // written back as the same digits: no leading zero, and fits a u64
            let number = (whole && len >= 9 && digits[0] != b'0')
                .then(|| std::str::from_utf8(digits).ok()?.parse::<u64>().ok())
                .flatten();
            match number {
                Some(v) => {
                    out.push(N);
                    out.extend_from_slice(&v.to_le_bytes());
                }
                _ => out.extend_from_slice(digits),
            }
            i += len;
        } else {
            // a run of bytes kept as they are: up to the next string or number
            let start = i;
            i += 1;
            while i < json.len()
                && json[i] != b'"'
                && !(json[i].is_ascii_digit() && matches!(json[i - 1], b':' | b',' | b'['))
            {
                i += 1;
            }
            out.extend_from_slice(&json[start..i]);
        }
    }
    true
}

/// The JSON `pack` was given.
pub fn unpack(packed: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(packed.len() * 2);
    let mut i = 0;
    while i < packed.len() {
        match packed[i] {
            K | F => {
                let n = *packed.get(i + 1).ok_or("a word mark at the end")?;
                let w = WORDS.get(usize::from(n)).ok_or("an unknown word")?;
                out.push(b'"');
                out.extend_from_slice(w.as_bytes());
                out.push(b'"');
                if packed[i] == F {
                    out.push(b':');
                }
                i += 2;
            }
            H => {
                let raw = packed.get(i + 1..i + 33).ok_or("a short hash")?;
                out.push(b'"');
                let mut hexed = [0u8; 64];
                hex::encode_to_slice(raw, &mut hexed).map_err(|_| "a hash")?;
                out.extend_from_slice(&hexed);
                out.push(b'"');
                i += 33;
            }
            N => {
                let raw: [u8; 8] =
                    packed.get(i + 1..i + 9).ok_or("a short number")?.try_into().map_err(|_| "a number")?;
                out.extend_from_slice(u64::from_le_bytes(raw).to_string().as_bytes());
                i += 9;
            }
            b if b < 0x20 => return Err("an unknown mark"),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the closing quote of the string opening at `start`.
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', json.get(i..)?)?;
        if json[i] == b'"' {
            return Some(i);
        }
        i += 2;
    }
}

/// The position of `body` in `WORDS` (the first, for "phone"): a scan of the words of its length
/// (a handful each), no hashing: this runs for every string of every event stored or received.
fn word(body: &[u8]) -> Option<u8> {
    const LONGEST: usize = 32;
    type ByLen = [Vec<(&'static [u8], u8)>; LONGEST + 1];
    static BY_LEN: std::sync::OnceLock<ByLen> = std::sync::OnceLock::new();
    let by_len = BY_LEN.get_or_init(|| {
        let mut t: ByLen = std::array::from_fn(|_| Vec::new());
        for (n, w) in WORDS.iter().enumerate() {
            let n = u8::try_from(n).expect("fewer than 256 words");
            // the first entry wins: "phone" is both a field and a channel, and decodes the same
            if !t[w.len()].iter().any(|(b, _)| *b == w.as_bytes()) {
                t[w.len()].push((w.as_bytes(), n));
            }
        }
        t
    });
    let first = *body.first()?;
    by_len.get(body.len())?.iter().find(|(w, _)| w[0] == first && *w == body).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_comes_back_byte_for_byte() {
        let samples: [&[u8]; 8] = [
            br#"{"id":{"origin":"PLG","seq":42},"hlc":116123456789012345,"case":"PLG-261128-0042","actor":{"kind":"citizen"},"sop_version":"2026.1","prev_hash":"00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff","kind":{"type":"reported","category":"crime","priority":"normal","description":"Motor \"dicuri\" di pasar\\n","reporter":{"name":"Budi","phone":"+6281234567890"},"location":{"regency":"Kota Palembang","address":"Pasar 16","lat":-2.99,"lon":104.76},"channel":"web","token_hash":"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789","suggested_unit":null,"assessment":{"score":0,"reasons":[],"duplicate_candidates":[],"blocked":false}}}"#,
            br#"{"phone":"phone","x":[1,22,333333333,4444444444444444444,18446744073709551615,18446744073709551616,0123456789,1e10,123456789.5,-123456789012]}"#,
            br#"["id","ID","id ","","\"id\"",{"id":"id"}]"#,
            br#"{"h":"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef012345678","g":"abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"}"#,
            "\"caf\\u00e9 Ω ☕\"".as_bytes(),
            b"123456789012",
            b"{}",
            b"",
        ];
        for s in samples {
            let p = pack(s).unwrap();
            assert_eq!(unpack(&p).unwrap(), s, "{}", String::from_utf8_lossy(s));
        }
        let event = samples[0];
        let p = pack(event).unwrap();
        assert!(p.len() * 10 < event.len() * 6, "{} of {} bytes", p.len(), event.len());
    }

    /// Long integers become `N` wherever a value starts (after `:`, `,` or `[`), between runs of
    /// kept bytes; those in strings or shorter ones stay digits.
    #[test]
    fn long_integers_are_packed_wherever_a_value_starts() {
        let json = br#"{"a":[123456789012,1,{"x":-5}],"b":223456789012,"c":[7,323456789012],"d":"423456789012"}"#;
        let p = pack(json).unwrap();
        assert_eq!(p.iter().filter(|b| **b == N).count(), 3);
        assert_eq!(unpack(&p).unwrap(), json.to_vec());
    }

    #[test]
    fn reserved_bytes_are_not_packed_and_damage_is_an_error() {
        assert!(pack(b"{\"a\":\"\x01\"}").is_none());
        assert!(unpack(&[K]).is_err());
        assert!(unpack(&[K, 250]).is_err());
        assert!(unpack(&[H, 1, 2]).is_err());
        assert!(unpack(&[N, 1]).is_err());
        assert!(unpack(&[0x1f]).is_err());
    }

    /// Positions are part of the stored format.
    #[test]
    fn words_keep_their_positions() {
        assert_eq!((WORDS[0], WORDS[9], WORDS[24], WORDS[99]), ("id", "type", "reported", "prank"));
        let mut seen = std::collections::HashSet::new();
        let dupes: Vec<_> = WORDS.iter().filter(|w| !seen.insert(**w)).collect();
        assert_eq!(dupes, [&"phone"], "only the known duplicate");
    }
}
