//! Photos with a web report (multipart), over HTTPS: kept with the report and read by staff,
//! access-logged; each bad photo refused with its own code and nothing kept. Public progress
//! notes reach tracking.

use crate::support::{report_body, Options, TestNode};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A file as a browser sends it: name, declared type, bytes.
type Photo<'a> = (&'a str, &'a str, &'a [u8]);

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a small jpeg";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a small png";

/// A `multipart/form-data` body: the report JSON, then each photo (with the file name and type
/// a browser would send, which the server does not trust).
fn multipart(report: &Value, photos: &[Photo]) -> (String, Vec<u8>) {
    let b = "----banpolTestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n{report}\r\n"
    )
    .into_bytes();
    for (name, ty, bytes) in photos {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: {ty}\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{b}--\r\n").bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn send(node: &TestNode, c: &Client, report: &Value, photos: &[Photo<'_>]) -> (StatusCode, Value) {
    let (ct, body) = multipart(report, photos);
    let r = c.post(node.url("/api/v1/reports")).header("content-type", ct).body(body).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn photos_go_with_the_report_and_staff_read_them_logged() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("op", "operator", None);
    node.add_user("oki1", "unit_officer", Some("OKI"));
    node.add_user("itwasda", "auditor", None);
    let citizen = node.client();
    let report = report_body("crime", "Motor saya dicuri, ini foto pelakunya dari CCTV warung");
    // a PNG sent under a .jpg name and a wrong declared type: the bytes decide
    let (s, v) =
        send(&node, &citizen, &report, &[("cctv.jpg", "image/jpeg", JPEG), ("b.jpg", "image/jpeg", PNG)]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ticket = v["ticket"].as_str().unwrap().to_owned();

    let op = node.login("op").await;
    let c = op.case(&ticket).await;
    let shas: Vec<String> =
        c["attachments"].as_array().unwrap().iter().map(|a| a["sha256"].as_str().unwrap().to_owned()).collect();
    assert_eq!(shas.len(), 2, "{c}");
    assert_eq!(c["attachments"][0]["media_id"], format!("sha256:{}", shas[0]));
    for (sha, bytes, ty) in [(&shas[0], JPEG, "image/jpeg"), (&shas[1], PNG, "image/png")] {
        let r = op.client.get(node.url(&format!("/api/v1/cases/{ticket}/photos/{sha}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], ty);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(&r.bytes().await.unwrap()[..], bytes);
    }
    // not a photo of this case, not logged in, out of the unit's scope: nothing to see
    let path = |sha: &str| format!("/api/v1/cases/{ticket}/photos/{sha}");
    let (s, v) = op.get(&path(&"0".repeat(64))).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let r = citizen.get(node.url(&path(&shas[0]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (s, _) = node.login("oki1").await.get(&path(&shas[0])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, log) = node.login("itwasda").await.get("/api/v1/access-log?limit=50").await;
    let reads: Vec<&Value> =
        log["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "read_photo").collect();
    assert_eq!(reads.len(), 2, "{log}");
    assert!(reads.iter().all(|e| e["actor"] == "op"), "{reads:?}");
}

#[tokio::test]
async fn each_bad_photo_has_its_own_code_and_nothing_is_kept() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("op", "operator", None);
    let citizen = node.client();
    let report = report_body("crime", "Rumah saya dibobol maling tadi malam, pintu rusak");
    let big = [JPEG, &vec![0u8; 5 << 20]].concat();
    let cases: [(&[Photo], StatusCode, &str, &str); 4] = [
        (
            &[("a.jpg", "image/jpeg", JPEG), ("b.jpg", "image/jpeg", b"GIF89a not kept")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo_not_image",
            "photos[1]",
        ),
        (
            &[("evil.png", "image/png", b"<svg onload=alert(1)>")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo_not_image",
            "photos[0]",
        ),
        (&[("big.jpg", "image/jpeg", &big)], StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large", "photos[0]"),
        (&[("a.jpg", "image/jpeg", JPEG); 4], StatusCode::UNPROCESSABLE_ENTITY, "too_many_photos", "photos"),
    ];
    for (photos, status, code, field) in cases {
        let (s, v) = send(&node, &citizen, &report, photos).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (status, Some(code), Some(field)), "{v}");
    }
    // broken bodies: no report part, an unknown part, a body over the route's limit unread
    let (s, v) = send(&node, &citizen, &json!(null), &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (ct, body) = multipart(&report, &[]);
    let body = String::from_utf8(body).unwrap().replace("name=\"report\"", "name=\"other\"");
    let r = citizen.post(node.url("/api/v1/reports")).header("content-type", &ct).body(body).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["code"].as_str(), v["field"].as_str()), (Some("invalid_field"), Some("other")));
    let r = citizen
        .post(node.url("/api/v1/reports"))
        .header("content-type", &ct)
        .header("content-length", (30u64 << 20).to_string())
        .body(vec![0u8; 1024])
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let r =
        citizen.post(node.url("/api/v1/reports")).header("content-type", "text/plain").body("x").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (_, q) = node.login("op").await.get("/api/v1/cases?status=all").await;
    assert_eq!(q["total"], 0, "a refused report keeps nothing: {q}");
    // the same report without the bad photo goes through
    let (s, v) = send(&node, &citizen, &report, &[("a.jpg", "image/jpeg", JPEG)]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn a_public_progress_note_reaches_tracking_with_its_time() {
    let mut node = TestNode::spawn();
    node.add_user("op", "operator", None);
    node.add_user("plg1", "unit_officer", Some("PLG"));
    let (ticket, token) = node.report(&node.client(), "crime", "Dompet saya dicopet di angkot jurusan Ampera").await;
    let op = node.login("op").await;
    for body in
        [json!({"action": "verify", "method": "callback_confirmed"}), json!({"action": "dispatch", "unit": "PLG"})]
    {
        let (s, v) = op.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let unit = node.login("plg1").await;
    for body in [
        json!({"action": "acknowledge"}),
        json!({"action": "progress", "note": "Saksi sedang dimintai keterangan (internal)"}),
        json!({"action": "progress", "note": "Petugas sudah memeriksa lokasi kejadian", "public": true}),
    ] {
        let (s, v) = unit.act(&ticket, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let h = unit.case(&ticket).await["history"].clone();
    let progressed: Vec<&Value> = h.as_array().unwrap().iter().filter(|e| e["type"] == "progressed").collect();
    assert_eq!(
        progressed.iter().map(|e| e["details"]["public"].clone()).collect::<Vec<_>>(),
        [json!(false), json!(true)]
    );
    let r = node.client().get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{v}");
    assert_eq!(notes[0]["text"], "Petugas sudah memeriksa lokasi kejadian");
    assert!(notes[0]["at"].as_str().unwrap().ends_with("+07:00"), "WIB: {v}");
}

/// The form's counter counts to the server's real limit.
#[tokio::test]
async fn the_form_counts_to_the_servers_limit() {
    let node = TestNode::spawn();
    let page = node.client().get(node.url("/")).send().await.unwrap().text().await.unwrap();
    let want = format!("data-max=\"{}\"", banpol::model::report::DESCRIPTION_MAX);
    assert!(page.contains(&want), "the form's description says {want}");
    assert!(!page.contains("id=\"description\" name=\"description\" rows=\"5\" maxlength"), "no silent cut");
}
