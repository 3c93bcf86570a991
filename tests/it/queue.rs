//! The queue and its search read the case summaries and the word index: the same answers as the
//! full scan they replaced (checked against a store written by 0.1.0), pages that hold while
//! cases change, and words, phones and tickets found.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn tickets(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|i| i["ticket"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_store_written_by_0_1_0_migrates_and_answers_the_same_queues() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-0.1.0");
    let expected: Value = serde_json::from_slice(&std::fs::read(fixture.join("expected.json")).unwrap()).unwrap();
    let mut node = TestNode::spawn();
    node.stop();
    let data = node.data_dir();
    std::fs::remove_dir_all(data.join("store")).unwrap();
    let out = std::process::Command::new("tar")
        .arg("xzf")
        .arg(fixture.join("data.tar.gz"))
        .arg("-C")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", String::from_utf8_lossy(&out.stderr));
    let pw = "fixture-operator-password-1";
    let out = node.cli(&["user", "passwd", "operator", "--password-stdin"], Some(pw));
    assert!(out.status.success(), "passwd: {}", String::from_utf8_lossy(&out.stderr));
    node.passwords.insert("operator".into(), pw.into());
    node.start();

    let op = node.login("operator").await;
    for (query, want) in expected["queues"].as_object().unwrap() {
        let (s, v) = op.get(&format!("/api/v1/cases?{query}")).await;
        assert_eq!(s, StatusCode::OK, "{query}: {v}");
        assert_eq!(v["total"], want["total"], "{query}: total");
        let want: Vec<String> = serde_json::from_value(want["tickets"].clone()).unwrap();
        assert_eq!(tickets(&v), want, "{query}: the same cases in the same order as 0.1.0");
    }
    let (s, b) = op.get("/api/v1/board").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["open"], 6, "{b}");

    // the migrated store goes on: a new report is in the queue and found by its words
    let c = node.client();
    let (t, _) = node.report(&c, "information", "Jadwal perpanjangan SIM keliling di Kecamatan Kemuning").await;
    let (_, v) = op.get("/api/v1/cases?q=kemuning").await;
    assert_eq!(tickets(&v), vec![t.clone()]);
    let out = node.cli(&["verify"], None);
    assert!(out.status.success(), "verify after the migration: {}", String::from_utf8_lossy(&out.stderr));

    // and it opens again without building anything twice (same answers after a restart)
    node.stop();
    node.start();
    let op = node.login("operator").await;
    let (_, v) = op.get("/api/v1/cases?status=all&per_page=200").await;
    assert_eq!(v["total"], 10);
    assert!(tickets(&v).contains(&t));
}

