//! Open311 GeoReport v2, the pure part: where a point lies (the Polda's territory, the nearest
//! regency seat), how the workflow maps to Open311's `open`/`closed`, the services' extra
//! attributes, and the W3C datetimes of its queries. No I/O.

use super::sop::Category;
use super::time::Millis;
use super::units::Units;
use super::workflow::State;

/// An approximate outline of Sumatera Selatan as (latitude, longitude) vertices, traced by hand
/// along its borders with Jambi (north), the Bangka Strait (east), Lampung (south) and Bengkulu
/// (west), to within about 10-20 km. "Inside the Polda's territory" means inside this polygon
/// (even-odd rule). It is coarse on purpose: it tells a point in South Sumatra from one in a
/// neighbouring province, not one kecamatan from the next.
pub const SUMSEL_OUTLINE: [(f64, f64); 17] = [
    (-2.95, 102.05),
    (-2.35, 102.55),
    (-2.10, 103.30),
    (-1.70, 104.00),
    (-1.55, 104.55),
    (-1.95, 104.95),
    (-2.40, 105.70),
    (-3.20, 106.10),
    (-3.95, 105.85),
    (-4.30, 104.95),
    (-4.70, 104.40),
    (-5.00, 104.00),
    (-4.90, 103.60),
    (-4.40, 103.25),
    (-4.05, 102.85),
    (-3.55, 102.35),
    (-3.20, 102.05),
];

/// Whether (`lat`, `lon`) lies inside `outline` (even-odd ray casting).
pub fn inside(outline: &[(f64, f64)], lat: f64, lon: f64) -> bool {
    if !lat.is_finite() || !lon.is_finite() {
        return false;
    }
    let mut inside = false;
    let n = outline.len();
    for i in 0..n {
        let (ay, ax) = outline[i];
        let (by, bx) = outline[(i + n - 1) % n];
        if (ay > lat) != (by > lat) && lon < (bx - ax) * (lat - ay) / (by - ay) + ax {
            inside = !inside;
        }
    }
    inside
}

/// The regency whose Polres seat is nearest to (`lat`, `lon`) (equirectangular distance, good
/// enough within one province), or `None` when the point is outside the territory.
pub fn regency_at(units: &Units, lat: f64, lon: f64) -> Option<&str> {
    if !inside(&SUMSEL_OUTLINE, lat, lon) {
        return None;
    }
    let k = lat.to_radians().cos();
    units
        .units
        .iter()
        .filter_map(|u| Some((u.regency.as_deref()?, u.lat?, u.lon?)))
        .map(|(r, ulat, ulon)| (r, (ulat - lat).powi(2) + ((ulon - lon) * k).powi(2)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| r)
}

/// The regency an address names: the first regency (or the seat of its Polres) whose name the
/// address contains, longest names first ("Kota Palembang" before "Palembang").
pub fn regency_named<'u>(units: &'u Units, address: &str) -> Option<&'u str> {
    let text = address.to_lowercase();
    let mut names: Vec<(String, &str)> = Vec::new();
    for u in &units.units {
        let Some(r) = u.regency.as_deref() else { continue };
        names.push((r.to_lowercase(), r));
        let bare = r.trim_start_matches("Kabupaten ").trim_start_matches("Kota ");
        names.push((bare.to_lowercase(), r));
        if let Some(seat) = &u.seat {
            names.push((seat.to_lowercase(), r));
        }
    }
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    names.into_iter().find(|(n, _)| text.contains(n.as_str())).map(|(_, r)| r)
}

/// Open311's two statuses: a case is `closed` once resolved, closed or rejected.
pub fn status(state: State) -> &'static str {
    match state {
        State::Resolved | State::Closed | State::Rejected => "closed",
        _ => "open",
    }
}

/// The kind of value an attribute takes (Open311 `datatype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    String,
    Datetime,
    SingleValueList,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Datetime => "datetime",
            Self::SingleValueList => "singlevaluelist",
        }
    }
}

