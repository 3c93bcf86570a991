//! The web UI's pages over plain HTTPS: every page answers with the strict security headers,
//! pages are revalidated by ETag, and no page carries inline script or style.

use crate::support::*;
use reqwest::StatusCode;

const PAGES: [&str; 7] = ["/", "/lacak", "/konsol", "/pantau", "/admin", "/audit", "/sop"];

#[tokio::test]
async fn every_page_is_served_with_a_strict_policy_and_no_inline_code() {
    let node = TestNode::spawn();
    let c = node.client();
    for path in PAGES {
        let r = c.get(node.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let h = r.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        let body = r.text().await.unwrap();
        let lower = body.to_lowercase();
        assert!(!lower.contains("<script>") && !lower.contains("<script type=\"module\">"), "{path}: inline script");
        assert!(!lower.contains(" style=") && !lower.contains("<style"), "{path}: inline style");
        assert!(!lower.contains(" onclick=") && !lower.contains(" onload="), "{path}: inline handler");

        // revalidation: the same ETag answers 304 with no body
        let etag = h["etag"].to_str().unwrap().to_owned();
        let again = c.get(node.url(path)).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    for asset in ["/assets/app.css", "/assets/form.js", "/assets/konsol.js", "/assets/pantau.js", "/assets/i18n.js"] {
        let r = c.get(node.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"), "{asset}");
        let body = r.text().await.unwrap();
        assert!(!body.contains(".innerHTML") && !body.contains("insertAdjacentHTML"), "{asset} sets HTML");
    }
    let r = c.get(node.url("/no-such-page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c.get(node.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "no_such_route");
    let r = c.head(node.url("/pantau")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.post(node.url("/konsol")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// The staff pages take which pages a role may open and what it may do from `/api/v1/me`: their
/// scripts hold no role list of their own (the add-user picker of the admin page names every role).
#[tokio::test]
async fn staff_scripts_hold_no_role_list() {
    let node = TestNode::spawn();
    let c = node.client();
    let roles = ["operator", "pa_siaga", "ka_siaga", "unit_officer", "leader", "auditor", "propam", "tik_admin"];
    for asset in ["staff.js", "konsol.js", "pantau.js", "audit.js", "case-view.js", "sop.js"] {
        let body = c.get(node.url(&format!("/assets/{asset}"))).send().await.unwrap().text().await.unwrap();
        assert!(body.contains("staffSession") || body.contains("renderCase"), "{asset} is served: {body:.80}");
        for role in roles {
            assert!(!body.contains(&format!("'{role}'")), "{asset} names the role {role}");
        }
    }
    for page in ["konsol", "pantau", "admin", "audit"] {
        let body = c.get(node.url(&format!("/{page}"))).send().await.unwrap().text().await.unwrap();
        assert!(!body.contains("<header") && !body.contains("login-form"), "/{page} carries its own shell");
    }
}
