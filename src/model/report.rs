//! Checking a new report at intake. Every failure names the field, so a form can show the
//! message next to it.

use super::event::{Channel, Location, Reporter};
use super::ids::Phone;
use super::sop::{Category, Priority, Sop};
use super::units::Units;
use super::wilayah::{Level, PlaceError};

pub const DESCRIPTION_MIN: usize = 10;
pub const DESCRIPTION_MAX: usize = 4000;
pub const NAME_MAX: usize = 100;
pub const ADDRESS_MAX: usize = 500;

/// A report as it arrives, every field optional; `check` turns it into a `NewReport` or says
/// which field is wrong.
#[derive(Debug, Clone, Default)]
pub struct RawReport {
    pub category: Option<String>,
    pub description: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub regency: Option<String>,
    /// kecamatan, by code or name (optional)
    pub district: Option<String>,
    /// desa/kelurahan, by code or name (optional)
    pub village: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub priority: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub category: Category,
    pub priority: Priority,
    pub description: String,
    pub reporter: Reporter,
    pub location: Location,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// stable error code: missing_field, invalid_field, unknown_category, unknown_regency,
    /// unknown_district, unknown_village, ambiguous_place, district_not_in_regency,
    /// village_not_in_district, invalid_phone
    pub code: &'static str,
    /// the JSON path of the field, e.g. `reporter.phone`
    pub field: &'static str,
    pub message: String,
}

fn missing(field: &'static str) -> FieldError {
    FieldError { code: "missing_field", field, message: format!("{field} is required") }
}

fn invalid(field: &'static str, message: String) -> FieldError {
    FieldError { code: "invalid_field", field, message }
}

fn text(field: &'static str, v: Option<String>, min: usize, max: usize) -> Result<String, FieldError> {
    let v = v.ok_or_else(|| missing(field))?;
    let t = v.trim();
    if t.is_empty() {
        return Err(missing(field));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(invalid(field, format!("{field} contains control characters")));
    }
    let n = t.chars().count();
    if n < min {
        return Err(invalid(field, format!("{field} is too short: write at least {min} characters")));
    }
    if n > max {
        return Err(invalid(field, format!("{field} is too long: at most {max} characters")));
    }
    Ok(t.to_owned())
}

fn place_error(e: PlaceError) -> FieldError {
    let mut message = e.to_string();
    if e.level() == Level::Regency && e.code() == "unknown_regency" {
        message.push_str("; choose one from the list (GET /api/v1/units)");
    }
    FieldError { code: e.code(), field: e.level().field(), message }
}

/// The location's place: the regency (by code, official name, alias or a close typo, as the
/// units directory names it), and the kecamatan and desa/kelurahan when given, as codes plus
/// what was typed. A kecamatan of another regency, or a desa of another kecamatan, is refused
/// naming both.
pub fn place(
    units: &Units,
    regency: &str,
    district: Option<&str>,
    village: Option<&str>,
) -> Result<Location, FieldError> {
    let areas = &units.areas;
    let unknown = |input: &str| FieldError {
        code: "unknown_regency",
        field: "location.regency",
        message: format!("regency {input:?} is not in South Sumatra; choose one from the list (GET /api/v1/units)"),
    };
    let given = |s: Option<&str>| {
        s.map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(NAME_MAX).collect::<String>())
    };
    let (district, village) = (given(district), given(village));
    let official = match areas.regency(regency) {
        Ok(a) => a,
        // a units file may name a regency the official list does not hold: by its exact name
        Err(e) => match units.regency(regency) {
            Some(name) if district.is_none() && village.is_none() => {
                return Ok(Location { regency: name.to_owned(), ..Location::default() })
            }
            _ => return Err(place_error(e)),
        },
    };
    let name =
        units.unit_for_regency_code(&official.code).and_then(|u| u.regency.clone()).ok_or_else(|| unknown(regency))?;
    let d = match &district {
        Some(t) => Some(areas.district(official, t).map_err(place_error)?),
        None => None,
    };
    let v = match &village {
        Some(t) => Some(areas.village(official, d, t).map_err(place_error)?),
        None => None,
    };
    // a desa found without its kecamatan gives the kecamatan
    let district_code = d.map(|d| d.code.clone()).or_else(|| v.map(|v| v.parent.clone()));
    Ok(Location {
        regency: name,
        regency_code: Some(official.code.clone()),
        district_code,
        district,
        village_code: v.map(|v| v.code.clone()),
        village,
        ..Location::default()
    })
}

