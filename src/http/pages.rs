//! The web UI: each page's address, and the static files under `web/` (embedded with rust-embed).
//! Pages are plain HTML that load ES modules from `/assets/`; nothing is inlined, so the strict
//! Content-Security-Policy (`CSP` in `mod.rs`) holds. Pages are revalidated on each load (ETag);
//! assets are cached for a while and revalidated with the same ETag.

use super::error::ApiError;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{guard, web, HttpRequest, HttpResponse};

#[derive(rust_embed::RustEmbed)]
#[folder = "web/"]
struct Web;

/// The pages: address and file.
pub const PAGES: &[(&str, &str)] = &[
    ("/", "index.html"),
    ("/lacak", "lacak.html"),
    ("/konsol", "konsol.html"),
    ("/pantau", "pantau.html"),
    ("/admin", "admin.html"),
    ("/audit", "audit.html"),
    ("/sop", "sop.html"),
    ("/rekap", "rekap.html"),
    ("/latihan", "latihan.html"),
];

/// Registers the pages and `/assets/{file}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, file) in PAGES {
        let file: &'static str = file;
        cfg.service(
            web::resource(*path)
                .route(read().to(move |req: HttpRequest| async move { serve(&req, file, "no-cache") }))
                .default_service(web::to(method_not_allowed)),
        );
    }
    // the printable STPL of one case: the page reads the ticket from its address
    cfg.service(
        web::resource("/stpl/{ticket}")
            .route(read().to(|req: HttpRequest| async move { serve(&req, "stpl.html", "no-cache") }))
            .default_service(web::to(method_not_allowed)),
    );
    // Latihan: one drill's scorecard (printable A4); the page reads the id from its address
    cfg.service(
        web::resource("/latihan/{id}")
            .route(read().to(|req: HttpRequest| async move { serve(&req, "latihan.html", "no-cache") }))
            .default_service(web::to(method_not_allowed)),
    );
    cfg.service(
        web::resource("/assets/{file}")
            .route(read().to(|req: HttpRequest, f: web::Path<String>| async move {
                serve(&req, &format!("assets/{f}"), "public, max-age=3600")
            }))
            .default_service(web::to(method_not_allowed)),
    );
}

/// GET and HEAD (actix leaves the body out of a HEAD answer).
fn read() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "pages are read with GET"))
}

fn serve(req: &HttpRequest, name: &str, cache: &str) -> Result<HttpResponse, ApiError> {
    let Some(file) = Web::get(name) else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page"));
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..8]));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    resp.insert_header((header::CACHE_CONTROL, cache)).insert_header((header::ETAG, etag));
    if fresh {
        return Ok(resp.finish());
    }
    Ok(resp.insert_header((header::CONTENT_TYPE, file.metadata.mimetype().to_owned())).body(file.data.into_owned()))
}

/// Anything else: API addresses answer in JSON, other addresses with "no such page".
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if path.starts_with("/api/") || path == "/api" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_route",
            "no such API route: see /api/v1/openapi.json",
        ));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "pages are read with GET"));
    }
    Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page"))
}

#[cfg(test)]
mod tests {
    use crate::model::role::Page;

    /// Every staff page a role can be sent to (`Role::pages`, `me.pages`) is served.
    #[test]
    fn every_staff_page_is_served() {
        for p in Page::ALL {
            let path = format!("/{}", p.as_str());
            let file = format!("{}.html", p.as_str());
            assert!(super::PAGES.contains(&(path.as_str(), file.as_str())), "{path}");
            assert!(super::Web::get(&file).is_some(), "{file}");
        }
    }
}
