//! Official areas: reports by forgiving place names stored with Kemendagri codes, refusals that
//! name the item, the per-regency lists, a Polres handing a case down to its Polsek with the hub
//! seeing every step, and a WhatsApp conversation that picks a kecamatan from numbered choices.

use crate::support::{enroll, eventually, free_port, Options, TestNode};
use crate::whatsapp::{self, replies, say, text, Stand};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn report(regency: &str, district: Option<&str>, village: Option<&str>) -> Value {
    let mut location = json!({"regency": regency, "address": "Pasar Kayuagung, los ikan"});
    if let Some(d) = district {
        location["district"] = json!(d);
    }
    if let Some(v) = village {
        location["village"] = json!(v);
    }
    json!({
        "category": "crime",
        "description": "Sepeda motor dicuri di parkiran pasar pagi tadi",
        "reporter": {"name": "Siti", "phone": "0812-7000-1234"},
        "location": location,
    })
}

async fn send(n: &TestNode, body: &Value) -> (StatusCode, Value) {
    let r = n.client().post(n.url("/api/v1/reports")).json(body).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

fn unlimited() -> Vec<(String, String)> {
    Options::unlimited().env
}

/// Places by every accepted form, refusals naming the item, old-style reports still accepted,
/// and the per-regency list for the forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_name_places_forgivingly_and_keep_official_codes() {
    let mut n = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "OKI".into()],
        env: unlimited(),
        ..Default::default()
    });
    n.add_user("op", "operator", None);
    let op = n.login("op").await;

    let (s, v) = send(&n, &report("OKI", Some("kayu agung"), None)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let case = op.case(v["ticket"].as_str().unwrap()).await;
    let l = &case["location"];
    assert_eq!(l["regency"], "Kabupaten Ogan Komering Ilir");
    assert_eq!(l["regency_code"], "16.02");
    assert_eq!(l["district_code"], "16.02.05");
    assert_eq!(l["district"], "Kayu Agung");
    assert_eq!(l["district_typed"], "kayu agung");
    assert_eq!(l["village_code"], Value::Null);
    assert_eq!(case["suggested_unit"], "OKI");
    assert_eq!(case["regency"], "Kabupaten Ogan Komering Ilir");

    // a desa by name without its kecamatan gives the kecamatan; codes work as well
    let (s, areas) = op.get("/api/v1/areas/OKI").await;
    assert_eq!(s, StatusCode::OK, "{areas}");
    assert_eq!(areas["regency"]["code"], "16.02");
    assert!(areas["attribution"].as_str().unwrap().contains("ODbL"));
    let desa = areas["villages"].as_array().unwrap().iter().find(|v| v["parent"] == "16.02.05").unwrap().clone();
    let (s, v) = send(&n, &report("Kab. Ogan Komering Ilir", None, Some(desa["name"].as_str().unwrap()))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let l = op.case(v["ticket"].as_str().unwrap()).await["location"].clone();
    assert_eq!((l["district_code"].as_str(), l["village_code"].as_str()), (Some("16.02.05"), desa["code"].as_str()));
    let (s, v) = send(&n, &report("16.02", Some("16.02.05"), desa["code"].as_str())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // an old-style report (the regency's full name only) stays valid, with its code and no kecamatan
    let (s, v) = send(&n, &report("Kabupaten Ogan Komering Ilir", None, None)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let l = op.case(v["ticket"].as_str().unwrap()).await["location"].clone();
    assert_eq!((l["regency_code"].as_str(), l["district_code"].clone()), (Some("16.02"), Value::Null));

    // refusals: each its own code, naming the item
    let other_village = areas["villages"].as_array().unwrap().iter().find(|v| v["parent"] == "16.02.03").unwrap();
    let bad: Vec<(Value, &str, &str, &str)> = vec![
        (report("OKI", Some("16.02.99"), None), "unknown_district", "location.district", "16.02.99"),
        (
            report("OKI", Some("kayu agung"), Some("16.02.05.9999")),
            "unknown_village",
            "location.village",
            "16.02.05.9999",
        ),
        (
            report("OKI", Some("kayu agung"), other_village["code"].as_str()),
            "village_not_in_district",
            "location.village",
            "Pedamaran",
        ),
        (
            report("OKI", Some("Kemuning"), None),
            "district_not_in_regency",
            "location.district",
            "Kota Palembang (16.71)",
        ),
        (report("Musi", None, None), "ambiguous_place", "location.regency", "Kabupaten Musi Rawas"),
        (report("Kota Bandung", None, None), "unknown_regency", "location.regency", "Kota Bandung"),
        (report(&"x".repeat(200), None, None), "unknown_regency", "location.regency", "xxxx"),
    ];
    let before = op.get("/api/v1/cases?per_page=100").await.1;
    for (body, code, field, names) in bad {
        let (s, v) = send(&n, &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!((v["code"].as_str(), v["field"].as_str()), (Some(code), Some(field)), "{v}");
        assert!(v["message"].as_str().unwrap().contains(names), "{v}");
    }
    let (s, v) = op.get("/api/v1/areas/Kota%20Bandung").await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_regency")));
    assert_eq!(op.get("/api/v1/cases?per_page=100").await.1["total"], before["total"], "nothing refused was kept");
}

fn hub() -> TestNode {
    let port = free_port();
    let mut h = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "SUMSEL".into(), "--sync-listen".into(), format!("127.0.0.1:{port}")],
        env: unlimited(),
        ..Default::default()
    });
    h.add_user("aud", "auditor", None);
    h
}

/// "OKI" / "kayu agung" is stored with its codes; the Polres acknowledges, dispatches down to the
/// Polsek the data names for Kayu Agung; the Polsek's own officer acknowledges and resolves; the
/// hub sees every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_polres_hands_a_case_down_to_its_polsek_and_the_hub_sees_every_step() {
    let mut hub = hub();
    let mut oki = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "OKI".into(), "--sync-listen".into(), "off".into()],
        env: unlimited(),
        ..Default::default()
    });
    enroll(&hub, &oki, "OKI");
    oki.add_user("siaga", "pa_siaga", None);
    oki.add_user("unit.oki", "unit_officer", Some("OKI"));
    oki.add_user("unit.kag", "unit_officer", Some("OKIKAG"));
    hub.add_user("pantau", "pa_siaga", None);

    let (s, v) = send(&oki, &report("OKI", Some("kayu agung"), None)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ticket = v["ticket"].as_str().unwrap().to_owned();
    let siaga = oki.login("siaga").await;
    let (s, units) = siaga.get("/api/v1/units").await;
    assert_eq!(s, StatusCode::OK);
    let kag = units.as_array().unwrap().iter().find(|u| u["code"] == "OKIKAG").unwrap().clone();
    assert_eq!(
        (kag["kind"].as_str(), kag["parent"].as_str(), kag["example"].as_bool()),
        (Some("polsek"), Some("OKI"), Some(true))
    );

    for body in [
        json!({"action": "verify", "method": "callback_confirmed"}),
        json!({"action": "dispatch", "unit": "OKI", "note": "Wilayah Polres OKI"}),
    ] {
        let (s, v) = siaga.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    assert_eq!(siaga.case(&ticket).await["suggested_polsek"], Value::Null, "not before the Polres acknowledges");
    let polres = oki.login("unit.oki").await;
    let (s, v) = polres.act(&ticket, json!({"action": "acknowledge", "note": "Diterima Polres OKI"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["suggested_polsek"], "OKIKAG", "the Polsek whose kecamatan holds the case");
    let (s, v) =
        siaga.act(&ticket, json!({"action": "dispatch", "unit": "OKIKAG", "note": "Ke Polsek Kayu Agung"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["unit"].as_str(), v["owner"].as_str()),
        (Some("dispatched"), Some("OKIKAG"), Some("OKI"))
    );
    assert_eq!(v["deadline"]["step"], "acknowledge", "the SOP's deadline applies to the Polsek leg: {v}");
    let (s, _) = polres.get(&format!("/api/v1/cases/{ticket}")).await;
    assert_ne!(s, StatusCode::OK, "the Polres officer no longer holds it");

    let polsek = oki.login("unit.kag").await;
    for body in [
        json!({"action": "acknowledge", "note": "Diterima Polsek Kayu Agung"}),
        json!({"action": "progress", "note": "Unit Reskrim Polsek ke pasar"}),
        json!({"action": "resolve", "summary": "Motor ditemukan, pelaku diamankan"}),
    ] {
        let (s, v) = polsek.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    let pantau = hub.login("pantau").await;
    let seen = eventually(30, || async {
        let (s, v) = pantau.get(&format!("/api/v1/cases/{ticket}")).await;
        (s == StatusCode::OK && v["status"] == "resolved").then_some(v)
    })
    .await;
    let kinds: Vec<(String, Option<String>)> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap_or_default().to_owned(), e["details"]["unit"].as_str().map(str::to_owned)))
        .collect();
    for want in [
        ("reported", None),
        ("verified", None),
        ("dispatched", Some("OKI")),
        ("acknowledged", None),
        ("dispatched", Some("OKIKAG")),
        ("progressed", None),
        ("resolved", None),
    ] {
        let want = (want.0.to_owned(), want.1.map(str::to_owned));
        assert!(kinds.contains(&want), "the hub has {want:?}: {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| k.0 == "acknowledged").count(), 2, "both legs acknowledged: {kinds:?}");
    assert_eq!(seen["location"]["district_code"], "16.02.05");
    assert_eq!(seen["unit"], "OKIKAG");
}

/// A WhatsApp reporter names "Ilir Timur" (three kecamatan of Palembang), picks one by number,
/// and the report is filed with its code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_reporter_picks_an_ambiguous_kecamatan_by_number() {
    let stand = Stand::start();
    let mut n = whatsapp::node(&stand);
    let c = n.client();
    let who = "6281277770017";
    say(&n, &c, who, "wamid.K1", text("4")).await;
    say(&n, &c, who, "wamid.K2", text("Rumah saya dibobol maling tadi malam, TV hilang")).await;
    say(&n, &c, who, "wamid.K3", text("Lorong Sukarela, Palembang")).await;
    let texts = replies(&stand, who, 3).await;
    assert!(texts[2].contains("Di kecamatan mana"), "{}", texts[2]);
    say(&n, &c, who, "wamid.K4", text("kec ilir timur")).await;
    let texts = replies(&stand, who, 4).await;
    assert!(texts[3].contains("1 Ilir Timur Satu") && texts[3].contains("3 Ilir Timur Tiga"), "{}", texts[3]);
    say(&n, &c, who, "wamid.K5", text("3")).await;
    let texts = replies(&stand, who, 5).await;
    assert!(texts[4].contains("Kec. Ilir Timur Tiga, Kota Palembang"), "{}", texts[4]);
    say(&n, &c, who, "wamid.K6", text("YA")).await;
    let texts = replies(&stand, who, 6).await;
    let ticket = whatsapp::ticket_in(&texts[5]);
    n.add_user("op", "operator", None);
    let op = n.login("op").await;
    let l = op.case(&ticket).await["location"].clone();
    assert_eq!((l["regency_code"].as_str(), l["district_code"].as_str()), (Some("16.71"), Some("16.71.18")));
    assert_eq!(l["district"], "Ilir Timur Tiga");
}

/// A Polsek list that covers a kecamatan twice or names one of another regency stops the node
/// from starting, naming the item; `check-config` says the same.
#[test]
fn a_bad_polsek_list_is_refused_naming_the_item() {
    let reference = include_str!("../../data/polda-sumsel-units.toml");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[polsek]]\ncode = \"OKIX\"\nname = \"Polsek X\"\npolres = \"OKI\"\ndistricts = [\"16.02.05\"]\n",
            "kecamatan 16.02.05 (Kayu Agung) is already covered by OKIKAG",
        ),
        (
            "[[polsek]]\ncode = \"OKIX\"\nname = \"Polsek X\"\npolres = \"OKI\"\ndistricts = [\"16.71.09\"]\n",
            "kecamatan 16.71.09 (Kemuning) is in regency 16.71",
        ),
    ];
    for (extra, want) in cases {
        let file = dir.path().join("units.toml");
        std::fs::write(&file, format!("{reference}\n{extra}")).unwrap();
        let out = std::process::Command::new(crate::support::BIN)
            .args(["--data-dir", dir.path().to_str().unwrap(), "check-config"])
            .env("BANPOL_UNITS_FILE", &file)
            .env("BANPOL_NODE_CODE", "OKI")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "refused: {err}");
        assert!(err.contains(want), "{err}");
    }
}