/// Checks a report. `staff_priority` is honoured only for call-takers (a citizen cannot set it).
pub fn check(raw: RawReport, channel: Channel, sop: &Sop, units: &Units) -> Result<NewReport, FieldError> {
    let category_s = raw.category.ok_or_else(|| missing("category"))?;
    let category = Category::parse(category_s.trim()).ok_or_else(|| FieldError {
        code: "unknown_category",
        field: "category",
        message: format!("category {category_s:?} is unknown: use information, feedback, appreciation or crime"),
    })?;
    let description = text("description", raw.description, DESCRIPTION_MIN, DESCRIPTION_MAX)?;
    let name = text("reporter.name", raw.reporter_name, 1, NAME_MAX)?;
    let phone_s = raw.reporter_phone.ok_or_else(|| missing("reporter.phone"))?;
    if phone_s.trim().is_empty() {
        return Err(missing("reporter.phone"));
    }
    let phone = Phone::parse(&phone_s).map_err(|e| FieldError {
        code: "invalid_phone",
        field: "reporter.phone",
        message: e.to_string(),
    })?;
    let regency_s = raw.regency.ok_or_else(|| missing("location.regency"))?;
    let place = place(units, &regency_s, raw.district.as_deref(), raw.village.as_deref())?;
    let address = text("location.address", raw.address, 3, ADDRESS_MAX)?;
    match (raw.lat, raw.lon) {
        (None, None) => {}
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
                return Err(invalid("location.lat", "location.lat must be between -90 and 90".into()));
            }
            if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
                return Err(invalid("location.lon", "location.lon must be between -180 and 180".into()));
            }
        }
        (Some(_), None) => return Err(missing("location.lon")),
        (None, Some(_)) => return Err(missing("location.lat")),
    }
    let priority = match (raw.priority, channel) {
        (None, _) => sop.default_priority(category),
        (Some(_), Channel::Web | Channel::Whatsapp | Channel::Open311) => {
            return Err(invalid("priority", "priority is set by the operator, not by the reporter".into()))
        }
        (Some(p), _) => {
            let p = Priority::parse(&p).filter(|p| sop.allows_priority(category, *p)).ok_or_else(|| {
                let allowed: Vec<_> = sop.category(category).priorities.iter().map(|p| p.as_str()).collect();
                invalid(
                    "priority",
                    format!("priority {p:?} is not allowed for {}: use {}", category.as_str(), allowed.join(", ")),
                )
            })?;
            p
        }
    };
    Ok(NewReport {
        category,
        priority,
        description,
        reporter: Reporter { name, phone },
        location: Location { address, lat: raw.lat, lon: raw.lon, ..place },
        channel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sop() -> Sop {
        Sop::parse(include_str!("../../data/sop-reference.toml")).unwrap()
    }
    fn units() -> Units {
        Units::parse(include_str!("../../data/polda-sumsel-units.toml")).unwrap()
    }
    fn good() -> RawReport {
        RawReport {
            category: Some("crime".into()),
            description: Some("Motor saya dicuri di depan pasar".into()),
            reporter_name: Some("Budi".into()),
            reporter_phone: Some("0812-3456-7890".into()),
            regency: Some("kota palembang".into()),
            address: Some("Jl. Merdeka 1".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_report_is_normalised() {
        let r = check(good(), Channel::Web, &sop(), &units()).unwrap();
        assert_eq!(r.reporter.phone.as_str(), "+6281234567890");
        assert_eq!(r.location.regency, "Kota Palembang");
        assert_eq!(r.priority, Priority::Normal);
    }

    #[test]
    fn each_bad_field_is_named() {
        type Edit = fn(&mut RawReport);
        let table: Vec<(Edit, &str, &str)> = vec![
            (|r| r.category = None, "missing_field", "category"),
            (|r| r.category = Some("gossip".into()), "unknown_category", "category"),
            (|r| r.description = None, "missing_field", "description"),
            (|r| r.description = Some("   ".into()), "missing_field", "description"),
            (|r| r.description = Some("too short".into()), "invalid_field", "description"),
            (|r| r.description = Some("x".repeat(4001)), "invalid_field", "description"),
            (|r| r.reporter_name = None, "missing_field", "reporter.name"),
            (|r| r.reporter_phone = Some("123".into()), "invalid_phone", "reporter.phone"),
            (|r| r.reporter_phone = None, "missing_field", "reporter.phone"),
            (|r| r.regency = Some("Kota Bandung".into()), "unknown_regency", "location.regency"),
            (|r| r.address = None, "missing_field", "location.address"),
            (|r| r.lat = Some(-3.0), "missing_field", "location.lon"),
            (
                |r| {
                    r.lat = Some(95.0);
                    r.lon = Some(104.0)
                },
                "invalid_field",
                "location.lat",
            ),
            (|r| r.priority = Some("emergency".into()), "invalid_field", "priority"),
        ];
        for (edit, code, field) in table {
            let mut raw = good();
            edit(&mut raw);
            let e = check(raw, Channel::Web, &sop(), &units()).unwrap_err();
            assert_eq!((e.code, e.field), (code, field), "{}", e.message);
        }
    }

    #[test]
    fn call_takers_may_set_a_priority_the_category_has() {
        let mut raw = good();
        raw.priority = Some("emergency".into());
        assert_eq!(check(raw.clone(), Channel::Phone, &sop(), &units()).unwrap().priority, Priority::Emergency);
        raw.category = Some("information".into());
        assert_eq!(check(raw, Channel::Phone, &sop(), &units()).unwrap_err().field, "priority");
    }
}
