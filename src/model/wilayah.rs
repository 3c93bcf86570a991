//! The official areas of South Sumatra (Kemendagri codes, embedded from
//! `data/wilayah-sumsel/`, ODbL: see its README) and the forgiving matcher that turns what a
//! reporter typed ("OKI", "kec. kayu agung", "Kemuning", a code, a one-letter typo) into an
//! area, or says which field is wrong and, when the name fits several, which ones it fits.

use serde::Deserialize;
use std::collections::BTreeMap;

pub const REGENCIES_CSV: &str = include_str!("../../data/wilayah-sumsel/regencies.csv");
pub const DISTRICTS_CSV: &str = include_str!("../../data/wilayah-sumsel/districts.csv");
pub const VILLAGES_CSV: &str = include_str!("../../data/wilayah-sumsel/villages.csv");
pub const ALIASES_TOML: &str = include_str!("../../data/wilayah-aliases.toml");

/// Where the official areas come from, and their license: shown wherever the data is.
pub const ATTRIBUTION: &str = "Wilayah: idn-area-data 4.0.1 (Kemendagri codes), Open Database License (ODbL) 1.0";

/// Longest input the matcher looks at (after normalising); longer is not a place name.
const INPUT_MAX: usize = 80;
/// Most candidates an ambiguity error lists.
const CANDIDATES_MAX: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// `16.02` (regency), `16.02.05` (kecamatan), `16.02.05.1001` (desa/kelurahan)
    pub code: String,
    /// the code of the area that holds it (`16` for a regency)
    pub parent: String,
    pub name: String,
    key: String,
}

/// What a matcher looks for: the three levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Regency,
    District,
    Village,
}

impl Level {
    pub fn field(self) -> &'static str {
        match self {
            Self::Regency => "location.regency",
            Self::District => "location.district",
            Self::Village => "location.village",
        }
    }
    pub fn noun(self) -> &'static str {
        match self {
            Self::Regency => "regency",
            Self::District => "kecamatan",
            Self::Village => "desa/kelurahan",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("{} {input:?} is not in South Sumatra{}", .level.noun(), .within.as_ref().map(|w| format!(" ({w})")).unwrap_or_default())]
    Unknown { level: Level, input: String, within: Option<String> },
    #[error("{} {input:?} fits several: {}; write one of them", .level.noun(), .candidates.join(", "))]
    Ambiguous { level: Level, input: String, candidates: Vec<String> },
    /// a kecamatan of another regency, a desa of another kecamatan
    #[error("{} {name} ({code}) is in {actual}, not in {given}", .level.noun())]
    NotIn { level: Level, code: String, name: String, actual: String, given: String },
}