/// An extra question a service asks (Open311 `attribute`); its answer is added to the report's
/// description, under its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// its Open311 `code` (named `id` here: the `code`s of this codebase are error codes)
    pub id: &'static str,
    pub datatype: Datatype,
    pub required: bool,
    /// what the partner's app shows, in Bahasa Indonesia
    pub description: &'static str,
    /// (key, name) for a single-value list
    pub values: &'static [(&'static str, &'static str)],
    pub order: u32,
}

const CRIME: [Attribute; 2] = [
    Attribute {
        id: "waktu_kejadian",
        datatype: Datatype::Datetime,
        required: false,
        description: "Kapan kejadian itu terjadi?",
        values: &[],
        order: 1,
    },
    Attribute {
        id: "ada_korban",
        datatype: Datatype::SingleValueList,
        required: false,
        description: "Apakah ada korban luka?",
        values: &[("ya", "Ya"), ("tidak", "Tidak"), ("tidak_tahu", "Tidak tahu")],
        order: 2,
    },
];

/// The attributes a category asks (only crime asks any).
pub fn attributes(c: Category) -> &'static [Attribute] {
    match c {
        Category::Crime => &CRIME,
        _ => &[],
    }
}

/// What a category is, for a partner's app, in Bahasa Indonesia.
pub fn service_description(c: Category) -> &'static str {
    match c {
        Category::Crime => {
            "Laporkan peristiwa tindak pidana yang terjadi atau sedang terjadi (pencurian, penganiayaan, \
             penipuan...). Keadaan darurat: hubungi 110."
        }
        Category::Information => "Pertanyaan tentang layanan kepolisian: SKCK, SIM, surat kehilangan, dan lainnya.",
        Category::Feedback => "Kritik dan saran untuk Polri; pengaduan tentang sikap petugas diteruskan ke Propam.",
        Category::Appreciation => "Apresiasi untuk satuan atau petugas Polri yang membantu Anda.",
    }
}

