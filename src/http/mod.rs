//! The only module that uses actix: routes, extractors, DTOs, the error type and the embedded UI
//! (`pages`).

pub mod csv;
pub mod drill;
pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod multipart;
pub mod open311;
pub mod origin;
pub mod pages;
pub mod polsek;
pub mod rekap;
pub mod routes;

use crate::service::App;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpResponse};
use error::ApiError;
use extract::BodyLimit;
use std::sync::Arc;

/// Body limits per route: what the route needs, read only after its role check (extract.rs).
/// A signed release: the executable (16 MiB today) gzipped, with room to grow.
pub const RELEASE_LIMIT: usize = 64 << 20;
/// A report: description and address of at most 4000 characters each, escaped at worst.
const REPORT_LIMIT: usize = 64 << 10;
/// A report with photos: the report, and one photo more than are taken (see `PhotosLimit`).
const PHOTOS_LIMIT: usize = REPORT_LIMIT + (crate::model::photo::PHOTOS_MAX + 1) * crate::model::photo::PHOTO_MAX_BYTES;
/// A case action: one text of at most 4000 characters, escaped at worst.
const ACTION_LIMIT: usize = 32 << 10;
/// A WhatsApp webhook delivery (Meta batches a few messages; media comes by id, not inline).
pub const WEBHOOK_LIMIT: usize = 1 << 20;
/// An SOP text (the reference with its guidance is about 20 KiB), or its signed form.
const SOP_LIMIT: usize = 256 << 10;
/// Logins, accounts, blocks: a few short fields.
const SMALL_LIMIT: usize = 4 << 10;

/// Content-Security-Policy: nothing inline, nothing from elsewhere (DESIGN: the UI works offline).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; media-src 'self' data:; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this address does not take that method"))
}

