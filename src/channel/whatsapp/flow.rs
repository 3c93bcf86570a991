//! The WhatsApp conversation in Bahasa Indonesia, as a pure state machine: (state, message) ->
//! (state, effects). The worker does the I/O the effects ask for.

use crate::model::units::Units;
use crate::model::{Category, Millis};
use serde::{Deserialize, Serialize};

/// A conversation expires after this long without a message from the reporter.
pub const IDLE_MS: u64 = 30 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    #[default]
    Idle,
    AskedCategory,
    AskedStory {
        category: Category,
    },
    AskedLocation {
        category: Category,
        story: String,
    },
    AskedRegency {
        category: Category,
        story: String,
        address: String,
        lat: Option<f64>,
        lon: Option<f64>,
    },
    AskedConfirm {
        category: Category,
        story: String,
        regency: String,
        address: String,
        lat: Option<f64>,
        lon: Option<f64>,
        /// the kecamatan (official code), once named
        #[serde(default, skip_serializing_if = "Option::is_none")]
        district: Option<String>,
        /// kecamatan codes offered as numbered choices (the name fitted several)
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        choices: Vec<String>,
    },
}

/// What is kept per WhatsApp number between messages (survives restarts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Conversation {
    pub step: Step,
    /// media ids of photos sent during this report
    pub attachments: Vec<String>,
    /// time of the reporter's last message (the 24-hour customer-service window)
    pub last_inbound: Millis,
    pub profile_name: String,
}

/// A message as the flow sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Text(String),
    Location {
        lat: f64,
        lon: f64,
        address: Option<String>,
    },
    Image {
        media_id: String,
        caption: Option<String>,
    },
    /// a type the service cannot use (sticker, audio, ...)
    Unsupported(String),
}

/// A report ready to be filed.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub category: Category,
    pub story: String,
    pub regency: String,
    /// the kecamatan's official code, if the reporter named it
    pub district: Option<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Reply(String),
    /// file the report; the reply carries the ticket
    File(Draft),
    /// answer the status of a ticket (if it is this number's)
    Check(String),
    /// fetch a photo from the Graph API
    FetchMedia(String),
}

pub const MENU: &str = "Selamat datang di Layanan Bantuan Polisi (Banpol) Polda Sumatera Selatan.\n\
Jika ada nyawa dalam bahaya, segera hubungi 110.\n\n\
Balas dengan angka:\n\
1 Informasi\n\
2 Kritik dan Saran\n\
3 Apresiasi\n\
4 Laporan Tindak Pidana\n\n\
Untuk melihat status laporan, ketik CEK <nomor tiket>. Ketik BATAL untuk membatalkan.";

/// The menu's numbers, in the order `MENU` lists them.
const CATEGORIES: [(&str, Category); 4] =
    [("1", Category::Information), ("2", Category::Feedback), ("3", Category::Appreciation), ("4", Category::Crime)];

fn label(category: Category) -> &'static str {
    match category {
        Category::Information => "Informasi",
        Category::Feedback => "Kritik dan Saran",
        Category::Appreciation => "Apresiasi",
        Category::Crime => "Laporan Tindak Pidana",
    }
}

fn core(regency: &str) -> String {
    regency.trim_start_matches("Kabupaten ").trim_start_matches("Kota ").to_lowercase()
}

/// The regency a text names ("Jl. Merdeka 1, Palembang" -> "Kota Palembang"), if exactly one.
/// A name inside a longer one ("Banyuasin" in "Musi Banyuasin") gives way to the longer.
pub fn regency_in(text: &str, units: &Units) -> Option<String> {
    let t = text.to_lowercase();
    let hits: Vec<&str> = units.regencies().filter(|r| t.contains(&core(r))).collect();
    let kept: Vec<&str> =
        hits.iter().copied().filter(|h| !hits.iter().any(|o| o != h && core(o).contains(&core(h)))).collect();
    (kept.len() == 1).then(|| kept[0].to_owned())
}

/// The regency of the Polres seat nearest to a shared location, if it is within the territory
/// margin (about 1 degree).
pub fn regency_near(lat: f64, lon: f64, units: &Units) -> Option<String> {
    units
        .units
        .iter()
        .filter_map(|u| Some((u.regency.as_ref()?, u.lat?, u.lon?)))
        .map(|(r, a, b)| (r, (a - lat).powi(2) + (b - lon).powi(2)))
        .filter(|(_, d2)| *d2 <= 1.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| r.clone())
}

