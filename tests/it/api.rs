use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn public_status(node: &TestNode, ticket: &str, token: &str) -> Value {
    let r = node.client().get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The whole life of a report, as the curl walkthrough: citizen files, operator verifies
/// and dispatches, the unit acknowledges, works and resolves, the operator closes; tracking
/// shows each status and the history shows every step with actor and time.
#[tokio::test]
async fn a_report_goes_from_citizen_to_closure() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("plg1", "unit_officer", Some("PLG"));
    let citizen = node.client();
    let (ticket, token) = node.report(&citizen, "crime", "Motor saya dicuri di depan Pasar 16 Ilir tadi pagi").await;
    assert!(ticket.starts_with("PLG-") && ticket.len() == 15, "{ticket}");
    assert_eq!(public_status(&node, &ticket, &token).await["status"], "new");

    let op = node.login("op").await;
    let c = op.case(&ticket).await;
    assert_eq!(c["reporter_phone"], "+6281234567890", "phones are stored as E.164");
    assert_eq!(c["suggested_unit"], "PLG");
    assert_eq!(c["allowed_actions"], json!(["verify", "reject", "link_duplicate", "note"]));

    let steps: [(&Session, Value, &str); 2] = [
        (&op, json!({"action": "verify", "method": "callback_confirmed", "priority": "high"}), "verified"),
        (&op, json!({"action": "dispatch", "unit": "PLG", "note": "Segera cek lokasi"}), "dispatched"),
    ];
    for (who, body, want) in steps {
        let (s, v) = who.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], want);
        assert_eq!(public_status(&node, &ticket, &token).await["status"], want);
    }
    let unit = node.login("plg1").await;
    for (body, want) in [
        (json!({"action": "acknowledge"}), "acknowledged"),
        (json!({"action": "progress", "note": "Tim Opsnal menuju lokasi"}), "in_progress"),
        (json!({"action": "resolve", "summary": "Motor ditemukan dan dikembalikan"}), "resolved"),
    ] {
        let (s, v) = unit.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(public_status(&node, &ticket, &token).await["status"], want);
    }
    let (s, _) = op.act(&ticket, json!({"action": "close", "note": "Pelapor puas"})).await;
    assert_eq!(s, StatusCode::OK);
    let public = public_status(&node, &ticket, &token).await;
    assert_eq!(public["status"], "closed");
    assert_eq!(public["status_label"], "Ditutup");
    assert_eq!(public["notes"][0]["text"], "Motor ditemukan dan dikembalikan");
    assert!(
        public.get("reporter_phone").is_none() && !public.to_string().contains("Budi"),
        "no personal data in tracking"
    );

    let c = op.case(&ticket).await;
    let history = c["history"].as_array().unwrap();
    let seen: Vec<(&str, &str)> =
        history.iter().map(|e| (e["type"].as_str().unwrap(), e["actor"].as_str().unwrap())).collect();
    assert_eq!(
        seen,
        [
            ("reported", "pelapor"),
            ("verified", "op"),
            ("dispatched", "op"),
            ("acknowledged", "plg1"),
            ("progressed", "plg1"),
            ("resolved", "plg1"),
            ("closed", "op"),
        ]
    );
    for e in history {
        assert!(e["at"].as_str().unwrap().ends_with("+07:00"), "times in WIB: {e}");
        assert_eq!(e["sop_version"], "draft-2026-12");
    }
    assert_eq!(c["priority"], "high");
}