impl PlaceError {
    pub fn level(&self) -> Level {
        match self {
            Self::Unknown { level, .. } | Self::Ambiguous { level, .. } | Self::NotIn { level, .. } => *level,
        }
    }
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unknown { level: Level::Regency, .. } => "unknown_regency",
            Self::Unknown { level: Level::District, .. } => "unknown_district",
            Self::Unknown { level: Level::Village, .. } => "unknown_village",
            Self::Ambiguous { .. } => "ambiguous_place",
            Self::NotIn { level: Level::Village, .. } => "village_not_in_district",
            Self::NotIn { .. } => "district_not_in_regency",
        }
    }
    pub fn candidates(&self) -> &[String] {
        match self {
            Self::Ambiguous { candidates, .. } => candidates,
            _ => &[],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AreasError {
    #[error("{file} line {line}: {problem}")]
    Csv { file: &'static str, line: usize, problem: String },
    #[error("the alias table: {0}")]
    Aliases(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAliases {
    #[serde(default)]
    regency: BTreeMap<String, String>,
    #[serde(default)]
    district: BTreeMap<String, String>,
}

/// The embedded official areas with the alias table.
#[derive(Debug, Clone, PartialEq)]
pub struct Areas {
    pub regencies: Vec<Area>,
    pub districts: Vec<Area>,
    pub villages: Vec<Area>,
    /// normalised alias -> code
    aliases: BTreeMap<String, String>,
}

/// Folds what a person typed to the key names are compared by: lower case, letters and digits
/// only, the administrative prefixes ("Kabupaten", "Kab.", "Kota", "Kec.", "Kel.", "Desa")
/// dropped, numbers written as words ("I", "1" -> "satu"), so "Kec. Ilir Timur I" and
/// "ilirtimursatu" meet.
pub fn normalize(s: &str) -> String {
    const PREFIXES: [&str; 10] =
        ["kabupaten", "kab", "kota", "kecamatan", "kec", "kelurahan", "kel", "desa", "ds", "kab."];
    let lower = s.to_lowercase();
    let mut words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && PREFIXES.contains(&words[0]) {
        words.remove(0);
    }
    let mut out = String::new();
    for w in words {
        out.push_str(match w {
            "i" | "1" => "satu",
            "ii" | "2" => "dua",
            "iii" | "3" => "tiga",
            "iv" | "4" => "empat",
            w => w,
        });
    }
    out
}

/// Levenshtein distance, giving up (returning `max + 1`) once it exceeds `max`.
fn distance(a: &str, b: &str, max: usize) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        if cur.iter().min().copied().unwrap_or(0) > max {
            return max + 1;
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The typos forgiven in a name of this length: none below 4 letters, one up to 8, two beyond.
fn typos_allowed(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    }
}

/// Whether kecamatan `district` (a code) lies in `regency` (a code).
pub fn in_regency(district: &str, regency: &str) -> bool {
    district.starts_with(regency) && district.as_bytes().get(regency.len()) == Some(&b'.')
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.starts_with("16")
}

fn parse_csv(text: &str, file: &'static str, columns: usize) -> Result<Vec<Vec<String>>, AreasError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = line.split(',').map(|c| c.trim().to_owned()).collect();
        if cells.len() != columns || cells.iter().any(|c| c.is_empty()) {
            return Err(AreasError::Csv { file, line: i + 1, problem: format!("expected {columns} cells") });
        }
        rows.push(cells);
    }
    Ok(rows)
}

impl Areas {
    /// The areas built into the binary.
    pub fn embedded() -> Result<Areas, AreasError> {
        Areas::parse(REGENCIES_CSV, DISTRICTS_CSV, VILLAGES_CSV, ALIASES_TOML)
    }

    pub fn parse(regencies: &str, districts: &str, villages: &str, aliases: &str) -> Result<Areas, AreasError> {
        let area = |r: Vec<String>| {
            let mut r = r.into_iter();
            let code = r.next().unwrap_or_default();
            let parent = r.next().unwrap_or_default();
            let name = r.next().unwrap_or_default();
            Area { key: normalize(&name), code, parent, name }
        };
        let regencies: Vec<Area> = parse_csv(regencies, "regencies.csv", 3)?.into_iter().map(area).collect();
        let districts: Vec<Area> = parse_csv(districts, "districts.csv", 3)?.into_iter().map(area).collect();
        let villages: Vec<Area> = parse_csv(villages, "villages.csv", 3)?.into_iter().map(area).collect();
        for (file, list, parents) in
            [("districts.csv", &districts, &regencies), ("villages.csv", &villages, &districts)]
        {
            if let Some(a) = list.iter().find(|a| !parents.iter().any(|p| p.code == a.parent)) {
                return Err(AreasError::Csv { file, line: 0, problem: format!("{} names no known parent", a.code) });
            }
        }
        let raw: RawAliases = toml::from_str(aliases).map_err(|e| AreasError::Aliases(e.to_string()))?;
        let mut table = BTreeMap::new();
        for (level, map, list) in [("regency", &raw.regency, &regencies), ("district", &raw.district, &districts)] {
            for (alias, code) in map {
                if !list.iter().any(|a| &a.code == code) {
                    return Err(AreasError::Aliases(format!("{level} alias {alias:?}: no {level} {code}")));
                }
                if table.insert(normalize(alias), code.clone()).is_some_and(|old| &old != code) {
                    return Err(AreasError::Aliases(format!("alias {alias:?} names two places")));
                }
            }
        }
        Ok(Areas { regencies, districts, villages, aliases: table })
    }

    /// The alias table as written (normalised alias, code), for tests and the docs.
    pub fn aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases.iter().map(|(a, c)| (a.as_str(), c.as_str()))
    }

    fn list(&self, level: Level) -> &[Area] {
        match level {
            Level::Regency => &self.regencies,
            Level::District => &self.districts,
            Level::Village => &self.villages,
        }
    }

    pub fn get(&self, level: Level, code: &str) -> Option<&Area> {
        self.list(level).iter().find(|a| a.code == code)
    }

    pub fn regency_by_code(&self, code: &str) -> Option<&Area> {
        self.get(Level::Regency, code)
    }

    /// The kecamatan of a regency, in code order.
    pub fn districts_of<'a>(&'a self, regency: &'a str) -> impl Iterator<Item = &'a Area> + 'a {
        self.districts.iter().filter(move |d| d.parent == regency)
    }

    /// The desa/kelurahan of a regency (all its kecamatan), in code order.
    pub fn villages_of_regency<'a>(&'a self, regency: &'a str) -> impl Iterator<Item = &'a Area> + 'a {
        self.villages.iter().filter(move |v| in_regency(&v.parent, regency))
    }

    /// The regency a reporter named: a code, the official name, an alias, or a close typo.
    pub fn regency(&self, input: &str) -> Result<&Area, PlaceError> {
        self.find(Level::Regency, input, |_| true, None)
    }

    /// A kecamatan of `regency`. A kecamatan of another regency is `NotIn`, naming both.
    pub fn district(&self, regency: &Area, input: &str) -> Result<&Area, PlaceError> {
        self.find(Level::District, input, |d| d.parent == regency.code, Some(regency))
    }

    /// A desa/kelurahan of `district`, or of any kecamatan of `regency` when no kecamatan was given.
    pub fn village(&self, regency: &Area, district: Option<&Area>, input: &str) -> Result<&Area, PlaceError> {
        match district {
            Some(d) => self.find(Level::Village, input, |v| v.parent == d.code, Some(d)),
            None => self.find(Level::Village, input, |v| in_regency(&v.parent, &regency.code), Some(regency)),
        }
    }

    fn parent_name(&self, level: Level, parent: &str) -> String {
        let up = match level {
            Level::Village => Level::District,
            _ => Level::Regency,
        };
        self.get(up, parent).map(|p| format!("{} ({})", p.name, p.code)).unwrap_or_else(|| parent.to_owned())
    }

    fn find<'a>(
        &'a self,
        level: Level,
        input: &str,
        within: impl Fn(&Area) -> bool,
        parent: Option<&Area>,
    ) -> Result<&'a Area, PlaceError> {
        let shown: String = input.trim().chars().take(INPUT_MAX).collect();
        let unknown = || PlaceError::Unknown {
            level,
            input: shown.clone(),
            within: parent.map(|p| format!("in {} ({})", p.name, p.code)),
        };
        let outside = |a: &Area| PlaceError::NotIn {
            level,
            code: a.code.clone(),
            name: a.name.clone(),
            actual: self.parent_name(level, &a.parent),
            given: parent.map(|p| format!("{} ({})", p.name, p.code)).unwrap_or_default(),
        };
        let list = self.list(level);
        let t = input.trim();
        if is_code(t) {
            return match list.iter().find(|a| a.code == t) {
                Some(a) if within(a) => Ok(a),
                Some(a) => Err(outside(a)),
                None => Err(unknown()),
            };
        }
        let key = normalize(t);
        if key.is_empty() || key.chars().count() > INPUT_MAX {
            return Err(unknown());
        }
        let ambiguous = |found: Vec<&Area>| PlaceError::Ambiguous {
            level,
            input: shown.clone(),
            candidates: found.iter().take(CANDIDATES_MAX).map(|a| a.name.clone()).collect(),
        };
        let pick = |found: Vec<&'a Area>| -> Option<Result<&'a Area, PlaceError>> {
            match found.len() {
                0 => None,
                1 => Some(Ok(found[0])),
                _ => Some(Err(ambiguous(found))),
            }
        };
        // 1. the official name or an alias, here
        let mut exact: Vec<&Area> = list.iter().filter(|a| within(a) && a.key == key).collect();
        if level != Level::Village {
            if let Some(a) = self.aliases.get(&key).and_then(|c| list.iter().find(|a| &a.code == c)) {
                if within(a) {
                    if !exact.iter().any(|e| e.code == a.code) {
                        exact.push(a);
                    }
                } else if exact.is_empty() {
                    return Err(outside(a));
                }
            }
        }
        if let Some(r) = pick(exact) {
            return r;
        }
        // 2. the start of names here ("ilir timur" -> Ilir Timur Satu, Dua, Tiga)
        if key.len() >= 4 {
            if let Some(r) = pick(list.iter().filter(|a| within(a) && a.key.starts_with(&key)).collect()) {
                return r;
            }
        }
        // 3. a small typo, here
        let max = typos_allowed(key.chars().count());
        if max > 0 {
            let mut best = max + 1;
            let mut found: Vec<&Area> = Vec::new();
            let keys = list.iter().filter(|a| within(a)).flat_map(|a| std::iter::once((a.key.as_str(), a))).chain(
                self.aliases.iter().filter_map(|(k, c)| {
                    (level != Level::Village)
                        .then(|| list.iter().find(|a| &a.code == c && within(a)).map(|a| (k.as_str(), a)))?
                }),
            );
            for (k, a) in keys {
                let d = distance(&key, k, max);
                if d < best {
                    best = d;
                    found.clear();
                }
                if d == best && d <= max && !found.iter().any(|f| f.code == a.code) {
                    found.push(a);
                }
            }
            if let Some(r) = pick(found) {
                return r;
            }
        }
        // 4. the exact name elsewhere: name both places
        if parent.is_some() {
            let elsewhere: Vec<&Area> = list.iter().filter(|a| a.key == key).collect();
            if elsewhere.len() == 1 {
                return Err(outside(elsewhere[0]));
            }
        }
        Err(unknown())
    }
}

