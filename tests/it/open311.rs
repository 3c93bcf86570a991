//! Open311 GeoReport v2 (issue 19): a real GeoReport v2 client (Python's `georeport` from PyPI,
//! in a virtual environment under `target/`) lists the services, files a request, reads it back
//! by id and by date range and follows it through verify -> dispatch -> resolve made by staff,
//! in XML and in JSON. Bad input gets its own Open311 error and stores nothing; keys are issued,
//! listed and revoked from the CLI; every use is in the access log.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static VENV: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The venv's python with `georeport` installed: made once (idempotent: kept under `target/`
/// and reused, so a machine that made it once needs no network again).
fn python() -> PathBuf {
    let mut v = VENV.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = &*v {
        return p.clone();
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/open311-venv");
    let py = dir.join("bin/python");
    let ready = |py: &Path| {
        Command::new(py).args(["-c", "import georeport, xmltodict, requests"]).status().is_ok_and(|s| s.success())
    };
    if !ready(&py) {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&dir).status().expect("python3");
        assert!(made.success(), "python3 -m venv failed: install python3-venv");
        let pip = Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "georeport==0.3.1"])
            .status()
            .expect("pip");
        assert!(pip.success(), "pip install georeport failed (it needs PyPI once; later runs reuse {})", dir.display());
        assert!(ready(&py), "georeport does not import in {}", dir.display());
    }
    *v = Some(py.clone());
    py
}

/// Runs the partner client (`open311_client.py`) against `node` with `key`.
fn client(node: &TestNode, key: &str, fmt: &str, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/open311_client.py");
    let out = Command::new(python())
        .arg(script)
        .args([node.base.as_str(), key, fmt])
        .args(args)
        .env("REQUESTS_CA_BUNDLE", node.data_dir().join("tls-cert.pem"))
        .output()
        .expect("run the Open311 client");
    assert!(out.status.success(), "client {args:?} ({fmt}) failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Issues a key from the CLI; returns it (the last line of the output).
fn add_key(node: &TestNode, name: &str) -> String {
    let out = node.cli(&["open311", "key", "add", name], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let key = text.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("o311-") && key.len() == 45, "{text}");
    key
}

fn spawn() -> TestNode {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("op", "operator", None);
    node.add_user("plg1", "unit_officer", Some("PLG"));
    node.add_user("aud", "auditor", None);
    node
}

fn wib_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7))
}