/// Every kind of bad input gets its own 4xx with a stable code, and nothing accepted before changes.
#[tokio::test]
async fn bad_input_gets_its_own_error_and_changes_nothing() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let anon = node.client();
    let (ticket, _) = node.report(&anon, "information", "Bagaimana cara membuat SKCK secara online?").await;
    let op = node.login("op").await;
    let before = op.case(&ticket).await;
    let (_, queue_before) = op.get("/api/v1/cases").await;

    let mut no_phone = report_body("crime", "Ada pencurian di rumah tetangga saya");
    no_phone["reporter"].as_object_mut().unwrap().remove("phone");
    let mut bad_phone = report_body("crime", "Ada pencurian di rumah tetangga saya");
    bad_phone["reporter"]["phone"] = json!("12-34");
    let mut bad_regency = report_body("crime", "Ada pencurian di rumah tetangga saya");
    bad_regency["location"]["regency"] = json!("Kota Bandung");
    let post = |body: Value| {
        let c = anon.clone();
        let url = node.url("/api/v1/reports");
        async move { c.post(url).json(&body).send().await.unwrap() }
    };
    let cases: Vec<(reqwest::Response, u16, &str, Option<&str>)> = vec![
        (post(json!({})).await, 422, "missing_field", Some("category")),
        (post(no_phone).await, 422, "missing_field", Some("reporter.phone")),
        (post(bad_phone).await, 422, "invalid_phone", Some("reporter.phone")),
        (
            post(report_body("gossip", "Ada pencurian di rumah tetangga saya")).await,
            422,
            "unknown_category",
            Some("category"),
        ),
        (post(bad_regency).await, 422, "unknown_regency", Some("location.regency")),
        (post(report_body("crime", "short")).await, 422, "invalid_field", Some("description")),
        (post(json!({"category": 7})).await, 422, "invalid_field", Some("category")),
        (
            anon.post(node.url("/api/v1/reports"))
                .header("content-type", "application/json")
                .body("{\"category\": ")
                .send()
                .await
                .unwrap(),
            400,
            "malformed_json",
            None,
        ),
        (
            anon.post(node.url("/api/v1/reports"))
                .header("content-type", "application/json")
                .body(vec![b' '; 70 * 1024])
                .send()
                .await
                .unwrap(),
            413,
            "payload_too_large",
            None,
        ),
        (
            anon.post(node.url("/api/v1/reports"))
                .header("content-type", "text/plain")
                .body("hello")
                .send()
                .await
                .unwrap(),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            anon.post(node.url("/api/v1/reports")).json(&json!({"channel": "phone"})).send().await.unwrap(),
            401,
            "unauthenticated",
            None,
        ),
        (anon.get(node.url("/api/v1/cases")).send().await.unwrap(), 401, "unauthenticated", None),
        (
            anon.post(node.url(&format!("/api/v1/cases/{ticket}/actions")))
                .json(&json!({"action": "verify"}))
                .send()
                .await
                .unwrap(),
            401,
            "unauthenticated",
            None,
        ),
        (
            anon.get(node.url(&format!("/api/v1/reports/{ticket}?token=WRONGTOK"))).send().await.unwrap(),
            404,
            "not_found",
            None,
        ),
        (
            anon.get(node.url("/api/v1/reports/PLG-991231-9999?token=WRONGTOK")).send().await.unwrap(),
            404,
            "not_found",
            None,
        ),
        (anon.get(node.url("/api/v1/nothing")).send().await.unwrap(), 404, "no_such_route", None),
        (anon.delete(node.url("/api/v1/reports")).send().await.unwrap(), 405, "method_not_allowed", None),
        // staff errors
        (
            op.client
                .post(node.url(&format!("/api/v1/cases/{ticket}/actions")))
                .json(&json!({"action": "verify", "method": "callback_confirmed"}))
                .send()
                .await
                .unwrap(),
            403,
            "csrf_missing",
            None,
        ),
        (
            op.client
                .post(node.url(&format!("/api/v1/cases/{ticket}/actions")))
                .header("x-csrf-token", "0000")
                .json(&json!({"action": "verify", "method": "callback_confirmed"}))
                .send()
                .await
                .unwrap(),
            403,
            "csrf_mismatch",
            None,
        ),
    ];
    let staff_cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (json!({"action": "fly"}), 422, "unknown_action", Some("action")),
        (json!({}), 422, "missing_field", Some("action")),
        (json!({"action": "dispatch", "unit": "PLG"}), 409, "invalid_transition", None),
        (json!({"action": "acknowledge"}), 403, "role_may_not", None),
        (json!({"action": "reject", "reason": "boring"}), 422, "unknown_reject_reason", Some("reason")),
        (json!({"action": "verify"}), 422, "missing_field", Some("method")),
        (json!({"action": "verify", "method": "callback_confirmed", "extra": 1}), 422, "invalid_field", None),
    ];
    for (resp, status, code, field) in cases {
        let url = resp.url().to_string();
        assert_eq!(resp.status().as_u16(), status, "{url}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["code"], code, "{url}: {v}");
        assert!(!v["message"].as_str().unwrap().is_empty());
        if let Some(f) = field {
            assert_eq!(v["field"], f, "{v}");
        }
    }
    for (body, status, code, field) in staff_cases {
        let (s, v) = op.act(&ticket, body.clone()).await;
        assert_eq!(s.as_u16(), status, "{body}: {v}");
        assert_eq!(v["code"], code, "{body}: {v}");
        if let Some(f) = field {
            assert_eq!(v["field"], f, "{v}");
        }
    }
    let (s, v) = op.act("PLG-991231-9999", json!({"action": "verify", "method": "callback_confirmed"})).await;
    assert_eq!((s.as_u16(), v["code"].as_str()), (404, Some("not_found")));

    assert_eq!(op.case(&ticket).await["history"], before["history"], "nothing changed the case");
    let (_, queue_after) = op.get("/api/v1/cases").await;
    assert_eq!(queue_after["total"], queue_before["total"], "no report was added by bad input");
}