/// One step of the conversation. `now` is the message's own time.
pub fn step(mut c: Conversation, input: Input, now: Millis, units: &Units) -> (Conversation, Vec<Effect>) {
    let mut fx = Vec::new();
    if c.step != Step::Idle && now.0 > c.last_inbound.0 + IDLE_MS {
        c.step = Step::Idle;
        c.attachments.clear();
        fx.push(Effect::Reply("Sesi sebelumnya berakhir karena tidak ada balasan. Silakan mulai lagi.".into()));
    }
    c.last_inbound = c.last_inbound.max(now);
    let text = match &input {
        Input::Text(t) => Some(t.trim().to_owned()),
        _ => None,
    };
    let upper = text.as_deref().map(str::to_uppercase).unwrap_or_default();
    if let Some(rest) = upper.strip_prefix("CEK") {
        fx.push(Effect::Check(rest.trim().to_owned()));
        return (c, fx);
    }
    if upper == "BATAL" {
        c.step = Step::Idle;
        c.attachments.clear();
        fx.push(Effect::Reply("Laporan dibatalkan. Ketik apa saja untuk memulai lagi.".into()));
        return (c, fx);
    }
    if let Input::Unsupported(kind) = &input {
        fx.push(Effect::Reply(format!(
            "Maaf, pesan jenis {kind} belum dapat kami terima. Silakan kirim teks, foto, atau lokasi."
        )));
        return (c, fx);
    }
    if let Input::Image { media_id, caption } = &input {
        c.attachments.push(media_id.clone());
        fx.push(Effect::FetchMedia(media_id.clone()));
        if let (Step::AskedStory { category }, Some(cap)) = (&c.step, caption) {
            if cap.trim().chars().count() >= 10 {
                c.step = Step::AskedLocation { category: *category, story: cap.trim().to_owned() };
                fx.push(Effect::Reply(ASK_LOCATION.into()));
                return (c, fx);
            }
        }
        if c.step == Step::Idle {
            c.step = Step::AskedCategory;
            fx.push(Effect::Reply(format!("Foto diterima.\n\n{MENU}")));
        } else {
            fx.push(Effect::Reply("Foto diterima dan akan dilampirkan pada laporan.".into()));
        }
        return (c, fx);
    }
    let step = std::mem::take(&mut c.step);
    c.step = match (step, input) {
        (Step::Idle, Input::Text(t)) => match CATEGORIES.iter().find(|(k, _)| *k == t.trim()) {
            Some((_, cat)) => ask_story(*cat, &mut fx),
            None => {
                fx.push(Effect::Reply(MENU.into()));
                Step::AskedCategory
            }
        },
        (Step::AskedCategory, Input::Text(t)) => match CATEGORIES.iter().find(|(k, _)| *k == t.trim()) {
            Some((_, cat)) => ask_story(*cat, &mut fx),
            None => {
                fx.push(Effect::Reply(format!("Mohon balas dengan angka 1, 2, 3 atau 4.\n\n{MENU}")));
                Step::AskedCategory
            }
        },
        (Step::AskedStory { category }, Input::Text(t)) => {
            if t.chars().count() < 10 {
                fx.push(Effect::Reply("Mohon ceritakan lebih lengkap (minimal 10 huruf): apa, kapan, siapa.".into()));
                Step::AskedStory { category }
            } else {
                fx.push(Effect::Reply(ASK_LOCATION.into()));
                Step::AskedLocation { category, story: t }
            }
        }
        (Step::AskedLocation { category, story }, Input::Location { lat, lon, address }) => {
            let address = address.unwrap_or_else(|| format!("Lokasi dibagikan ({lat:.5}, {lon:.5})"));
            match regency_near(lat, lon, units) {
                Some(regency) => {
                    confirm(Draft::new(category, story, regency, address, Some(lat), Some(lon)), units, &mut fx)
                }
                None => {
                    fx.push(Effect::Reply(
                        "Lokasi tersebut di luar wilayah Polda Sumatera Selatan. Sebutkan kabupaten/kota kejadian."
                            .into(),
                    ));
                    Step::AskedRegency { category, story, address, lat: Some(lat), lon: Some(lon) }
                }
            }
        }
        (Step::AskedLocation { category, story }, Input::Text(t)) => match regency_in(&t, units) {
            Some(regency) => confirm(Draft::new(category, story, regency, t, None, None), units, &mut fx),
            None => {
                fx.push(Effect::Reply(
                    "Di kabupaten/kota mana kejadiannya? (contoh: Palembang, Banyuasin, Lahat)".into(),
                ));
                Step::AskedRegency { category, story, address: t, lat: None, lon: None }
            }
        },
        (Step::AskedRegency { category, story, address, lat, lon }, Input::Text(t)) => match regency_in(&t, units)
            .or_else(|| {
                units.areas.regency(&t).ok().and_then(|a| units.unit_for_regency_code(&a.code)?.regency.clone())
            }) {
            Some(regency) => confirm(Draft::new(category, story, regency, address, lat, lon), units, &mut fx),
            None => {
                fx.push(Effect::Reply(
                    "Nama kabupaten/kota tidak dikenali. Contoh: Palembang, Banyuasin, Ogan Ilir.".into(),
                ));
                Step::AskedRegency { category, story, address, lat, lon }
            }
        },
        (Step::AskedConfirm { category, story, regency, address, lat, lon, district, choices }, Input::Text(t)) => {
            let picked =
                t.trim().parse::<usize>().ok().filter(|n| !choices.is_empty() && (1..=choices.len()).contains(n));
            if let Some(n) = picked {
                let district = Some(choices[n - 1].clone());
                let draft = Draft { category, story, regency, district, address, lat, lon, attachments: Vec::new() };
                return (Conversation { step: confirm(draft, units, &mut fx), ..c }, fx);
            }
            match t.trim().to_uppercase().as_str() {
                // "1" means yes only when no kecamatan choices are listed
                a if matches!(a, "YA" | "Y") || (a == "1" && choices.is_empty()) => {
                    fx.push(Effect::File(Draft {
                        category,
                        story,
                        regency,
                        district,
                        address,
                        lat,
                        lon,
                        attachments: std::mem::take(&mut c.attachments),
                    }));
                    Step::Idle
                }
                "TIDAK" | "T" => {
                    c.attachments.clear();
                    fx.push(Effect::Reply("Laporan tidak dikirim. Ketik apa saja untuk memulai lagi.".into()));
                    Step::Idle
                }
                "2" if choices.is_empty() => {
                    c.attachments.clear();
                    fx.push(Effect::Reply("Laporan tidak dikirim. Ketik apa saja untuk memulai lagi.".into()));
                    Step::Idle
                }
                _ if !choices.is_empty() && t.trim().parse::<usize>().is_ok() => {
                    fx.push(Effect::Reply(format!("Mohon balas dengan angka 1 sampai {}.", choices.len())));
                    Step::AskedConfirm { category, story, regency, address, lat, lon, district, choices }
                }
                _ => {
                    // any other text names the kecamatan
                    let draft =
                        Draft { category, story, regency, district, address, lat, lon, attachments: Vec::new() };
                    name_district(draft, &t, units, &mut fx)
                }
            }
        }
        (step, Input::Location { .. }) => {
            fx.push(Effect::Reply(
                "Lokasi diterima, tetapi belum kami minta. Ikuti langkah sebelumnya, atau ketik BATAL.".into(),
            ));
            step
        }
        (step, _) => step,
    };
    (c, fx)
}