fn w3c(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

#[tokio::test]
async fn a_partner_app_files_and_follows_a_request_in_xml_and_json() {
    let node = spawn();
    let key = add_key(&node, "mitra-kota");
    let op = node.login("op").await;
    let unit = node.login("plg1").await;
    let aud = node.login("aud").await;

    for fmt in ["xml", "json"] {
        // the services: the four categories, in Bahasa Indonesia; crime asks extra questions
        let s = client(&node, &key, fmt, &["services"]);
        let services = s["services"].as_array().unwrap();
        let codes: Vec<&str> = services.iter().map(|x| x["service_code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["information", "feedback", "appreciation", "crime"], "{fmt}: {s}");
        assert_eq!(services[3]["service_name"], "Peristiwa Tindak Pidana");
        assert!(services[3]["description"].as_str().unwrap().contains("tindak pidana"), "{s}");
        let meta: Vec<String> = services.iter().map(|x| x["metadata"].to_string()).collect();
        let (yes, no) = if fmt == "xml" { ("\"true\"", "\"false\"") } else { ("true", "false") };
        assert_eq!(meta, [no, no, no, yes], "{fmt}");
        let crime = &s["crime"];
        let attrs = if fmt == "xml" { &crime["attributes"]["attribute"] } else { &crime["attributes"] };
        let attr_codes: Vec<&str> = attrs.as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
        assert_eq!(attr_codes, ["waktu_kejadian", "ada_korban"], "{fmt}: {crime}");

        // file a request with coordinates only: its regency is the nearest seat's
        let before = wib_now() - time::Duration::minutes(1);
        let form = json!({
            "service_code": "crime",
            "lat": "-2.990", "long": "104.760",
            "description": format!("Motor dicuri di parkiran pasar ({fmt})"),
            "first_name": "Siti", "last_name": "Aminah", "phone": "0812-1111-2222",
            "email": "siti@example.org",
            "attribute[ada_korban]": "tidak",
        });
        let posted = client(&node, &key, fmt, &["post", &form.to_string()]);
        assert_eq!(posted["status"], 201, "{posted}");
        let ctype = posted["content_type"].as_str().unwrap();
        assert!(ctype.starts_with(if fmt == "xml" { "text/xml" } else { "application/json" }), "{ctype}");
        let id = posted["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("PLG-") && id.len() == 15, "the id is the ticket: {id}");
        let token = posted["token"].as_str().unwrap().to_owned();

        // it is a case like any other, from channel open311, in Kota Palembang
        let c = op.case(&id).await;
        assert_eq!((c["channel"].as_str(), c["regency"].as_str()), (Some("open311"), Some("Kota Palembang")), "{c}");
        assert!(c["description"].as_str().unwrap().contains("Apakah ada korban luka: Tidak"), "{c}");
        assert_eq!(c["reporter_name"], "Siti Aminah");

        // read back by id, by token, by id list and by date range
        let r = client(&node, &key, fmt, &["get", &id]);
        assert_eq!((r["service_request_id"].as_str(), r["status"].as_str()), (Some(id.as_str()), Some("open")), "{r}");
        assert_eq!(r["service_code"], "crime");
        for field in ["requested_datetime", "updated_datetime", "expected_datetime"] {
            assert!(r[field].as_str().unwrap().ends_with("+07:00"), "{field}: {r}");
        }
        let text = r.to_string();
        assert!(!text.contains("Siti") && !text.contains("0812") && !text.contains("Motor"), "no personal data: {r}");
        let t = client(&node, &key, fmt, &["token", &token]);
        assert_eq!(t["service_request_id"], id.as_str());
        let listed = client(&node, &key, fmt, &["ids", &id]);
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let ranged = client(&node, &key, fmt, &["range", &w3c(before), &w3c(wib_now() + time::Duration::minutes(1))]);
        assert!(ranged.as_array().unwrap().iter().any(|x| x["service_request_id"] == id.as_str()), "{ranged}");

        // staff move it; the partner sees each step
        let (s, v) = op.act(&id, json!({"action": "verify", "method": "callback_confirmed"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(client(&node, &key, fmt, &["get", &id])["status"], "open");
        let (s, v) = op.act(&id, json!({"action": "dispatch", "unit": "PLG", "note": "Cek lokasi"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let r = client(&node, &key, fmt, &["get", &id]);
        assert_eq!(
            (r["status"].as_str(), r["agency_responsible"].as_str()),
            (Some("open"), Some("Polrestabes Palembang")),
            "{r}"
        );
        for body in [
            json!({"action": "acknowledge"}),
            json!({"action": "progress", "note": "Tim menuju lokasi"}),
            json!({"action": "resolve", "summary": "Motor ditemukan dan dikembalikan"}),
        ] {
            let (s, v) = unit.act(&id, body).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let r = client(&node, &key, fmt, &["get", &id]);
        assert_eq!(r["status"], "closed", "{r}");
        assert_eq!(r["status_notes"], "Motor ditemukan dan dikembalikan");
        assert!(r["expected_datetime"].is_null(), "nothing more is expected: {r}");
    }

    // every use of the key is in the access log, under the partner's name
    let (s, v) = aud.get("/api/v1/access-log?limit=500").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let entries = v["entries"].as_array().unwrap();
    let count =
        |action: &str| entries.iter().filter(|e| e["action"] == action && e["actor"] == "open311:mitra-kota").count();
    assert_eq!(count("open311_request_add"), 2, "{v}");
    assert!(count("open311_read") >= 10 && count("open311_list") >= 4, "{v}");
    assert!(entries.iter().any(|e| e["action"] == "open311_key_add" && e["target"] == "mitra-kota"));
}

/// A form POST as a partner would send it; the status and the body (XML as text, else JSON).
async fn post(node: &TestNode, fmt: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let body: String = form_encode(form);
    let r = node
        .client()
        .post(node.url(&format!("/open311/v2/requests.{fmt}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn form_encode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// What a bad request is, its form, and the status and Open311 code it gets.
type Refused<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str);

/// `good` with some fields replaced (`Some`) or left out (`None`).
fn form_with<'a>(good: &[(&'a str, &'a str)], changes: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
    let mut f = good.to_vec();
    for (k, v) in changes {
        f.retain(|(x, _)| x != k);
        if let Some(v) = v {
            f.push((k, v));
        }
    }
    f
}

async fn case_count(op: &Session) -> u64 {
    let (s, v) = op.get("/api/v1/cases?status=all").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn bad_input_gets_its_own_open311_error_and_stores_nothing() {
    let node = spawn();
    let key = add_key(&node, "mitra-a");
    let old = add_key(&node, "mitra-lama");
    let out = node.cli(&["open311", "key", "revoke", "mitra-lama"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = String::from_utf8(node.cli(&["open311", "key", "list"], None).stdout).unwrap();
    assert!(
        list.contains("mitra-a") && list.lines().any(|l| l.starts_with("mitra-lama") && l.contains("revoked")),
        "{list}"
    );
    assert!(!list.contains(&key) && !list.contains(&old), "keys are shown once only");
    let op = node.login("op").await;
    let cases = case_count(&op).await;

    let good: Vec<(&str, &str)> = vec![
        ("service_code", "information"),
        ("address_string", "Jl. Sudirman 10, Kota Palembang"),
        ("description", "Bagaimana cara membuat SKCK secara daring?"),
        ("phone", "0813-2222-3333"),
    ];
    let cases_table: Vec<Refused> = vec![
        ("no key", form_with(&good, &[]), StatusCode::FORBIDDEN, "api_key_missing"),
        ("revoked key", form_with(&good, &[("api_key", Some(old.as_str()))]), StatusCode::FORBIDDEN, "api_key_invalid"),
        ("unknown key", form_with(&good, &[("api_key", Some("o311-nope"))]), StatusCode::FORBIDDEN, "api_key_invalid"),
        (
            "unknown service",
            form_with(&good, &[("api_key", Some(key.as_str())), ("service_code", Some("parking"))]),
            StatusCode::BAD_REQUEST,
            "service_code_unknown",
        ),
        (
            "no location",
            form_with(&good, &[("api_key", Some(key.as_str())), ("address_string", None)]),
            StatusCode::BAD_REQUEST,
            "location_missing",
        ),
        (
            "outside Sumatera Selatan (Jakarta)",
            form_with(
                &good,
                &[
                    ("api_key", Some(key.as_str())),
                    ("address_string", None),
                    ("lat", Some("-6.2")),
                    ("long", Some("106.82")),
                ],
            ),
            StatusCode::BAD_REQUEST,
            "location_outside",
        ),
        (
            "outside Sumatera Selatan (Bengkulu)",
            form_with(
                &good,
                &[
                    ("api_key", Some(key.as_str())),
                    ("address_string", None),
                    ("lat", Some("-3.80")),
                    ("long", Some("102.26")),
                ],
            ),
            StatusCode::BAD_REQUEST,
            "location_outside",
        ),
        (
            "no description",
            form_with(&good, &[("api_key", Some(key.as_str())), ("description", None)]),
            StatusCode::BAD_REQUEST,
            "description_missing",
        ),
    ];
    for fmt in ["xml", "json"] {
        for (what, form, status, code) in &cases_table {
            let (s, body) = post(&node, fmt, form).await;
            assert_eq!(s, *status, "{what} ({fmt}): {body}");
            if fmt == "xml" {
                assert!(body.contains(&format!("<errors><error><code>{code}</code><description>")), "{what}: {body}");
            } else {
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v[0]["code"], *code, "{what}: {v}");
                assert!(v[0]["description"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {v}");
            }
        }
    }
    assert_eq!(case_count(&op).await, cases, "nothing is stored for a refused request");

    // reads: a malformed date, a range over 90 days, no key, another key's request
    let get = |path: String| {
        let c = node.client();
        async move {
            let r = c.get(path).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let q = |rest: &str| node.url(&format!("/open311/v2/requests.json?api_key={key}&{rest}"));
    for (query, status, code) in [
        ("start_date=kemarin", StatusCode::BAD_REQUEST, "date_invalid"),
        ("end_date=2026-13-40", StatusCode::BAD_REQUEST, "date_invalid"),
        (
            "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
            StatusCode::BAD_REQUEST,
            "date_range_invalid",
        ),
        ("status=pending", StatusCode::BAD_REQUEST, "status_invalid"),
    ] {
        let (s, body) = get(q(query)).await;
        assert_eq!(s, status, "{query}: {body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()[0]["code"], code, "{query}");
    }
    let (s, body) = get(node.url("/open311/v2/requests.xml")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("<code>api_key_missing</code>"), "{body}");

    let (s, body) = post(&node, "json", &form_with(&good, &[("api_key", Some(key.as_str()))])).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"].as_str().unwrap().to_owned();
    assert_eq!(op.case(&id).await["regency"], "Kota Palembang", "named in address_string");
    let other = add_key(&node, "mitra-b");
    let (s, body) = get(node.url(&format!("/open311/v2/requests/{id}.json?api_key={other}"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another partner's request: {body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()[0]["code"], "request_not_found");
    let (s, body) = get(node.url(&format!("/open311/v2/requests.json?api_key={other}"))).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "[]"), "mitra-b filed nothing");
    let (s, body) = get(node.url(&format!("/open311/v2/requests/{id}.json?api_key={key}"))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = get(node.url("/open311/v2/services.html")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tik_admin_issues_and_revokes_keys_over_the_api() {
    let mut node = TestNode::spawn();
    node.add_user("tik", "tik_admin", None);
    node.add_user("op", "operator", None);
    let tik = node.login("tik").await;
    let op = node.login("op").await;
    let (s, v) = op.post("/api/v1/open311/keys", &json!({"name": "mitra-x"})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{v}");
    let (s, v) = tik.post("/api/v1/open311/keys", &json!({"name": "Bad Name"})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_key_name")), "{v}");
    let (s, v) = tik.post("/api/v1/open311/keys", &json!({"name": "mitra-x"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = v["key"].as_str().unwrap().to_owned();
    let (s, v) = tik.post("/api/v1/open311/keys", &json!({"name": "mitra-x"})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("key_exists")), "{v}");
    let (s, v) = tik.get("/api/v1/open311/keys").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["name"], "mitra-x");
    assert!(v[0].get("key").is_none() && !v.to_string().contains(&key), "the key is not shown again: {v}");

    let ok = node.client().get(node.url(&format!("/open311/v2/requests.json?api_key={key}"))).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let (s, v) = tik.post("/api/v1/open311/keys/mitra-x/revoke", &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["revoked_at"].as_str().unwrap().ends_with("+07:00"));
    let gone = node.client().get(node.url(&format!("/open311/v2/requests.json?api_key={key}"))).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::FORBIDDEN);
    let (s, v) = tik.post("/api/v1/open311/keys/mitra-x/revoke", &json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_such_key")), "{v}");
}
