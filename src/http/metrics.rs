//! `GET /metrics` (Prometheus text format) and the middleware that records every request by
//! route pattern.

use super::error::ApiError;
use crate::service::App;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use std::time::Instant;

/// Records count and latency of every request under its route pattern (`/api/v1/cases/{ticket}`),
/// `static` for the embedded pages and `unmatched` for the rest, never the raw path.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let app = req.app_data::<web::Data<App>>().cloned();
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await;
    if let Some(app) = app {
        let (route, status) = match &res {
            Ok(r) => (
                r.request().match_pattern().unwrap_or_else(|| {
                    if r.status() == StatusCode::NOT_FOUND {
                        "unmatched".into()
                    } else {
                        "static".into()
                    }
                }),
                r.status().as_u16(),
            ),
            Err(e) => ("unmatched".into(), e.as_response_error().status_code().as_u16()),
        };
        app.metrics.observe_request(&route, &method, status, start.elapsed().as_secs_f64());
    }
    res
}

/// Prometheus text format: request counts and latencies per route, case and sync gauges. Only for
/// the addresses in `metrics_allow` (default: loopback).
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 403, body = super::error::ErrorBody)))]
pub async fn metrics(app: web::Data<App>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = req.peer_addr().is_some_and(|a| app.metrics_allow.allows(a.ip()));
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "metrics are served only to the addresses in metrics_allow (default: loopback)",
        ));
    }
    let app2 = app.clone();
    let text = web::block(move || -> Result<String, crate::service::ServiceError> {
        let f = crate::service::figures::figures(&app2)?;
        let o = crate::channel::whatsapp::outbox_figures(&app2)?;
        let oldest = o.oldest_pending.map(|t| crate::service::now().0.saturating_sub(t.0) as f64 / 1000.0);
        Ok(crate::service::figures::render(&app2.metrics, &f, o.pending, oldest.unwrap_or(0.0)))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}