const ASK_LOCATION: &str =
    "Di mana kejadiannya? Kirim lokasi (Lampirkan > Lokasi), atau ketik alamat lengkap dengan kabupaten/kota.";

fn ask_story(cat: Category, fx: &mut Vec<Effect>) -> Step {
    let mut msg = format!("{}: ceritakan apa yang terjadi, kapan, dan siapa yang terlibat.", label(cat));
    if cat == Category::Crime {
        msg.push_str("\nJika ada nyawa dalam bahaya, segera hubungi 110.");
    }
    fx.push(Effect::Reply(msg));
    Step::AskedStory { category: cat }
}

impl Draft {
    fn new(
        category: Category,
        story: String,
        regency: String,
        address: String,
        lat: Option<f64>,
        lon: Option<f64>,
    ) -> Draft {
        Draft { category, story, regency, district: None, address, lat, lon, attachments: Vec::new() }
    }
}

/// The official regency of a units-directory regency name.
fn official<'a>(regency: &str, units: &'a Units) -> Option<&'a crate::model::wilayah::Area> {
    units.areas.regency_by_code(units.unit_for_regency(regency)?.regency_code.as_deref()?)
}

/// Asks to confirm the draft; while the kecamatan is not named, the message asks for it.
fn confirm(d: Draft, units: &Units, fx: &mut Vec<Effect>) -> Step {
    let district_name = d.district.as_deref().and_then(|c| units.areas.get(crate::model::wilayah::Level::District, c));
    let place = match district_name {
        Some(a) => format!("{} (Kec. {}, {})", d.address, a.name, d.regency),
        None => format!("{} ({})", d.address, d.regency),
    };
    let mut msg = format!(
        "Mohon periksa laporan Anda:\nJenis: {}\nKejadian: {}\nLokasi: {place}\n\n",
        label(d.category),
        d.story
    );
    if district_name.is_none() && official(&d.regency, units).is_some() {
        msg.push_str("Di kecamatan mana kejadiannya? Ketik nama kecamatan (contoh: Kemuning) agar laporan diteruskan ke Polsek terdekat.\n");
    }
    msg.push_str("Balas YA untuk mengirim, TIDAK untuk membatalkan.");
    fx.push(Effect::Reply(msg));
    asked_confirm(d, Vec::new())
}

