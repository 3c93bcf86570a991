//! The units directory: the Polda, its Polres (each runs a node) and its satker, with the
//! regencies that make each Polres's jurisdiction.

use super::ids::{NodeCode, UnitCode};
use super::sop::Category;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Polda,
    Polres,
    Polrestabes,
    Satker,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polda => "polda",
            Self::Polres => "polres",
            Self::Polrestabes => "polrestabes",
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
    pub seat: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub handles: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Units {
    pub polda_code: NodeCode,
    pub polda_name: String,
    pub command_center: String,
    pub whatsapp: String,
    pub units: Vec<Unit>,
}

#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    #[error("the units file is not valid TOML or has unknown keys: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("the units file is inconsistent: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    polda: RawPolda,
    polres: Vec<RawPolres>,
    satker: Vec<RawSatker>,
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
        let raw: Raw = toml::from_str(text)?;
        let bad = |m: String| UnitsError::Invalid(m);
        let polda_code = NodeCode::parse(&raw.polda.code).map_err(|e| bad(e.to_string()))?;
        let mut units = vec![Unit {
            code: UnitCode::parse(&raw.polda.code).map_err(|e| bad(e.to_string()))?,
            name: raw.polda.name.clone(),
            kind: UnitKind::Polda,
            node: polda_code.clone(),
            regency: None,
            seat: Some(raw.polda.seat),
            lat: None,
            lon: None,
            handles: Category::ALL.to_vec(),
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
            units.push(Unit {
                code: UnitCode::parse(&p.code).map_err(|e| bad(e.to_string()))?,
                name: p.name,
                kind,
                node,
                regency: Some(p.regency),
                seat: Some(p.seat),
                lat: Some(p.lat),
                lon: Some(p.lon),
                handles: Category::ALL.to_vec(),
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
                seat: None,
                lat: None,
                lon: None,
                handles,
            });
        }
        for (i, u) in units.iter().enumerate() {
            if units[..i].iter().any(|x| x.code == u.code) {
                return Err(bad(format!("unit code {} appears twice", u.code)));
            }
            if let Some(r) = &u.regency {
                if units[..i].iter().any(|x| x.regency.as_ref() == Some(r)) {
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
        })
    }

    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.iter().find(|u| &u.code == code)
    }

    /// The exact regency name as written in the directory, matched without regard to case or
    /// surrounding spaces.
    pub fn regency(&self, name: &str) -> Option<&str> {
        let want = name.trim();
        self.units.iter().filter_map(|u| u.regency.as_deref()).find(|r| r.eq_ignore_ascii_case(want))
    }

    pub fn regencies(&self) -> impl Iterator<Item = &str> {
        self.units.iter().filter_map(|u| u.regency.as_deref())
    }

    /// The Polres whose territory is `regency`.
    pub fn unit_for_regency(&self, regency: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.regency.as_deref() == Some(regency))
    }

    /// Whether a node of this code exists in the directory (the Polda or a Polres).
    pub fn has_node(&self, node: &NodeCode) -> bool {
        self.units.iter().any(|u| &u.node == node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
