//! The units directory: the Polda, its Polres (each runs a node) and its satker, with the
//! regencies that make each Polres's jurisdiction.

use super::ids::{NodeCode, UnitCode};
use super::sop::Category;
use super::wilayah::Areas;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Polda,
    Polres,
    Polrestabes,
    /// a sector police station under a Polres: a unit on its Polres's node
    Polsek,
    Satker,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polda => "polda",
            Self::Polres => "polres",
            Self::Polrestabes => "polrestabes",
            Self::Polsek => "polsek",
            Self::Satker => "satker",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    /// the node that holds this unit's cases
    pub node: NodeCode,
    pub regency: Option<String>,
    /// the regency's official code (`16.71`), for a Polres
    pub regency_code: Option<String>,
    pub seat: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub handles: Vec<Category>,
    /// a Polsek's Polres
    pub parent: Option<UnitCode>,
    /// the kecamatan (codes) a Polsek covers
    pub districts: Vec<String>,
    /// marked as an example in the data: not a real list
    pub example: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Units {
    pub polda_code: NodeCode,
    pub polda_name: String,
    pub command_center: String,
    pub whatsapp: String,
    pub units: Vec<Unit>,
    /// the official areas (embedded), which the regencies and Polsek refer to
    pub areas: Arc<Areas>,
}

#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    #[error("the units file is not valid TOML or has unknown keys: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("the units file is inconsistent: {0}")]
    Invalid(String),
    #[error("the official areas: {0}")]
    Areas(#[from] super::wilayah::AreasError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    polda: RawPolda,
    polres: Vec<RawPolres>,
    satker: Vec<RawSatker>,
    #[serde(default)]
    polsek: Vec<RawPolsek>,
}