/// Waiting for YA/TIDAK (or a kecamatan, or the number of one of `choices`) on draft `d`.
fn asked_confirm(d: Draft, choices: Vec<String>) -> Step {
    Step::AskedConfirm {
        category: d.category,
        story: d.story,
        regency: d.regency,
        address: d.address,
        lat: d.lat,
        lon: d.lon,
        district: d.district,
        choices,
    }
}

/// The reporter typed a kecamatan at the confirmation: found, it is added and the report shown
/// again; several fit, they are offered by number; otherwise the reporter is told why.
fn name_district(d: Draft, t: &str, units: &Units, fx: &mut Vec<Effect>) -> Step {
    use crate::model::wilayah::PlaceError;
    let Some(regency) = official(&d.regency, units) else {
        fx.push(Effect::Reply("Balas YA untuk mengirim laporan, atau TIDAK untuk membatalkan.".into()));
        return asked_confirm(d, Vec::new());
    };
    match units.areas.district(regency, t) {
        Ok(a) => {
            let code = a.code.clone();
            confirm(Draft { district: Some(code), ..d }, units, fx)
        }
        Err(PlaceError::Ambiguous { candidates, .. }) => {
            let fits: Vec<&crate::model::wilayah::Area> =
                units.areas.districts_of(&regency.code).filter(|a| candidates.contains(&a.name)).collect();
            let mut msg = String::from("Ada beberapa kecamatan dengan nama itu. Balas dengan angka:\n");
            for (i, a) in fits.iter().enumerate() {
                msg.push_str(&format!("{} {}\n", i + 1, a.name));
            }
            msg.push_str("Atau ketik nama kecamatan yang lebih lengkap.");
            fx.push(Effect::Reply(msg));
            let choices = fits.iter().map(|a| a.code.clone()).collect();
            asked_confirm(d, choices)
        }
        Err(e @ PlaceError::NotIn { .. }) => {
            let PlaceError::NotIn { name, actual, .. } = &e else { unreachable!() };
            fx.push(Effect::Reply(format!(
                "Kecamatan {name} ada di {actual}, bukan di {}. Ketik kecamatan di {}, atau balas YA untuk mengirim tanpa kecamatan.",
                d.regency, d.regency
            )));
            asked_confirm(d, Vec::new())
        }
        Err(_) => {
            fx.push(Effect::Reply(format!(
                "Kecamatan \"{}\" tidak dikenali di {}. Ketik lagi nama kecamatan, atau balas YA untuk mengirim, TIDAK untuk membatalkan.",
                t.trim().chars().take(60).collect::<String>(),
                d.regency
            )));
            asked_confirm(d, Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Units {
        Units::parse(include_str!("../../../data/polda-sumsel-units.toml")).unwrap()
    }

    fn run(inputs: Vec<Input>) -> (Conversation, Vec<Vec<Effect>>) {
        let u = units();
        let mut c = Conversation::default();
        let mut all = Vec::new();
        for (i, input) in inputs.into_iter().enumerate() {
            let (next, fx) = step(c, input, Millis(1_000_000 + i as u64 * 1000), &u);
            c = next;
            all.push(fx);
        }
        (c, all)
    }

    fn text(s: &str) -> Input {
        Input::Text(s.into())
    }

    #[test]
    fn a_crime_report_by_text() {
        let (c, fx) = run(vec![
            text("halo"),
            text("4"),
            text("Motor saya dicuri di depan rumah tadi malam"),
            text("Jl. Merdeka No. 5, Palembang"),
            text("ya"),
        ]);
        assert_eq!(fx[0], vec![Effect::Reply(MENU.into())]);
        assert!(matches!(&fx[1][0], Effect::Reply(m) if m.contains("110")), "crime reminds of 110");
        assert!(matches!(&fx[3][0], Effect::Reply(m) if m.contains("Kota Palembang")));
        match &fx[4][0] {
            Effect::File(d) => {
                assert_eq!((d.category, d.regency.as_str()), (Category::Crime, "Kota Palembang"));
                assert_eq!(d.address, "Jl. Merdeka No. 5, Palembang");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.step, Step::Idle);
    }

    #[test]
    fn the_kecamatan_is_asked_at_the_confirmation_with_numbered_choices() {
        let (c, fx) = run(vec![
            text("4"),
            text("Motor saya dicuri di depan rumah tadi malam"),
            text("Jl. Merdeka No. 5, Palembang"),
            text("ilir timur"),
            text("7"),
            text("2"),
            text("ya"),
        ]);
        let reply = |i: usize| match &fx[i][0] {
            Effect::Reply(m) => m.clone(),
            other => panic!("{other:?}"),
        };
        assert!(reply(2).contains("Di kecamatan mana"), "{}", reply(2));
        assert!(reply(3).contains("1 Ilir Timur Satu\n2 Ilir Timur Dua\n3 Ilir Timur Tiga"), "{}", reply(3));
        assert!(reply(4).contains("angka 1 sampai 3"), "7 is not a choice: {}", reply(4));
        assert!(reply(5).contains("Kec. Ilir Timur Dua"), "{}", reply(5));
        assert!(!reply(5).contains("Di kecamatan mana"));
        match &fx[6][0] {
            Effect::File(d) => assert_eq!(d.district.as_deref(), Some("16.71.06")),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.step, Step::Idle);
        // a kecamatan of another regency is named with both
        let (_, fx) = run(vec![
            text("4"),
            text("Motor saya dicuri di depan rumah"),
            text("Pasar, Palembang"),
            text("Kayu Agung"),
        ]);
        assert!(matches!(&fx[3][0], Effect::Reply(m) if m.contains("Kabupaten Ogan Komering Ilir")), "{:?}", fx[3]);
        // the regency by a common name
        let (_, fx) =
            run(vec![text("4"), text("Motor saya dicuri di depan rumah"), text("di depan pasar"), text("OKI")]);
        assert!(matches!(&fx[3][0], Effect::Reply(m) if m.contains("Kabupaten Ogan Komering Ilir")), "{:?}", fx[3]);
    }

    #[test]
    fn a_shared_location_and_a_photo() {
        let (_, fx) = run(vec![
            text("1"),
            Input::Image { media_id: "m1".into(), caption: None },
            text("Bagaimana cara membuat SKCK online?"),
            Input::Location { lat: -2.99, lon: 104.76, address: Some("Jl. Sudirman".into()) },
            text("YA"),
        ]);
        assert!(fx[1].contains(&Effect::FetchMedia("m1".into())));
        match &fx[4][0] {
            Effect::File(d) => {
                assert_eq!(d.regency, "Kota Palembang");
                assert_eq!(d.attachments, vec!["m1".to_owned()]);
                assert_eq!((d.lat, d.lon), (Some(-2.99), Some(104.76)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn table_of_odd_turns() {
        let u = units();
        let at = |step: Step| Conversation { step, last_inbound: Millis(1_000_000), ..Default::default() };
        let story = Step::AskedStory { category: Category::Crime };
        let cases: Vec<(Conversation, Input, Step, &str)> = vec![
            (at(Step::AskedCategory), text("9"), Step::AskedCategory, "angka 1, 2, 3 atau 4"),
            (at(story.clone()), text("tolong"), story.clone(), "lebih lengkap"),
            (at(story.clone()), Input::Unsupported("sticker".into()), story.clone(), "sticker belum dapat"),
            (at(story.clone()), text("batal"), Step::Idle, "dibatalkan"),
            (
                at(Step::AskedLocation { category: Category::Crime, story: "x".repeat(12) }),
                text("di depan pasar"),
                Step::AskedRegency {
                    category: Category::Crime,
                    story: "x".repeat(12),
                    address: "di depan pasar".into(),
                    lat: None,
                    lon: None,
                },
                "kabupaten/kota",
            ),
            (
                at(Step::AskedLocation { category: Category::Crime, story: "x".repeat(12) }),
                Input::Location { lat: -6.2, lon: 106.8, address: None },
                Step::AskedRegency {
                    category: Category::Crime,
                    story: "x".repeat(12),
                    address: "Lokasi dibagikan (-6.20000, 106.80000)".into(),
                    lat: Some(-6.2),
                    lon: Some(106.8),
                },
                "di luar wilayah",
            ),
        ];
        for (c, input, want, reply) in cases {
            let (next, fx) = step(c, input.clone(), Millis(1_001_000), &u);
            assert_eq!(next.step, want, "{input:?}");
            assert!(matches!(fx.last(), Some(Effect::Reply(m)) if m.contains(reply)), "{input:?}: {fx:?}");
        }
    }

    #[test]
    fn check_status_and_expiry() {
        let u = units();
        let (_, fx) = step(Conversation::default(), text("cek plg-261128-0001"), Millis(5), &u);
        assert_eq!(fx, vec![Effect::Check("PLG-261128-0001".into())]);
        let old = Conversation { step: Step::AskedCategory, last_inbound: Millis(0), ..Default::default() };
        let (c, fx) = step(old, text("halo"), Millis(IDLE_MS + 1), &u);
        assert!(matches!(&fx[0], Effect::Reply(m) if m.contains("berakhir")));
        assert_eq!(c.step, Step::AskedCategory, "starts again with the menu");
    }

    #[test]
    fn regency_names_in_free_text() {
        let u = units();
        assert_eq!(regency_in("Jl. Merdeka 5 Palembang", &u).as_deref(), Some("Kota Palembang"));
        assert_eq!(regency_in("desa X, kabupaten banyuasin", &u).as_deref(), Some("Kabupaten Banyuasin"));
        assert_eq!(regency_in("Martapura, OKU Timur", &u), None, "abbreviations are not guessed");
        assert_eq!(regency_in("di rumah", &u), None);
        assert_eq!(regency_in("Sekayu, Musi Banyuasin", &u).as_deref(), Some("Kabupaten Musi Banyuasin"));
        assert_eq!(regency_in("Baturaja, Ogan Komering Ulu", &u).as_deref(), Some("Kabupaten Ogan Komering Ulu"));
        assert_eq!(regency_near(-2.98, 104.77, &u).as_deref(), Some("Kota Palembang"));
        assert_eq!(regency_near(-6.2, 106.8, &u), None);
    }

    #[test]
    fn categories_are_typed_and_read_what_earlier_releases_stored() {
        // a conversation kept by a release that held the category as a string
        let stored = r#"{"step":{"step":"asked_location","category":"appreciation","story":"petugas sangat membantu"},
            "attachments":[],"last_inbound":0,"profile_name":"Sari"}"#;
        let c: Conversation = serde_json::from_str(stored).unwrap();
        assert_eq!(
            c.step,
            Step::AskedLocation { category: Category::Appreciation, story: "petugas sangat membantu".into() }
        );
        assert!(
            serde_json::to_string(&c).unwrap().contains(r#""category":"appreciation""#),
            "the same form is written"
        );
        // the menu offers every category once, in the order it lists them
        let offered: Vec<Category> = CATEGORIES.iter().map(|(_, c)| *c).collect();
        assert_eq!(offered, Category::ALL);
        for (n, cat) in CATEGORIES {
            assert!(MENU.contains(&format!("{n} {}", label(cat))), "{n}: {cat:?}");
        }
    }
}