/// A stable point for a kecamatan with no coordinates of its own: on a ring 0.04-0.16 degree
/// around its regency's seat, at an angle and distance derived from its code, so the markers
/// of one regency's kecamatan do not pile up and stay put between refreshes. Approximate:
/// the map says so.
pub fn approximate_point(seat_lat: f64, seat_lon: f64, code: &str) -> (f64, f64) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let angle = (h % 3600) as f64 / 3600.0 * std::f64::consts::TAU;
    let radius = 0.04 + ((h >> 16) % 1000) as f64 / 1000.0 * 0.12;
    let lat = seat_lat + radius * angle.sin();
    let lon = seat_lon + radius * angle.cos();
    ((lat * 1e4).round() / 1e4, (lon * 1e4).round() / 1e4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn areas() -> Areas {
        Areas::embedded().unwrap()
    }

    #[test]
    fn the_embedded_data_is_whole() {
        let a = areas();
        assert_eq!((a.regencies.len(), a.districts.len(), a.villages.len()), (17, 241, 3259));
        assert_eq!(a.districts_of("16.71").count(), 18);
        assert!(a.villages_of_regency("16.71").all(|v| v.code.starts_with("16.71.")));
        assert!(a.villages_of_regency("16.71").count() > 100);
    }

    fn regency(input: &str) -> Result<String, String> {
        areas().regency(input).map(|a| a.code.clone()).map_err(|e| e.code().to_owned())
    }

    #[test]
    fn every_alias_and_every_official_name_and_code_finds_its_regency() {
        let a = areas();
        let text: RawAliases = toml::from_str(ALIASES_TOML).unwrap();
        for (alias, code) in &text.regency {
            assert_eq!(regency(alias).as_deref(), Ok(code.as_str()), "alias {alias}");
        }
        for (alias, code) in &text.district {
            let d = a.get(Level::District, code).unwrap();
            let r = a.regency_by_code(&d.parent).unwrap();
            assert_eq!(a.district(r, alias).map(|d| d.code.as_str()), Ok(code.as_str()), "alias {alias}");
        }
        for r in &a.regencies {
            assert_eq!(regency(&r.name).as_deref(), Ok(r.code.as_str()));
            assert_eq!(regency(&r.name.to_uppercase()).as_deref(), Ok(r.code.as_str()));
            assert_eq!(regency(&r.code).as_deref(), Ok(r.code.as_str()));
        }
        for d in &a.districts {
            let r = a.regency_by_code(&d.parent).unwrap();
            assert_eq!(a.district(r, &d.name).map(|x| x.code.as_str()), Ok(d.code.as_str()), "{}", d.name);
            assert_eq!(a.district(r, &d.code).map(|x| x.code.as_str()), Ok(d.code.as_str()));
        }
        for v in &a.villages {
            let d = a.get(Level::District, &v.parent).unwrap();
            let r = a.regency_by_code(&d.parent).unwrap();
            let got = a.village(r, Some(d), &v.name).map(|x| x.code.clone());
            // two desa of one kecamatan may share a name: then the code tells them apart
            let twins = a.villages.iter().filter(|x| x.parent == v.parent && x.key == v.key).count();
            if twins == 1 {
                assert_eq!(got.as_deref(), Ok(v.code.as_str()), "{}", v.name);
            } else {
                assert_eq!(got.unwrap_err().code(), "ambiguous_place");
            }
            assert_eq!(a.village(r, Some(d), &v.code).map(|x| x.code.as_str()), Ok(v.code.as_str()));
        }
    }

    #[test]
    fn regency_forms() {
        let table = [
            ("Kota Palembang", Ok("16.71")),
            ("palembang", Ok("16.71")),
            ("  PALEMBANG ", Ok("16.71")),
            ("Kab. Banyuasin", Ok("16.07")),
            ("kab banyuasin", Ok("16.07")),
            ("Kabupaten Banyuasin", Ok("16.07")),
            ("Banyuasin", Ok("16.07")),
            ("OKI", Ok("16.02")),
            ("oki", Ok("16.02")),
            ("OKU Timur", Ok("16.08")),
            ("Muba", Ok("16.06")),
            ("PALI", Ok("16.12")),
            ("Kota Lubuklinggau", Ok("16.73")),
            ("16.02", Ok("16.02")),
            // one-letter typos
            ("Palembng", Ok("16.71")),
            ("Plaembang", Ok("16.71")),
            ("Prabumulh", Ok("16.74")),
            ("Kabupaten Lahatt", Ok("16.04")),
            // several fit
            ("Musi", Err("ambiguous_place")),
            ("Ogan Komering", Err("ambiguous_place")),
            // not here
            ("16.99", Err("unknown_regency")),
            ("31.71", Err("unknown_regency")),
            ("Kota Bandung", Err("unknown_regency")),
            ("", Err("unknown_regency")),
            ("   ", Err("unknown_regency")),
            ("Kab.", Err("unknown_regency")),
            ("OK", Err("unknown_regency")),
        ];
        for (input, want) in table {
            assert_eq!(regency(input), want.map(str::to_owned).map_err(str::to_owned), "{input:?}");
        }
        let garbage: String = "zq#x".repeat(50);
        assert_eq!(regency(&garbage), Err("unknown_regency".into()));
        assert_eq!(regency(&"a".repeat(200)), Err("unknown_regency".into()));
    }

    #[test]
    fn district_forms() {
        let a = areas();
        let oki = a.regency("OKI").unwrap();
        let plg = a.regency("Palembang").unwrap();
        let d = |r: &Area, input: &str| a.district(r, input).map(|d| d.code.clone()).map_err(|e| e.code());
        assert_eq!(d(oki, "kayu agung"), Ok("16.02.05".into()));
        assert_eq!(d(oki, "Kec. Kayu Agung"), Ok("16.02.05".into()));
        assert_eq!(d(oki, "KAYUAGUNG"), Ok("16.02.05".into()));
        assert_eq!(d(oki, "Kayu Agng"), Ok("16.02.05".into()));
        assert_eq!(d(oki, "16.02.05"), Ok("16.02.05".into()));
        assert_eq!(d(oki, "Mesuji"), Ok("16.02.04".into()), "an exact name wins over longer ones");
        assert_eq!(d(plg, "Kemuning"), Ok("16.71.09".into()));
        assert_eq!(d(plg, "kemunig"), Ok("16.71.09".into()));
        assert_eq!(d(plg, "Ilir Timur I"), Ok("16.71.05".into()));
        assert_eq!(d(plg, "Ilir Timur 2"), Ok("16.71.06".into()));
        assert_eq!(d(plg, "IT 3"), Ok("16.71.18".into()));
        let e = a.district(plg, "Ilir Timur").unwrap_err();
        assert_eq!(e.code(), "ambiguous_place");
        assert_eq!(e.candidates(), ["Ilir Timur Satu", "Ilir Timur Dua", "Ilir Timur Tiga"]);
        // a kecamatan of another regency names both
        let e = a.district(oki, "Kemuning").unwrap_err();
        assert_eq!(e.code(), "district_not_in_regency");
        let m = e.to_string();
        assert!(m.contains("Kota Palembang (16.71)") && m.contains("Kabupaten Ogan Komering Ilir (16.02)"), "{m}");
        assert_eq!(d(oki, "16.71.09"), Err("district_not_in_regency"));
        assert_eq!(d(oki, "16.02.99"), Err("unknown_district"));
        assert_eq!(d(oki, "Sukajadi Raya"), Err("unknown_district"));
        assert_eq!(d(oki, ""), Err("unknown_district"));
        assert_eq!(d(oki, &"x".repeat(200)), Err("unknown_district"));
    }

    #[test]
    fn village_forms() {
        let a = areas();
        let plg = a.regency("Palembang").unwrap();
        let kemuning = a.district(plg, "Kemuning").unwrap();
        let first = a.villages.iter().find(|v| v.parent == kemuning.code).unwrap().clone();
        let v = |d: Option<&Area>, input: &str| a.village(plg, d, input).map(|v| v.code.clone()).map_err(|e| e.code());
        assert_eq!(v(Some(kemuning), &first.name), Ok(first.code.clone()));
        assert_eq!(v(Some(kemuning), &format!("Kel. {}", first.name.to_lowercase())), Ok(first.code.clone()));
        assert_eq!(v(None, &first.name), Ok(first.code.clone()), "found in the regency without a kecamatan");
        assert_eq!(v(Some(kemuning), &first.code), Ok(first.code.clone()));
        let other = a.villages.iter().find(|x| x.parent == "16.71.07").unwrap();
        assert_eq!(v(Some(kemuning), &other.code), Err("village_not_in_district"));
        assert_eq!(v(Some(kemuning), "16.71.09.9999"), Err("unknown_village"));
        assert_eq!(v(Some(kemuning), "Desa Entah Berantah"), Err("unknown_village"));
    }

    #[test]
    fn normalising() {
        assert_eq!(normalize("Kec. Ilir Timur I"), "ilirtimursatu");
        assert_eq!(normalize("Kab.Banyuasin"), "banyuasin");
        assert_eq!(normalize("Kota"), "kota", "a lone prefix is the name");
        assert_eq!(distance("palembang", "palembng", 2), 1);
        assert_eq!(distance("abc", "xyzxyz", 1), 2);
    }

    #[test]
    fn approximate_points_are_stable_near_the_seat_and_apart() {
        let p = approximate_point(-2.976, 104.775, "16.71.09");
        assert_eq!(p, approximate_point(-2.976, 104.775, "16.71.09"));
        let q = approximate_point(-2.976, 104.775, "16.71.07");
        assert_ne!(p, q);
        for (lat, lon) in [p, q] {
            let r = ((lat + 2.976).powi(2) + (lon - 104.775).powi(2)).sqrt();
            assert!((0.039..=0.161).contains(&r), "{r}");
        }
    }
}