/// Registers every route on an actix app.
pub fn configure(
    app: Arc<App>,
    whatsapp: Option<Arc<crate::channel::whatsapp::WhatsApp>>,
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    let data = web::Data::from(app);
    let wa = whatsapp.map(web::Data::from);
    let release_slots = extract::ReleaseSlots::default();
    let photo_slots = multipart::PhotoSlots::default();
    move |cfg: &mut web::ServiceConfig| {
        use routes::*;
        let na = || web::to(method_not_allowed);
        if let Some(wa) = &wa {
            cfg.app_data(wa.clone());
        }
        cfg.app_data(data.clone())
            .app_data(release_slots.clone())
            .app_data(photo_slots.clone())
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("bad query string: {e}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
            .service(web::resource("/healthz").route(web::get().to(healthz)).default_service(na()))
            .service(web::resource("/metrics").route(web::get().to(metrics::metrics)).default_service(na()))
            .service(web::resource("/api/v1/openapi.json").route(web::get().to(openapi)).default_service(na()))
            .service(
                web::resource("/api/v1/reports")
                    .app_data(BodyLimit(REPORT_LIMIT))
                    .app_data(multipart::PhotosLimit(PHOTOS_LIMIT))
                    .route(web::post().to(create_report))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/reports/{ticket}").route(web::get().to(track_report)).default_service(na()))
            .service(
                web::resource("/api/v1/reports/{ticket}/stpl").route(web::get().to(report_stpl)).default_service(na()),
            )
            .service(web::resource("/api/v1/cases/{ticket}/stpl").route(web::get().to(case_stpl)).default_service(na()))
            .service(
                web::resource("/api/v1/session")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(login))
                    .route(web::delete().to(logout))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/me").route(web::get().to(whoami)).default_service(na()))
            .service(web::resource("/api/v1/cases").route(web::get().to(list_cases)).default_service(na()))
            .service(web::resource("/api/v1/cases/{ticket}").route(web::get().to(get_case)).default_service(na()))
            .service(
                web::resource("/api/v1/cases/{ticket}/photos/{sha256}")
                    .route(web::get().to(case_photo))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/cases/{ticket}/actions")
                    .app_data(BodyLimit(ACTION_LIMIT))
                    .route(web::post().to(case_action))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/units").route(web::get().to(units)).default_service(na()))
            .service(web::resource("/api/v1/areas/{regency}").route(web::get().to(areas)).default_service(na()))
            .service(web::resource("/api/v1/board").route(web::get().to(board)).default_service(na()))
            .service(web::resource("/api/v1/integrity").route(web::get().to(integrity)).default_service(na()))
            .service(web::resource("/api/v1/sync/status").route(web::get().to(sync_status)).default_service(na()))
            .service(
                web::resource("/api/v1/releases")
                    .app_data(BodyLimit(RELEASE_LIMIT))
                    .route(web::post().to(publish_release))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/reporters/{phone}").route(web::get().to(get_reporter)).default_service(na()),
            )
            .service(
                web::resource("/api/v1/reporters/{phone}/block")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(block_reporter))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/reporters/{phone}/lift")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(lift_block))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/blocklist").route(web::get().to(blocklist)).default_service(na()))
            .service(web::resource("/api/v1/stats/prank").route(web::get().to(prank_figures)).default_service(na()))
            .service(web::resource("/api/v1/rekap").route(web::get().to(rekap)).default_service(na()))
            .service(web::resource("/api/v1/rekap/shifts").route(web::get().to(rekap_shifts)).default_service(na()))
            .service(
                web::resource("/api/v1/rekap/shifts/{from}/note")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(rekap_shift_note))
                    .default_service(na()),
            )
            .service(
                web::resource("/webhooks/whatsapp")
                    .route(web::get().to(whatsapp_verify))
                    .route(web::post().to(whatsapp_receive))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/whatsapp/outbox").route(web::get().to(whatsapp_outbox)).default_service(na()),
            )
            .service(web::resource("/api/v1/access-log").route(web::get().to(access_log)).default_service(na()))
            .service(web::resource("/api/v1/access-log.csv").route(web::get().to(access_log_csv)).default_service(na()))
            .service(web::resource("/api/v1/stream").route(web::get().to(stream)).default_service(na()))
            .service(
                web::resource("/api/v1/users")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::get().to(list_users))
                    .route(web::post().to(add_user))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/users/pending").route(web::get().to(pending_users)).default_service(na()))
            .service(
                web::resource("/api/v1/users/{name}/enable").route(web::post().to(enable_user)).default_service(na()),
            )
            .service(
                web::resource("/api/v1/users/{name}/confirm").route(web::post().to(confirm_user)).default_service(na()),
            )
            .service(
                web::resource("/api/v1/users/{name}/disable").route(web::post().to(disable_user)).default_service(na()),
            )
            .service(
                web::resource("/api/v1/users/{name}/identity")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(set_user_identity))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/users/{name}/password")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(set_user_password))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/polsek")
                    .app_data(polsek::LIMIT)
                    .route(web::get().to(polsek::get_polsek))
                    .route(web::put().to(polsek::put_polsek))
                    .default_service(na()),
            )
            // Open311 GeoReport v2 (http/open311.rs)
            .service(
                web::resource("/open311/v2/discovery.{format}")
                    .route(web::get().to(open311::discovery))
                    .default_service(na()),
            )
            .service(
                web::resource("/open311/v2/services.{format}")
                    .route(web::get().to(open311::services))
                    .default_service(na()),
            )
            .service(
                web::resource("/open311/v2/services/{service_code}.{format}")
                    .route(web::get().to(open311::service_definition))
                    .default_service(na()),
            )
            .service(
                web::resource("/open311/v2/requests.{format}")
                    .app_data(BodyLimit(open311::REQUEST_LIMIT))
                    .route(web::get().to(open311::get_requests))
                    .route(web::post().to(open311::post_request))
                    .default_service(na()),
            )
            .service(
                web::resource("/open311/v2/requests/{service_request_id}.{format}")
                    .route(web::get().to(open311::get_request))
                    .default_service(na()),
            )
            .service(
                web::resource("/open311/v2/tokens/{token}.{format}")
                    .route(web::get().to(open311::get_token))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/open311/keys")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::get().to(open311::list_keys))
                    .route(web::post().to(open311::add_key))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/open311/keys/{name}/revoke")
                    .route(web::post().to(open311::revoke_key))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/sop").route(web::get().to(get_sop)).default_service(na()))
            .service(
                web::resource("/api/v1/sop/versions")
                    .app_data(BodyLimit(SOP_LIMIT))
                    .route(web::get().to(sop_versions))
                    .route(web::post().to(draft_sop))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/sop/versions/{version}").route(web::get().to(sop_version)).default_service(na()),
            )
            .service(
                web::resource("/api/v1/sop/versions/{version}/actions")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(sop_action))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/sop/signed")
                    .app_data(BodyLimit(SOP_LIMIT))
                    .route(web::post().to(install_signed_sop))
                    .default_service(na()),
            )
            // Latihan (drills): http/drill.rs
            .service(
                web::resource("/api/v1/drills/scenarios")
                    .app_data(BodyLimit(crate::model::drill::SCENARIO_MAX))
                    .route(web::get().to(drill::scenarios))
                    .route(web::post().to(drill::upload_scenario))
                    .default_service(na()),
            )
            .service(
                web::resource("/api/v1/drills")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::get().to(drill::list))
                    .route(web::post().to(drill::start))
                    .default_service(na()),
            )
            .service(web::resource("/api/v1/drills/hub").route(web::get().to(drill::hub_list)).default_service(na()))
            .service(web::resource("/api/v1/drills/{id}").route(web::get().to(drill::get)).default_service(na()))
            .service(
                web::resource("/api/v1/drills/{id}/actions")
                    .app_data(BodyLimit(SMALL_LIMIT))
                    .route(web::post().to(drill::action))
                    .default_service(na()),
            )
            .configure(pages::configure)
            .default_service(web::to(pages::fallback));
    }
}

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
}