/// Why an answer to an attribute is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeError {
    Unknown(String),
    Missing(&'static str),
    BadValue(&'static str),
}

/// Checks the answers to a category's attributes and returns the lines to add to the
/// description ("label: value"), in the attributes' order.
pub fn check_attributes(c: Category, given: &[(String, String)]) -> Result<Vec<String>, AttributeError> {
    let defs = attributes(c);
    if let Some((code, _)) = given.iter().find(|(code, _)| !defs.iter().any(|a| a.id == code)) {
        return Err(AttributeError::Unknown(code.clone()));
    }
    let mut lines = Vec::new();
    for a in defs {
        let v = given.iter().rev().find(|(code, _)| code == a.id).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let Some(v) = v else {
            if a.required {
                return Err(AttributeError::Missing(a.id));
            }
            continue;
        };
        let shown = match a.datatype {
            Datatype::String => v.chars().take(200).collect(),
            Datatype::Datetime => {
                let at = parse_datetime(v).ok_or(AttributeError::BadValue(a.id))?;
                at.rfc3339(super::time::WIB)
            }
            Datatype::SingleValueList => {
                a.values.iter().find(|(k, _)| *k == v).ok_or(AttributeError::BadValue(a.id))?.1.to_owned()
            }
        };
        lines.push(format!("{}: {shown}", a.description.trim_end_matches('?')));
    }
    Ok(lines)
}

/// A W3C datetime as Open311 queries carry it: RFC 3339 (`2026-12-01T00:00:00Z`,
/// `2026-12-01T07:00:00+07:00`), or a date alone (`2026-12-01`, midnight WIB).
pub fn parse_datetime(s: &str) -> Option<Millis> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    let t = match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => t,
        Err(_) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(s, &fmt).ok()?.midnight().assume_offset(super::time::WIB)
        }
    };
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms).ok().map(Millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Units {
        Units::parse(include_str!("../../data/polda-sumsel-units.toml")).unwrap()
    }

    #[test]
    fn every_polres_seat_is_inside_and_the_neighbouring_capitals_are_not() {
        let u = units();
        for unit in &u.units {
            if let (Some(lat), Some(lon)) = (unit.lat, unit.lon) {
                assert!(inside(&SUMSEL_OUTLINE, lat, lon), "{} ({lat}, {lon}) is outside", unit.code);
                assert_eq!(regency_at(&u, lat, lon), unit.regency.as_deref(), "{}", unit.code);
            }
        }
        for (place, lat, lon) in [
            ("Jambi", -1.61, 103.61),
            ("Bengkulu", -3.80, 102.26),
            ("Bandar Lampung", -5.43, 105.26),
            ("Pangkal Pinang", -2.13, 106.11),
            ("Jakarta", -6.2, 106.82),
            ("Null Island", 0.0, 0.0),
        ] {
            assert!(!inside(&SUMSEL_OUTLINE, lat, lon), "{place} is inside");
            assert_eq!(regency_at(&u, lat, lon), None, "{place}");
        }
        assert!(!inside(&SUMSEL_OUTLINE, f64::NAN, 104.0));
    }

    #[test]
    fn a_point_goes_to_the_nearest_seat() {
        let u = units();
        // Pasar 16 Ilir, Palembang
        assert_eq!(regency_at(&u, -2.99, 104.76), Some("Kota Palembang"));
        // near Kayu Agung
        assert_eq!(regency_at(&u, -3.40, 104.85), Some("Kabupaten Ogan Komering Ilir"));
    }

    #[test]
    fn an_address_names_its_regency() {
        let u = units();
        for (addr, want) in [
            ("Jl. Merdeka 1, Kota Palembang", Some("Kota Palembang")),
            ("Jl. Sudirman, Palembang", Some("Kota Palembang")),
            ("Desa X, Kayu Agung", Some("Kabupaten Ogan Komering Ilir")),
            ("Jl. Lintas, Musi Banyuasin", Some("Kabupaten Musi Banyuasin")),
            ("Jl. Thamrin, Jakarta", None),
        ] {
            assert_eq!(regency_named(&u, addr), want, "{addr}");
        }
    }

    #[test]
    fn statuses_map_to_open_and_closed() {
        for s in State::ALL {
            let want = matches!(s, State::Resolved | State::Closed | State::Rejected);
            assert_eq!(status(s) == "closed", want, "{s:?}");
        }
    }

    #[test]
    fn datetimes_parse_as_w3c_says() {
        assert_eq!(parse_datetime("1970-01-01T00:00:01Z"), Some(Millis(1000)));
        assert_eq!(parse_datetime("1970-01-01T07:00:01+07:00"), Some(Millis(1000)));
        assert_eq!(parse_datetime("1970-01-02"), Some(Millis(17 * 3_600_000)));
        for bad in ["", "yesterday", "2026-13-01", "2026-12-01T25:00:00Z", "01/12/2026"] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn attributes_are_checked_and_written_out() {
        let g = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(
            check_attributes(Category::Crime, &g(&[("ada_korban", "ya")])),
            Ok(vec!["Apakah ada korban luka: Ya".into()])
        );
        assert_eq!(
            check_attributes(Category::Crime, &g(&[("ada_korban", "mungkin")])),
            Err(AttributeError::BadValue("ada_korban"))
        );
        assert_eq!(
            check_attributes(Category::Crime, &g(&[("waktu_kejadian", "kemarin")])),
            Err(AttributeError::BadValue("waktu_kejadian"))
        );
        assert_eq!(
            check_attributes(Category::Information, &g(&[("x", "1")])),
            Err(AttributeError::Unknown("x".into()))
        );
        assert_eq!(check_attributes(Category::Information, &[]), Ok(vec![]));
    }
}