/// Least privilege: a unit officer sees only its unit's cases, the auditor reads and changes
/// nothing, tik_admin sees no case contents.
#[tokio::test]
async fn roles_are_enforced_on_every_staff_route() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("oki1", "unit_officer", Some("OKI"));
    node.add_user("plg1", "unit_officer", Some("PLG"));
    node.add_user("itwasda", "auditor", None);
    node.add_user("tik", "tik_admin", None);
    let (ticket, _) = node.report(&node.client(), "crime", "Penipuan jual beli online, uang sudah ditransfer").await;
    let op = node.login("op").await;
    op.act(&ticket, json!({"action": "verify", "method": "callback_confirmed"})).await;
    let (s, _) = op.act(&ticket, json!({"action": "dispatch", "unit": "PLG"})).await;
    assert_eq!(s, StatusCode::OK);

    let oki = node.login("oki1").await;
    let (s, v) = oki.get(&format!("/api/v1/cases/{ticket}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another unit's case does not exist for OKI: {v}");
    let (_, q) = oki.get("/api/v1/cases").await;
    assert_eq!(q["total"], 0);
    let (s, _) = oki.act(&ticket, json!({"action": "acknowledge"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let plg = node.login("plg1").await;
    let (_, q) = plg.get("/api/v1/cases").await;
    assert_eq!(q["total"], 1);
    assert_eq!(plg.case(&ticket).await["allowed_actions"], json!(["acknowledge", "note"]));

    let aud = node.login("itwasda").await;
    assert_eq!(aud.case(&ticket).await["status"], "dispatched");
    let (s, v) = aud.act(&ticket, json!({"action": "note", "text": "cek"})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")));
    let (s, v) = aud.get("/api/v1/integrity").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["ok"], true, "{v}");

    let (s, log) = aud.get("/api/v1/access-log?limit=50").await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert_eq!(log["chain_ok"], true);
    let seen: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap().to_owned(), e["action"].as_str().unwrap().to_owned()))
        .collect();
    for want in [("oki1", "read_queue"), ("plg1", "read_case"), ("itwasda", "read_case"), ("op", "login")] {
        assert!(seen.contains(&(want.0.to_owned(), want.1.to_owned())), "{want:?} in the access log: {seen:?}");
    }
    let (s, _) = plg.get("/api/v1/access-log").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only auditors read the access log");

    let tik = node.login("tik").await;
    for path in ["/api/v1/cases".to_owned(), format!("/api/v1/cases/{ticket}")] {
        let (s, v) = tik.get(&path).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{path}");
    }
    let (s, _) = tik.post("/api/v1/reports", &json!({"channel": "phone"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "tik_admin takes no calls");

    // logout ends the session
    let r =
        op.client.delete(format!("{}/api/v1/session", op.base)).header("x-csrf-token", &op.csrf).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, _) = op.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Call-takers file phone reports with a priority; citizens cannot set one.
#[tokio::test]
async fn call_takers_file_phone_reports() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let op = node.login("op").await;
    let mut body = report_body("crime", "Penelepon 110: perampokan di minimarket, pelaku bersenjata");
    body["channel"] = json!("phone");
    body["priority"] = json!("emergency");
    let (s, v) = op.post("/api/v1/reports", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let c = op.case(v["ticket"].as_str().unwrap()).await;
    assert_eq!((c["channel"].as_str(), c["priority"].as_str()), (Some("phone"), Some("emergency")));
    assert_eq!(c["history"][0]["actor"], "op");
    // emergency crime: verify within 2 minutes
    assert_eq!(c["deadline"]["step"], "verify");

    let mut citizen = report_body("crime", "Saya mau laporan darurat sekali sekarang");
    citizen["priority"] = json!("emergency");
    let r = node.client().post(node.url("/api/v1/reports")).json(&citizen).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Guessing passwords locks the account for a while (429 with Retry-After).
#[tokio::test]
async fn login_guessing_is_throttled() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    for _ in 0..5 {
        assert_eq!(node.try_login("op", "wrong-password").await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = node.try_login("op", "wrong-password").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the sixth attempt waits");
    assert!(r.headers().get("retry-after").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "too_many_attempts");
    let right = node.passwords["op"].clone();
    assert_eq!(
        node.try_login("op", &right).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let other = node.try_login("nobody", "x").await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED, "other accounts are not locked");
    assert!(other.headers().get("set-cookie").is_none());
}

/// The session cookie is HttpOnly, Secure and SameSite=Strict.
#[tokio::test]
async fn the_session_cookie_is_locked_down() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    let r = node.try_login("op", &node.passwords["op"]).await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
}

/// Every route of the route table (`src/http/mod.rs`, read as source) is in the OpenAPI document
/// the node serves, with the same methods, and the document lists nothing the node does not
/// route: adding a route without its `#[utoipa::path]` in `ApiDoc` fails here.
#[tokio::test]
async fn the_openapi_document_lists_every_route_and_method() {
    use std::collections::BTreeSet;
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let mut routed = BTreeSet::new();
    for part in src.split("web::resource(\"").skip(1) {
        let path = &part[..part.find('"').unwrap()];
        let mut methods = 0;
        for m in ["get", "post", "put", "patch", "delete"] {
            if part.contains(&format!("web::{m}()")) {
                routed.insert((path.to_owned(), m.to_owned()));
                methods += 1;
            }
        }
        assert!(methods > 0, "{path}: no method found in the route table (has src/http/mod.rs changed shape?)");
    }
    assert!(routed.len() >= 30, "only {} routes read from src/http/mod.rs: has it changed shape?", routed.len());

    let node = TestNode::spawn();
    let r = node.client().get(node.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}: no responses");
            documented.insert((path.clone(), method.clone()));
        }
    }
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from ApiDoc: {undocumented:?}");
    assert!(unrouted.is_empty(), "documented but not routed: {unrouted:?}");
}

#[path = "../../benches/intake_client/mod.rs"]
mod intake_client;

/// An idle HTTPS connection stays open longer than actix's 5 s default: the staff pages poll
/// every 15 and 30 s on it, and a poll must not race the server closing it. A second report on
/// the same connection after 6 idle seconds is answered.
#[tokio::test]
async fn an_idle_connection_is_kept_for_the_next_request() {
    let node = TestNode::spawn();
    let pem = std::fs::read(node.data_dir().join("tls-cert.pem")).unwrap();
    let mut conn = intake_client::Target::new(&node.base, Some(&pem)).connect().await.unwrap();
    let report = |phone: &str| report_from(phone, "crime", "Sepeda motor dicuri di parkiran pasar").to_string();
    let first = conn.post_json("/api/v1/reports", report("081234560001").as_bytes()).await.unwrap();
    assert_eq!(first, 201);
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let second = conn.post_json("/api/v1/reports", report("081234560002").as_bytes()).await;
    assert_eq!(second.ok(), Some(201), "the connection was closed after 6 idle seconds");
}