/// A Polsek: its Polres (a unit code) and the kecamatan it covers (official codes).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPolsek {
    pub code: String,
    pub name: String,
    pub polres: String,
    pub districts: Vec<String>,
    /// marks an entry shipped as an example, not a Polres's real list
    #[serde(default)]
    pub example: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolda {
    code: String,
    name: String,
    seat: String,
    command_center: String,
    whatsapp: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolres {
    code: String,
    name: String,
    kind: String,
    regency: String,
    /// the official code of the regency; found from the name when left out
    #[serde(default)]
    regency_code: Option<String>,
    seat: String,
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSatker {
    code: String,
    name: String,
    handles: Vec<String>,
}

impl Units {
    pub fn parse(text: &str) -> Result<Units, UnitsError> {
        Units::parse_with(text, Arc::new(Areas::embedded()?))
    }

    pub fn parse_with(text: &str, areas: Arc<Areas>) -> Result<Units, UnitsError> {
        let raw: Raw = toml::from_str(text)?;
        let bad = |m: String| UnitsError::Invalid(m);
        let polda_code = NodeCode::parse(&raw.polda.code).map_err(|e| bad(e.to_string()))?;
        let mut units = vec![Unit {
            code: UnitCode::parse(&raw.polda.code).map_err(|e| bad(e.to_string()))?,
            name: raw.polda.name.clone(),
            kind: UnitKind::Polda,
            node: polda_code.clone(),
            regency: None,
            regency_code: None,
            seat: Some(raw.polda.seat),
            lat: None,
            lon: None,
            handles: Category::ALL.to_vec(),
            parent: None,
            districts: Vec::new(),
            example: false,
        }];
        for p in raw.polres {
            let kind = match p.kind.as_str() {
                "polres" => UnitKind::Polres,
                "polrestabes" => UnitKind::Polrestabes,
                other => return Err(bad(format!("{}: kind {other:?} is not polres or polrestabes", p.code))),
            };
            let node = NodeCode::parse(&p.code).map_err(|e| bad(e.to_string()))?;
            if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
                return Err(bad(format!("{}: coordinates out of range", p.code)));
            }
            let by_name = areas.regency(&p.regency).ok();
            if let (Some(c), Some(n)) = (&p.regency_code, by_name) {
                if &n.code != c {
                    return Err(bad(format!("{}: regency {:?} is {}, not {c}", p.code, p.regency, n.code)));
                }
            }
            let official = match &p.regency_code {
                Some(c) => areas.regency_by_code(c),
                None => by_name,
            }
            .ok_or_else(|| {
                bad(format!(
                    "{}: regency {:?} ({:?}) is not an official regency code or name",
                    p.code, p.regency, p.regency_code
                ))
            })?;
            units.push(Unit {
                code: UnitCode::parse(&p.code).map_err(|e| bad(e.to_string()))?,
                name: p.name,
                kind,
                node,
                regency: Some(p.regency),
                regency_code: Some(official.code.clone()),
                seat: Some(p.seat),
                lat: Some(p.lat),
                lon: Some(p.lon),
                handles: Category::ALL.to_vec(),
                parent: None,
                districts: Vec::new(),
                example: false,
            });
        }
        for s in raw.satker {
            let handles = s
                .handles
                .iter()
                .map(|h| Category::parse(h).ok_or_else(|| bad(format!("{}: unknown category {h:?}", s.code))))
                .collect::<Result<Vec<_>, _>>()?;
            units.push(Unit {
                code: UnitCode::parse(&s.code).map_err(|e| bad(e.to_string()))?,
                name: s.name,
                kind: UnitKind::Satker,
                node: polda_code.clone(),
                regency: None,
                regency_code: None,
                seat: None,
                lat: None,
                lon: None,
                handles,
                parent: None,
                districts: Vec::new(),
                example: false,
            });
        }
        let polsek = check_polsek(&units, &raw.polsek, &areas).map_err(|e| bad(e.to_string()))?;
        units.extend(polsek);
        for (i, u) in units.iter().enumerate() {
            if units[..i].iter().any(|x| x.code == u.code) {
                return Err(bad(format!("unit code {} appears twice", u.code)));
            }
            if let Some(r) = u.regency_code.as_ref().filter(|_| u.kind != UnitKind::Polsek) {
                if units[..i].iter().any(|x| x.kind != UnitKind::Polsek && x.regency_code.as_ref() == Some(r)) {
                    return Err(bad(format!("regency {r} has two Polres")));
                }
            }
        }
        Ok(Units {
            polda_code,
            polda_name: raw.polda.name,
            command_center: raw.polda.command_center,
            whatsapp: raw.polda.whatsapp,
            units,
            areas,
        })
    }

    /// The Polres of an official regency code.
    pub fn unit_for_regency_code(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.regency_code.as_deref() == Some(code) && u.kind != UnitKind::Polsek)
    }

    /// The Polsek of `polres` that covers kecamatan `district`.
    pub fn polsek_for(&self, polres: &UnitCode, district: &str) -> Option<&Unit> {
        self.units.iter().find(|u| {
            u.kind == UnitKind::Polsek && u.parent.as_ref() == Some(polres) && u.districts.iter().any(|d| d == district)
        })
    }

    /// The Polsek of `polres`, in the order written.
    pub fn polsek_of<'a>(&'a self, polres: &'a UnitCode) -> impl Iterator<Item = &'a Unit> + 'a {
        self.units.iter().filter(move |u| u.kind == UnitKind::Polsek && u.parent.as_ref() == Some(polres))
    }

    /// These units with the Polsek of `polres` replaced by `list` (a Polres's saved list; an
    /// empty list leaves it without Polsek). Checked as the units file's entries are; entries
    /// naming another Polres are refused.
    pub fn with_polsek(&self, polres: &UnitCode, list: &[RawPolsek]) -> Result<Units, PolsekError> {
        if let Some((index, p)) = list.iter().enumerate().find(|(_, p)| p.polres != polres.as_str()) {
            let code = p.code.clone();
            return Err(PolsekError::NotHere { index, code, polres: p.polres.clone() });
        }
        let kept: Vec<Unit> = self
            .units
            .iter()
            .filter(|u| !(u.kind == UnitKind::Polsek && u.parent.as_ref() == Some(polres)))
            .cloned()
            .collect();
        let added = check_polsek(&kept, list, &self.areas)?;
        let mut next = self.clone();
        next.units = kept;
        next.units.extend(added);
        Ok(next)
    }

    /// The Polsek of `polres` as entries of a list (what `with_polsek` takes).
    pub fn polsek_list(&self, polres: &UnitCode) -> Vec<RawPolsek> {
        self.polsek_of(polres)
            .map(|u| RawPolsek {
                code: u.code.to_string(),
                name: u.name.clone(),
                polres: polres.to_string(),
                districts: u.districts.clone(),
                example: u.example,
            })
            .collect()
    }

    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.iter().find(|u| &u.code == code)
    }

    /// The exact regency name as written in the directory, matched without regard to case or
    /// surrounding spaces.
    pub fn regency(&self, name: &str) -> Option<&str> {
        let want = name.trim();
        self.regencies().find(|r| r.eq_ignore_ascii_case(want))
    }

    pub fn regencies(&self) -> impl Iterator<Item = &str> {
        self.units.iter().filter(|u| u.kind != UnitKind::Polsek).filter_map(|u| u.regency.as_deref())
    }

    /// The Polres whose territory is `regency`.
    pub fn unit_for_regency(&self, regency: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.regency.as_deref() == Some(regency) && u.kind != UnitKind::Polsek)
    }

    /// Whether a node of this code exists in the directory (the Polda or a Polres).
    pub fn has_node(&self, node: &NodeCode) -> bool {
        self.units.iter().any(|u| &u.node == node)
    }
}

