//! The STPL (Surat Tanda Penerimaan Laporan) and officers' identity over the API: staff print a
//! case they may read (logged like reading it); the reporter prints with ticket and tracking code
//! and gets no more than tracking shows; tik_admin sets full name, pangkat and NRP.
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn stpl_is_authorized_logged_and_names_the_receiving_officer() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("oki1", "unit_officer", Some("OKI"));
    node.add_user("itwasda", "auditor", None);
    node.add_user("tik", "tik_admin", None);
    let tik = node.login("tik").await;
    let op = node.login("op").await;

    // identity: tik_admin only, checked fields, audited
    let (s, v) = tik
        .post("/api/v1/users/op/identity", &json!({"full_name": "Budi Santoso", "pangkat": "AIPDA", "nrp": "123"}))
        .await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field"), Some("nrp")),
        "{v}"
    );
    let (s, v) = op.post("/api/v1/users/op/identity", &json!({"full_name": "Saya Sendiri"})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{v}");
    let (s, v) = tik
        .post(
            "/api/v1/users/op/identity",
            &json!({"full_name": " Budi Santoso ", "pangkat": "AIPDA", "nrp": "78040123"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["full_name"].as_str(), v["pangkat"].as_str(), v["nrp"].as_str()),
        (Some("Budi Santoso"), Some("AIPDA"), Some("78040123"))
    );
    let (_, users) = tik.get("/api/v1/users").await;
    let listed = users.as_array().unwrap().iter().find(|u| u["username"] == "op").unwrap();
    assert_eq!(listed["nrp"], "78040123", "{listed}");

    // a 110 call taken by the operator
    let mut call = report_body("crime", "Penelepon melaporkan pencurian sepeda motor di Pasar Cinde");
    call["channel"] = json!("phone");
    let (s, receipt) = op.post("/api/v1/reports", &call).await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    let (ticket, token) = (receipt["ticket"].as_str().unwrap(), receipt["token"].as_str().unwrap());

    let (s, v) = op.get(&format!("/api/v1/cases/{ticket}/stpl?token={}", token.to_lowercase())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["token"], token, "the right code (any case) is printed");
    assert!(v["tracking_link"].as_str().unwrap().ends_with(&format!("/lacak#t={ticket}&k={token}")), "{v}");
    assert!(v["tracking_link"].as_str().unwrap().starts_with("https://127.0.0.1:"), "{v}");
    assert_eq!(
        v["officer"],
        json!({"username": "op", "full_name": "Budi Santoso", "pangkat": "AIPDA", "nrp": "78040123"})
    );
    assert_eq!((v["channel"].as_str(), v["receiving_unit"].as_str()), (Some("phone"), Some("Polrestabes Palembang")));
    assert_eq!(v["report"]["reporter_name"], "Budi Santoso");
    assert_eq!(v["next_steps"][0], json!({"step": "verify", "within_ms": 15 * 60 * 1000}), "{v}");
    let size = v["qr"]["size"].as_u64().unwrap();
    assert!(size >= 25 && v["qr"]["path"].as_str().unwrap().starts_with("M4 4h7"), "{v}");

    // without the code, or with a wrong one, no code is printed: tracking by ticket
    for q in ["", "?token=AAAAAAAA"] {
        let (s, v) = op.get(&format!("/api/v1/cases/{ticket}/stpl{q}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["token"], Value::Null, "{q}");
        assert!(v["tracking_link"].as_str().unwrap().ends_with(&format!("/lacak#t={ticket}")), "{v}");
    }

    // who may not read the case gets no STPL
    let oki = node.login("oki1").await;
    let (s, _) = oki.get(&format!("/api/v1/cases/{ticket}/stpl")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another unit's case does not exist for OKI");
    let (s, v) = tik.get(&format!("/api/v1/cases/{ticket}/stpl")).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")));
    let anon = node.client();
    let r = anon.get(node.url(&format!("/api/v1/cases/{ticket}/stpl"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // the reporter's STPL: the code opens it; it carries no report text, name, phone or officer
    let r = anon.get(node.url(&format!("/api/v1/reports/{ticket}/stpl?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let public: Value = r.json().await.unwrap();
    assert_eq!((&public["report"], &public["officer"]), (&Value::Null, &Value::Null), "{public}");
    let text = public.to_string();
    assert!(!text.contains("Budi") && !text.contains("Pasar Cinde") && !text.contains("3456"), "{text}");
    assert!(public["tracking_link"].as_str().unwrap().ends_with(&format!("&k={token}")));
    let r = anon.get(node.url(&format!("/api/v1/reports/{ticket}/stpl?token=AAAAAAAA"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // the case's history names the officer; the prints are in the access log as reads
    let case = op.case(ticket).await;
    assert_eq!(case["history"][0]["actor_identity"]["pangkat"], "AIPDA", "{}", case["history"][0]);
    let aud = node.login("itwasda").await;
    let (_, log) = aud.get("/api/v1/access-log?limit=100").await;
    let seen: Vec<(String, String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    let reads = seen.iter().filter(|e| e.0 == "op" && e.1 == "read_case" && e.2 == ticket).count();
    // reads of one case by one person within a minute are one entry (`audit::Reads`)
    assert!(reads >= 1, "an STPL print is logged as a read of the case: {seen:?}");
    assert!(seen.contains(&("tik".into(), "user_identity".into(), "op".into())), "{seen:?}");
}

/// The STPL page is served for any ticket (it asks the API for the case), with the strict policy
/// and no inline code; its scripts set no HTML.
#[tokio::test]
async fn the_stpl_page_is_static_and_strict() {
    let node = TestNode::spawn();
    let c = node.client();
    let r = c.get(node.url("/stpl/PLG-261202-0001")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let body = r.text().await.unwrap().to_lowercase();
    assert!(body.contains("/assets/stpl.js") && !body.contains("<script>") && !body.contains(" style="), "{body}");
    let r = c.post(node.url("/stpl/PLG-261202-0001")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    for asset in ["stpl.js", "stpl-sheet.js", "identity.js", "map.js", "stpl.css", "wall.css", "print.css"] {
        let r = c.get(node.url(&format!("/assets/{asset}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        let text = r.text().await.unwrap();
        assert!(!text.contains(".innerHTML") && !text.contains("insertAdjacentHTML"), "{asset} sets HTML");
    }
}