#[tokio::test]
async fn paging_after_a_case_holds_while_more_urgent_cases_arrive() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("op", "operator", None);
    let op = node.login("op").await;
    let c = node.client();
    for i in 0..25 {
        let body = report_from(
            &format!("0812-5555-{i:04}"),
            "information",
            &format!("Pertanyaan nomor {i} tentang pembuatan SKCK di Polsek terdekat"),
        );
        let r = c.post(node.url("/api/v1/reports")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (_, all) = op.get("/api/v1/cases?per_page=200").await;
    let order = tickets(&all);
    assert_eq!(order.len(), 25);
    assert!(all.get("next").is_none(), "one page holds them all: {all}");

    let (_, p1) = op.get("/api/v1/cases?per_page=10").await;
    assert_eq!(tickets(&p1), order[..10]);
    assert_eq!(p1["total"], 25);
    let next = p1["next"].as_str().expect("a next cursor").to_owned();

    // crime reports are more urgent: they sort before everything seen so far
    for i in 0..3 {
        let body = report_from(&format!("0813-6666-{i:04}"), "crime", "Pencurian sepeda motor di depan rumah warga");
        let r = c.post(node.url("/api/v1/reports")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (s, p2) = op.get(&format!("/api/v1/cases?per_page=10&after={next}")).await;
    assert_eq!(s, StatusCode::OK, "{p2}");
    assert_eq!(tickets(&p2), order[10..20], "the second page starts where the first ended");
    assert_eq!(p2["total"], 28, "the total counts what matches now");
    let (_, by_number) = op.get("/api/v1/cases?per_page=10&page=2").await;
    assert_ne!(tickets(&by_number), order[10..20], "a page number shifts when cases arrive (why `after` exists)");
    let next = p2["next"].as_str().unwrap().to_owned();
    let (_, p3) = op.get(&format!("/api/v1/cases?per_page=10&after={next}")).await;
    assert_eq!(tickets(&p3), order[20..]);
    assert!(p3.get("next").is_none(), "the last page has no next: {p3}");

    let (s, v) = op.get("/api/v1/cases?after=nonsense").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "invalid_field");
}

#[tokio::test]
async fn search_finds_words_names_phones_and_tickets_within_scope() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("op", "operator", None);
    node.add_user("oki1", "unit_officer", Some("OKI"));
    let op = node.login("op").await;
    let c = node.client();
    let file = |phone: &'static str, name: &'static str, category: &'static str, text: &'static str| {
        let mut body = report_from(phone, category, text);
        body["reporter"]["name"] = json!(name);
        let (c, url) = (c.clone(), node.url("/api/v1/reports"));
        async move {
            let r = c.post(url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned()
        }
    };
    let jam =
        file("0812-1111-2222", "Siti Aminah", "feedback", "Kemacetan lalu lintas di simpang Charitas setiap pagi")
            .await;
    let sim = file("0812-3333-4444", "Rahmat Hidayat", "information", "Syarat perpanjangan SIM di Palembang").await;
    let theft =
        file("0813-5555-6666", "Dedi Kurniawan", "crime", "Pencurian motor di parkiran pasar, pelaku dua orang").await;

    let find = |q: &str| {
        let (op, q) = (&op, q.to_owned());
        async move {
            let (s, v) = op.get(&format!("/api/v1/cases?q={}", q.replace(' ', "%20"))).await;
            assert_eq!(s, StatusCode::OK, "{q}: {v}");
            let mut t = tickets(&v);
            t.sort();
            t
        }
    };
    assert_eq!(find("lalu lintas").await, vec![jam.clone()], "words of the description");
    assert_eq!(find("LALU LIN").await, vec![jam.clone()], "case and the start of a word");
    assert_eq!(find("lintas lalu").await, vec![jam.clone()], "in any order");
    assert_eq!(find("rahmat").await, vec![sim.clone()], "the reporter's name");
    assert_eq!(find("0813-5555-6666").await, vec![theft.clone()], "a phone number as people write it");
    assert_eq!(find("+6281333334444").await, Vec::<String>::new(), "another number");
    assert_eq!(find(&sim.to_lowercase()).await, vec![sim.clone()], "a ticket");
    let mut all = vec![jam.clone(), sim.clone(), theft.clone()];
    all.sort();
    assert_eq!(find(&jam[..10]).await, all, "part of a ticket: every case of that day");
    assert_eq!(find("motor lintas").await, Vec::<String>::new(), "every word must be in the case");
    assert_eq!(find("zzzz").await, Vec::<String>::new());

    // a unit officer finds only its unit's cases, whatever it types
    let oki = node.login("oki1").await;
    let (s, v) = oki.get("/api/v1/cases?q=motor").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 0, "{v}");
    let (s, v) = op.act(&theft, json!({"action": "verify", "method": "callback_confirmed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) =
        op.act(&theft, json!({"action": "dispatch", "unit": "OKI", "note": "pelaku masih di sekitar lokasi"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = oki.get("/api/v1/cases?q=motor").await;
    assert_eq!(tickets(&v), vec![theft.clone()]);
    let (_, v) = oki.get("/api/v1/cases?q=lalu").await;
    assert_eq!(v["total"], 0, "{v}");
}