/// Why a Polsek list is refused: each names the entry (`index` in the list, its code) and, for a
/// kecamatan, which one (`district`: its index in the entry's `districts`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolsekError {
    #[error("polsek {code:?}: {why}")]
    BadCode { index: usize, code: String, why: String },
    #[error("polsek {code}: the unit code appears twice")]
    CodeTaken { index: usize, code: String },
    #[error("polsek {code}: give a name of 1-100 characters")]
    BadName { index: usize, code: String },
    #[error("polsek {code}: {polres:?} is not a Polres")]
    NotPolres { index: usize, code: String, polres: String },
    #[error("polsek {code}: {polres} is not the Polres of this list: each list is one Polres's")]
    NotHere { index: usize, code: String, polres: String },
    #[error("polsek {code}: list the kecamatan it covers")]
    NoDistricts { index: usize, code: String },
    #[error("polsek {code}: kecamatan {district} is not an official kecamatan code")]
    UnknownDistrict { index: usize, code: String, at: usize, district: String },
    /// `home`: the Polres's regency and code, `16.02 of OKI`
    #[error(
        "polsek {code}: kecamatan {district} ({name}) is in regency {}, not in {home}",
        .district.rsplit_once('.').map_or("?", |(r, _)| r)
    )]
    OtherRegency { index: usize, code: String, at: usize, district: String, name: String, home: String },
    /// covered by another Polsek of the same Polres (`by`), or listed twice in one entry
    #[error(
        "polsek {code}: kecamatan {district} ({name}) is {}",
        .by.as_ref().map_or_else(|| "listed twice".to_owned(), |b| format!("already covered by {b}"))
    )]
    Twice { index: usize, code: String, at: usize, district: String, name: String, by: Option<String> },
}

impl PolsekError {
    /// The item at fault as a path into the list: `polsek[1]`, `polsek[1].districts[0]`.
    pub fn item(&self) -> String {
        use PolsekError as E;
        match self {
            E::UnknownDistrict { index, at, .. } | E::OtherRegency { index, at, .. } | E::Twice { index, at, .. } => {
                format!("polsek[{index}].districts[{at}]")
            }
            E::BadCode { index, .. } | E::CodeTaken { index, .. } => format!("polsek[{index}].code"),
            E::BadName { index, .. } => format!("polsek[{index}].name"),
            E::NotPolres { index, .. } | E::NotHere { index, .. } => format!("polsek[{index}].polres"),
            E::NoDistricts { index, .. } => format!("polsek[{index}].districts"),
        }
    }
}

