//! Polsek lists edited at the post (issue 17, item 4): `tik_admin` saves its Polres's list
//! through `PUT /api/v1/polsek` (or `banpol polsek set`); each bad list gets its own code naming
//! the item and changes nothing; a saved list is a numbered version, audited, in force at once
//! (suggestion, dispatch, accounts), kept over a restart, and synced up so the hub shows it and
//! names the Polsek of a case.

use crate::support::{enroll, eventually, free_port, Options, Session, TestNode};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn put(s: &Session, body: &Value) -> (StatusCode, Value) {
    let r = s
        .client
        .put(format!("{}/api/v1/polsek", s.base))
        .header("x-csrf-token", &s.csrf)
        .json(body)
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn list(base: u64, entries: &[(&str, &str, &[&str])]) -> Value {
    let polsek: Vec<Value> =
        entries.iter().map(|(code, name, d)| json!({"code": code, "name": name, "districts": d})).collect();
    json!({"polres": "OKI", "base_version": base, "polsek": polsek})
}

fn oki_of(book: &Value) -> Value {
    book["polres"].as_array().unwrap().iter().find(|p| p["polres"] == "OKI").cloned().expect("OKI in the book")
}

fn codes(p: &Value) -> Vec<String> {
    p["polsek"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_owned()).collect()
}

fn report() -> Value {
    json!({
        "category": "crime",
        "description": "Sepeda motor dicuri di parkiran pasar pagi tadi",
        "reporter": {"name": "Siti", "phone": "0812-7000-1234"},
        "location": {"regency": "OKI", "district": "kayu agung", "address": "Pasar Kayuagung, los ikan"},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_edits_its_polsek_list_and_dispatch_and_the_hub_follow_it() {
    let port = free_port();
    let mut hub = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "SUMSEL".into(), "--sync-listen".into(), format!("127.0.0.1:{port}")],
        env: Options::unlimited().env,
        ..Default::default()
    });
    let mut oki = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "OKI".into(), "--sync-listen".into(), "off".into()],
        env: Options::unlimited().env,
        ..Default::default()
    });
    enroll(&hub, &oki, "OKI");
    oki.add_user("tik", "tik_admin", None);
    oki.add_user("siaga", "pa_siaga", None);
    oki.add_user("unit.oki", "unit_officer", Some("OKI"));
    oki.add_user("aud", "auditor", None);
    hub.add_user("pantau", "pa_siaga", None);
    hub.add_user("tik.hub", "tik_admin", None);

    // the default: the units file's example entries, version 0
    let tik = oki.login("tik").await;
    let (s, book) = tik.get("/api/v1/polsek").await;
    assert_eq!(s, StatusCode::OK, "{book}");
    assert_eq!(book["editable"], "OKI");
    assert_eq!(book["polres"].as_array().unwrap().len(), 1, "a post shows its own Polres: {book}");
    let p = oki_of(&book);
    assert_eq!((p["version"].as_u64(), codes(&p)), (Some(0), vec!["OKIKAG".to_owned(), "OKIPDM".to_owned()]));
    assert_eq!(p["polsek"][0]["districts"][0], json!({"code": "16.02.05", "name": "Kayu Agung"}));
    assert!(p["districts"].as_array().unwrap().len() > 10, "every kecamatan of OKI for the editor");

    // each bad list: its own code, the item named, nothing saved
    let bad: Vec<(Value, StatusCode, &str, &str, &[&str])> = vec![
        (
            list(
                0,
                &[
                    ("OKIJJW", "Polsek Jejawi", &["16.02.17"]),
                    ("OKIKAYU", "Polsek Kayu Agung", &["16.02.05", "16.02.17"]),
                ],
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_district_twice",
            "polsek[1].districts[1]",
            &["16.02.17 (Jejawi)", "already covered by OKIJJW"],
        ),
        (
            list(0, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05", "16.02.05"])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_district_twice",
            "polsek[0].districts[1]",
            &["16.02.05 (Kayu Agung) is listed twice"],
        ),
        (
            list(0, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05", "16.71.09"])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_district_other_regency",
            "polsek[0].districts[1]",
            &["16.71.09 (Kemuning) is in regency 16.71, not in 16.02 of OKI"],
        ),
        (
            list(0, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.99"])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_unknown_district",
            "polsek[0].districts[0]",
            &["16.02.99 is not an official kecamatan code"],
        ),
        (
            list(0, &[("KAYU", "Polsek Kayu Agung", &["16.02.05"])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_bad_code",
            "polsek[0].code",
            &["starts with its Polres's code"],
        ),
        (
            list(0, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05"]), ("OKIKAYU", "Polsek Lain", &["16.02.03"])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_code_taken",
            "polsek[1].code",
            &["OKIKAYU"],
        ),
        (
            list(0, &[("OKIKAYU", " ", &["16.02.05"])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_bad_name",
            "polsek[0].name",
            &["OKIKAYU"],
        ),
        (
            list(0, &[("OKIKAYU", "Polsek Kayu Agung", &[])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "polsek_no_districts",
            "polsek[0].districts",
            &["OKIKAYU"],
        ),
        (
            list(7, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05"])]),
            StatusCode::CONFLICT,
            "polsek_stale",
            "",
            &["version 0, not 7"],
        ),
        (
            json!({"polres": "PLG", "polsek": [{"code": "PLGKMN", "name": "Polsek Kemuning", "districts": ["16.71.09"]}]}),
            StatusCode::FORBIDDEN,
            "polsek_not_here",
            "",
            &["\"PLG\""],
        ),
    ];
    for (body, status, code, field, names) in bad {
        let (s, v) = put(&tik, &body).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
        assert_eq!(v["field"].as_str().unwrap_or_default(), field, "{v}");
        for n in names {
            assert!(v["message"].as_str().unwrap().contains(n), "{n}: {v}");
        }
    }
    let siaga = oki.login("siaga").await;
    let (s, v) = put(&siaga, &list(0, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05"])])).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{v}");
    let p = oki_of(&tik.get("/api/v1/polsek").await.1);
    assert_eq!(
        (p["version"].as_u64(), codes(&p)),
        (Some(0), vec!["OKIKAG".to_owned(), "OKIPDM".to_owned()]),
        "unchanged"
    );

    // two saves: versions 1 and 2, with who and when; the first list's Polsek are gone
    let (s, v) = put(&tik, &list(0, &[("OKIKAYU", "Polsek Kayuagung", &["16.02.05"])])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(oki_of(&v)["version"], 1);
    let (s, v) = put(
        &tik,
        &list(
            1,
            &[
                ("OKIKAYU", "Polsek Kayu Agung", &["16.02.05", "16.02.17"]),
                ("OKIPDM", "Polsek Pedamaran", &["16.02.03"]),
            ],
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let p = oki_of(&v);
    assert_eq!((p["version"].as_u64(), p["saved_by"].as_str()), (Some(2), Some("tik")), "{p}");
    assert_eq!(codes(&p), vec!["OKIKAYU".to_owned(), "OKIPDM".to_owned()]);
    assert_eq!(p["polsek"][0]["example"], false);
    let versions: Vec<u64> = p["versions"].as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, vec![1, 2]);
    assert!(p["saved_at"].as_str().unwrap().ends_with("+07:00"), "WIB: {p}");
    let (s, v) = put(&tik, &list(1, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05"])])).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("polsek_stale")), "an edit from version 1: {v}");
    let aud = oki.login("aud").await;
    let (s, log) = aud.get("/api/v1/access-log?action=polsek_save").await;
    assert_eq!(s, StatusCode::OK);
    let targets: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(targets, vec!["OKI v2", "OKI v1"], "each save is audited: {log}");

    // accounts and units follow the list in force
    oki.add_user("unit.kayu", "unit_officer", Some("OKIKAYU"));
    let out = oki.cli(
        &["user", "add", "unit.kag", "--role", "unit_officer", "--unit", "OKIKAG", "--password-stdin"],
        Some("pw-unit.kag-0123456789"),
    );
    assert!(!out.status.success(), "OKIKAG is no longer a unit");
    assert!(String::from_utf8_lossy(&out.stderr).contains("OKIKAG"));
    let (_, units) = siaga.get("/api/v1/units").await;
    let names: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["parent"] == "OKI")
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["OKIKAYU", "OKIPDM"]);

    // a case in Kayu Agung goes to the new Polsek, whose officer acknowledges and resolves
    let r = oki.client().post(oki.url("/api/v1/reports")).json(&report()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let ticket = r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned();
    for body in [
        json!({"action": "verify", "method": "callback_confirmed"}),
        json!({"action": "dispatch", "unit": "OKI", "note": "Wilayah Polres OKI"}),
    ] {
        let (s, v) = siaga.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let polres = oki.login("unit.oki").await;
    let (s, v) = polres.act(&ticket, json!({"action": "acknowledge", "note": "Diterima Polres OKI"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["suggested_polsek"], "OKIKAYU", "the edited list's Polsek for 16.02.05");
    let (s, v) = siaga.act(&ticket, json!({"action": "dispatch", "unit": "OKIKAG", "note": "ke Polsek lama"})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_unit")), "{v}");
    let (s, v) =
        siaga.act(&ticket, json!({"action": "dispatch", "unit": "OKIKAYU", "note": "Ke Polsek Kayu Agung"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["unit"].as_str(), v["unit_name"].as_str()), (Some("OKIKAYU"), Some("Polsek Kayu Agung")));
    assert_eq!(v["deadline"]["step"], "acknowledge", "the SOP's deadline applies to the Polsek leg: {v}");
    let kayu = oki.login("unit.kayu").await;
    for body in [
        json!({"action": "acknowledge", "note": "Diterima Polsek Kayu Agung"}),
        json!({"action": "progress", "note": "Unit Reskrim Polsek ke pasar"}),
        json!({"action": "resolve", "summary": "Motor ditemukan, pelaku diamankan"}),
    ] {
        let (s, v) = kayu.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    // the hub: the list as the post saved it (read only), the case with its Polsek's name
    let pantau = hub.login("pantau").await;
    let book = eventually(30, || async {
        let (s, v) = pantau.get("/api/v1/polsek").await;
        (s == StatusCode::OK && oki_of(&v)["version"] == 2).then_some(v)
    })
    .await;
    assert_eq!(book["editable"], Value::Null, "the hub edits no list");
    assert_eq!(book["polres"].as_array().unwrap().len(), 17, "every Polres at the hub");
    let p = oki_of(&book);
    assert_eq!((codes(&p), p["saved_by"].as_str()), (vec!["OKIKAYU".to_owned(), "OKIPDM".to_owned()], Some("tik")));
    let tik_hub = hub.login("tik.hub").await;
    let (s, v) = put(&tik_hub, &list(2, &[("OKIKAYU", "Polsek Kayu Agung", &["16.02.05"])])).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("polsek_not_here")), "{v}");
    let seen = eventually(30, || async {
        let (s, v) = pantau.get(&format!("/api/v1/cases/{ticket}")).await;
        (s == StatusCode::OK && v["status"] == "resolved").then_some(v)
    })
    .await;
    assert_eq!((seen["unit"].as_str(), seen["unit_name"].as_str()), (Some("OKIKAYU"), Some("Polsek Kayu Agung")));
    let steps: Vec<(String, Option<String>)> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap_or_default().to_owned(), e["details"]["unit"].as_str().map(str::to_owned)))
        .collect();
    for want in [("dispatched", Some("OKI")), ("dispatched", Some("OKIKAYU")), ("resolved", None)] {
        let want = (want.0.to_owned(), want.1.map(str::to_owned));
        assert!(steps.contains(&want), "the hub has {want:?}: {steps:?}");
    }
    assert_eq!(steps.iter().filter(|k| k.0 == "acknowledged").count(), 2, "both legs acknowledged: {steps:?}");

    // the CLI: the same list and the same refusals; a save is in force on the running node
    let out = oki.cli(&["polsek", "show", "--polres", "OKI"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("version 2, saved by tik") && text.contains("OKIKAYU"), "{text}");
    let file = oki.data_dir().join("..").join("polsek-oki.toml");
    let entry = |code: &str, d: &str| {
        format!("[[polsek]]\ncode = \"{code}\"\nname = \"Polsek {code}\"\npolres = \"OKI\"\ndistricts = [{d}]\n")
    };
    for (text, want) in [
        (
            entry("OKIA", "\"16.02.05\"") + &entry("OKIB", "\"16.02.05\""),
            "16.02.05 (Kayu Agung) is already covered by OKIA",
        ),
        (entry("OKIA", "\"16.71.09\""), "16.71.09 (Kemuning) is in regency 16.71"),
        (entry("OKIA", "\"16.02.99\""), "16.02.99 is not an official kecamatan code"),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = oki.cli(&["polsek", "set", "--polres", "OKI", file.to_str().unwrap()], None);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success() && err.contains(want), "{want}: {err}");
    }
    assert_eq!(oki_of(&tik.get("/api/v1/polsek").await.1)["version"], 2, "refused by the CLI: nothing saved");
    std::fs::write(&file, entry("OKIKAYU", "\"16.02.05\", \"16.02.17\", \"16.02.03\"")).unwrap();
    let out = oki.cli(&["polsek", "set", "--polres", "OKI", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p = oki_of(&tik.get("/api/v1/polsek").await.1);
    assert_eq!(
        (p["version"].as_u64(), p["saved_by"].as_str(), codes(&p)),
        (Some(3), Some("cli"), vec!["OKIKAYU".to_owned()])
    );

    // kept over a restart, and the hub takes the newer version too
    oki.stop();
    oki.start();
    let tik = oki.login("tik").await;
    assert_eq!(oki_of(&tik.get("/api/v1/polsek").await.1)["version"], 3, "kept in the store");
    eventually(30, || async {
        let (_, v) = pantau.get("/api/v1/polsek").await;
        (oki_of(&v)["version"] == 3).then_some(())
    })
    .await;
}
