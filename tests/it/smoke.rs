use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

/// The built executable serves a demo post: health, first logins, demo cases, the landing page
/// with its security headers, the OpenAPI description; and it stops cleanly on SIGTERM.
#[tokio::test]
async fn the_executable_serves_a_demo_post_and_stops_on_sigterm() {
    let mut node = TestNode::spawn_demo();
    for user in ["admin", "operator", "pasiaga", "unit.plg", "auditor"] {
        assert!(node.passwords.contains_key(user), "first login for {user} printed");
    }
    let c = node.client();
    let h: Value = c.get(node.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["node"], "PLG");

    let page = c.get(node.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(page.text().await.unwrap().contains("Layanan Bantuan Polisi"));

    let op = node.login("operator").await;
    let (s, q) = op.get("/api/v1/cases?status=new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(q["total"].as_u64().unwrap() >= 1, "demo cases are seeded: {q}");
    let (_, all) = op.get("/api/v1/cases?per_page=200").await;
    let states: Vec<&str> = all["items"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    for want in ["new", "verified", "dispatched", "in_progress", "resolved"] {
        assert!(states.contains(&want), "a demo case is {want}: {states:?}");
    }

    let api: Value = c.get(node.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(api["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/reports",
        "/api/v1/reports/{ticket}",
        "/api/v1/session",
        "/api/v1/cases",
        "/api/v1/cases/{ticket}/actions",
        "/healthz",
    ] {
        assert!(api["paths"].get(path).is_some(), "OpenAPI lists {path}");
    }

    // plain HTTP is not served
    let plain = reqwest::Client::new().get(node.url("/healthz").replace("https://", "http://")).send().await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));

    let status = node.stop();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    assert!(!node.data_dir().join("admin.sock").exists(), "the admin socket is removed on exit");
}