/// Checks Polsek entries against the units so far (their Polres, every unit code) and the
/// official areas: each has a code of its own that starts with its Polres's code (so two posts
/// never pick the same one), names a Polres, covers kecamatan of its regency, and no kecamatan is
/// covered twice within a Polres. The error names the item.
pub fn check_polsek(units: &[Unit], list: &[RawPolsek], areas: &Areas) -> Result<Vec<Unit>, PolsekError> {
    let mut out: Vec<Unit> = Vec::new();
    for (index, p) in list.iter().enumerate() {
        let code = UnitCode::parse(&p.code).map_err(|e| PolsekError::BadCode {
            index,
            code: p.code.clone(),
            why: e.to_string(),
        })?;
        let c = code.to_string();
        if units.iter().chain(out.iter()).any(|u| u.code == code) {
            return Err(PolsekError::CodeTaken { index, code: c });
        }
        if p.name.trim().is_empty() || p.name.chars().count() > 100 {
            return Err(PolsekError::BadName { index, code: c });
        }
        let polres = units
            .iter()
            .find(|u| u.code.as_str() == p.polres && matches!(u.kind, UnitKind::Polres | UnitKind::Polrestabes))
            .ok_or_else(|| PolsekError::NotPolres { index, code: c.clone(), polres: p.polres.clone() })?;
        if !(c.starts_with(polres.code.as_str()) && c.len() > polres.code.as_str().len()) {
            let why = format!("the code starts with its Polres's code and goes on (e.g. {}KAG)", polres.code);
            return Err(PolsekError::BadCode { index, code: c, why });
        }
        let regency = polres.regency_code.as_deref().unwrap_or_default();
        if p.districts.is_empty() {
            return Err(PolsekError::NoDistricts { index, code: c });
        }
        for (at, d) in p.districts.iter().enumerate() {
            let area = areas.get(super::wilayah::Level::District, d).ok_or_else(|| PolsekError::UnknownDistrict {
                index,
                code: c.clone(),
                at,
                district: d.clone(),
            })?;
            if area.parent != regency {
                return Err(PolsekError::OtherRegency {
                    index,
                    code: c,
                    at,
                    district: d.clone(),
                    name: area.name.clone(),
                    home: format!("{regency} of {}", polres.code),
                });
            }
            let twice = |by: Option<String>| PolsekError::Twice {
                index,
                code: c.clone(),
                at,
                district: d.clone(),
                name: area.name.clone(),
                by,
            };
            let other = units
                .iter()
                .chain(out.iter())
                .find(|u| u.parent.as_ref() == Some(&polres.code) && u.districts.contains(d));
            if let Some(other) = other {
                return Err(twice(Some(other.code.to_string())));
            }
            if p.districts[..at].contains(d) {
                return Err(twice(None));
            }
        }
        out.push(Unit {
            code,
            name: p.name.trim().to_owned(),
            kind: UnitKind::Polsek,
            node: polres.node.clone(),
            regency: polres.regency.clone(),
            regency_code: polres.regency_code.clone(),
            seat: None,
            lat: None,
            lon: None,
            handles: Category::ALL.to_vec(),
            parent: Some(polres.code.clone()),
            districts: p.districts.clone(),
            example: p.example,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polsek_lists_are_checked_item_by_item() {
        let base = REFERENCE.split("[[polsek]]").next().unwrap().to_owned();
        let with = |entries: &str| Units::parse(&format!("{base}{entries}"));
        let u = Units::parse(REFERENCE).unwrap();
        let oki = UnitCode::parse("OKI").unwrap();
        let kag = u.polsek_for(&oki, "16.02.05").unwrap();
        assert_eq!(
            (kag.code.as_str(), kag.node.as_str(), kag.kind, kag.example),
            ("OKIKAG", "OKI", UnitKind::Polsek, true)
        );
        assert_eq!(u.polsek_of(&oki).count(), 2);
        assert!(u.polsek_for(&oki, "16.02.13").is_none(), "a kecamatan no Polsek covers");
        assert_eq!(u.regencies().count(), 17, "a Polsek adds no regency");
        assert_eq!(u.unit_for_regency("Kabupaten Ogan Komering Ilir").unwrap().code.as_str(), "OKI");
        let polsek = |code: &str, polres: &str, districts: &str| {
            format!("[[polsek]]\ncode = \"{code}\"\nname = \"Polsek {code}\"\npolres = \"{polres}\"\ndistricts = [{districts}]\n")
        };
        let table: Vec<(String, &str)> = vec![
            (
                polsek("OKIKAG", "OKI", "\"16.02.05\"") + &polsek("OKIJJW", "OKI", "\"16.02.05\""),
                "already covered by OKIKAG",
            ),
            (polsek("OKIKAG", "OKI", "\"16.02.05\", \"16.02.05\""), "listed twice"),
            (polsek("OKIKAG", "OKI", "\"16.71.09\""), "kecamatan 16.71.09 (Kemuning) is in regency 16.71"),
            (polsek("OKIKAG", "OKI", "\"16.02.99\""), "16.02.99 is not an official kecamatan code"),
            (polsek("OKIKAG", "XYZ", "\"16.02.05\""), "\"XYZ\" is not a Polres"),
            (polsek("OKIKAG", "DITLANTAS", "\"16.02.05\""), "is not a Polres"),
            (
                polsek("OKIKAG", "OKI", "\"16.02.05\"") + &polsek("OKIKAG", "OKI", "\"16.02.03\""),
                "polsek OKIKAG: the unit code appears twice",
            ),
            (polsek("PLG", "OKI", "\"16.02.05\""), "polsek PLG: the unit code appears twice"),
            (polsek("KAG", "OKI", "\"16.02.05\""), "starts with its Polres's code"),
            (polsek("OKI", "OKI", "\"16.02.05\""), "the unit code appears twice"),
            (polsek("OKIKAG", "OKI", ""), "list the kecamatan"),
        ];
        for (entries, want) in table {
            let e = with(&entries).unwrap_err().to_string();
            assert!(e.contains(want), "{entries}: {e}");
        }
        // the same kecamatan under two Polres is not possible; two Polres may each have a Polsek
        assert!(with(&(polsek("OKIKAG", "OKI", "\"16.02.05\"") + &polsek("PLGKMN", "PLG", "\"16.71.09\""))).is_ok());
    }

    /// A Polres's saved list replaces its Polsek only; every refusal names the item, and the
    /// units it was asked of do not change.
    #[test]
    fn a_saved_list_replaces_one_polres_polsek_and_names_the_item_it_refuses() {
        let u = Units::parse(REFERENCE).unwrap();
        let oki = UnitCode::parse("OKI").unwrap();
        let entry = |code: &str, districts: &[&str]| RawPolsek {
            code: code.into(),
            name: format!("Polsek {code}"),
            polres: "OKI".into(),
            districts: districts.iter().map(|d| d.to_string()).collect(),
            example: false,
        };
        let next = u.with_polsek(&oki, &[entry("OKIJJW", &["16.02.05", "16.02.17"])]).unwrap();
        assert_eq!(next.polsek_for(&oki, "16.02.05").unwrap().code.as_str(), "OKIJJW");
        assert!(next.get(&UnitCode::parse("OKIKAG").unwrap()).is_none(), "the old entries are gone");
        assert_eq!(next.polsek_list(&oki), vec![entry("OKIJJW", &["16.02.05", "16.02.17"])]);
        assert_eq!(next.units.len(), u.units.len() - 1);
        assert_eq!(u.with_polsek(&oki, &[]).unwrap().polsek_of(&oki).count(), 0);
        let table: Vec<(Vec<RawPolsek>, &str)> = vec![
            (vec![entry("OKIA", &["16.02.05"]), entry("OKIB", &["16.02.03", "16.02.05"])], "polsek[1].districts[1]"),
            (vec![entry("OKIA", &["16.02.05", "16.71.09"])], "polsek[0].districts[1]"),
            (vec![entry("OKIA", &["16.02.99"])], "polsek[0].districts[0]"),
            (vec![entry("OKIA", &["16.02.05"]), entry("PLGA", &["16.02.03"])], "polsek[1].code"),
            (vec![entry("DITLANTAS", &["16.02.05"])], "polsek[0].code"),
            (vec![entry("OKIA", &[])], "polsek[0].districts"),
            (vec![RawPolsek { polres: "PLG".into(), ..entry("PLGA", &["16.71.09"]) }], "polsek[0].polres"),
        ];
        for (list, item) in table {
            let e = u.with_polsek(&oki, &list).unwrap_err();
            assert_eq!(e.item(), item, "{e}");
        }
        assert_eq!(u, Units::parse(REFERENCE).unwrap());
    }

    #[test]
    fn regencies_are_linked_to_their_official_codes() {
        let u = Units::parse(REFERENCE).unwrap();
        for p in u.units.iter().filter(|u| matches!(u.kind, UnitKind::Polres | UnitKind::Polrestabes)) {
            let code = p.regency_code.as_deref().unwrap();
            assert!(u.areas.regency_by_code(code).is_some(), "{}", p.code);
            assert_eq!(u.unit_for_regency_code(code).unwrap().code, p.code);
        }
        assert_eq!(u.unit_for_regency("Kota Lubuklinggau").unwrap().regency_code.as_deref(), Some("16.73"));
        let wrong = REFERENCE.replacen("regency_code = \"16.71\"", "regency_code = \"16.72\"", 1);
        assert!(Units::parse(&wrong).unwrap_err().to_string().contains("is 16.71, not 16.72"));
    }

    const REFERENCE: &str = include_str!("../../data/polda-sumsel-units.toml");

    #[test]
    fn reference_units_parse() {
        let u = Units::parse(REFERENCE).unwrap();
        assert_eq!(u.polda_code.as_str(), "SUMSEL");
        assert_eq!(u.regencies().count(), 17);
        let plg = u.unit_for_regency("Kota Palembang").unwrap();
        assert_eq!(plg.code.as_str(), "PLG");
        assert_eq!(plg.node.as_str(), "PLG");
        let reskrim = u.get(&UnitCode::parse("DITRESKRIMUM").unwrap()).unwrap();
        assert_eq!(reskrim.node.as_str(), "SUMSEL");
        assert_eq!(u.regency(" kota palembang "), Some("Kota Palembang"));
        assert_eq!(u.regency("Kota Jakarta"), None);
        assert!(u.has_node(&NodeCode::parse("OKI").unwrap()));
        assert!(!u.has_node(&NodeCode::parse("XYZ").unwrap()));
    }
}
