//! The Polsek lists on the wire: `GET /api/v1/polsek` (each Polres of this node, at the hub
//! every Polres, with the list in force and its versions) and `PUT /api/v1/polsek` (a post's
//! `tik_admin` saves its Polres's list). Converted by hand from `service::polsek`.

use super::dto::wib;
use super::error::ApiError;
use super::extract::{client_addr, Authed, BodyLimit, JsonBody, RunNode};
use crate::model::units::RawPolsek;
use crate::model::wilayah::Level;
use crate::service::polsek::{self, Book, Saved};
use crate::service::App;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type Result<T> = std::result::Result<T, ApiError>;

/// A list of Polsek is small: 64 KiB holds hundreds of entries.
pub const LIMIT: BodyLimit = BodyLimit(64 * 1024);

#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictOut {
    /// the official kecamatan code (`16.02.05`)
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolsekOut {
    pub code: String,
    pub name: String,
    pub districts: Vec<DistrictOut>,
    /// an example entry of the units file, not a real list
    pub example: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub version: u64,
    pub saved_by: String,
    /// RFC 3339, WIB
    pub saved_at: String,
    /// the node where it was saved
    pub node: String,
    pub polsek: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolresPolsekOut {
    pub polres: String,
    pub name: String,
    pub regency: Option<String>,
    pub regency_code: Option<String>,
    /// the version in force: 0 is the units file's entries (the default)
    pub version: u64,
    pub saved_by: Option<String>,
    pub saved_at: Option<String>,
    pub polsek: Vec<PolsekOut>,
    /// every kecamatan of the regency, for the editor
    pub districts: Vec<DistrictOut>,
    /// every saved version, oldest first
    pub versions: Vec<VersionOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolsekBookOut {
    /// the Polres whose list this node may edit (`null` at the hub: read only)
    pub editable: Option<String>,
    pub polres: Vec<PolresPolsekOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolsekEntryIn {
    /// the unit code: the Polres's code and more (`OKIKAG`)
    pub code: String,
    pub name: String,
    /// official kecamatan codes of the Polres's regency
    pub districts: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolsekIn {
    pub polres: String,
    /// the version the edit started from: refused with `polsek_stale` if another was saved since
    #[serde(default)]
    pub base_version: Option<u64>,
    pub polsek: Vec<PolsekEntryIn>,
}

fn district(app: &App, code: &str) -> DistrictOut {
    let name = app.units.areas.get(Level::District, code).map(|a| a.name.clone()).unwrap_or_default();
    DistrictOut { code: code.to_owned(), name }
}

fn version_out(s: &Saved) -> VersionOut {
    VersionOut {
        version: s.version,
        saved_by: s.by.clone(),
        saved_at: wib(s.at),
        node: s.node.clone(),
        polsek: s.polsek.len(),
    }
}

fn book_out(app: &App, b: Book) -> PolsekBookOut {
    let polres = b
        .polres
        .into_iter()
        .map(|p| PolresPolsekOut {
            polres: p.polres.code.to_string(),
            name: p.polres.name.clone(),
            regency: p.polres.regency.clone(),
            regency_code: p.polres.regency_code.clone(),
            version: p.current.as_ref().map_or(0, |s| s.version),
            saved_by: p.current.as_ref().map(|s| s.by.clone()),
            saved_at: p.current.as_ref().map(|s| wib(s.at)),
            polsek: p
                .polsek
                .iter()
                .map(|u| PolsekOut {
                    code: u.code.to_string(),
                    name: u.name.clone(),
                    districts: u.districts.iter().map(|d| district(app, d)).collect(),
                    example: u.example,
                })
                .collect(),
            districts: p
                .polres
                .regency_code
                .as_deref()
                .map(|r| app.units.areas.districts_of(r).map(|a| district(app, &a.code)).collect())
                .unwrap_or_default(),
            versions: p.versions.iter().map(version_out).collect(),
        })
        .collect();
    PolsekBookOut { editable: b.editable.first().map(|c| c.to_string()), polres }
}

/// The Polsek of each Polres of this node (at the hub: of every Polres, as the posts saved them)
/// and the kecamatan each covers.
#[utoipa::path(get, path = "/api/v1/polsek", responses((status = 200, body = PolsekBookOut), (status = 401, body = crate::http::error::ErrorBody)))]
pub async fn get_polsek(app: web::Data<App>, _who: Authed<super::extract::AnyStaff>) -> Result<HttpResponse> {
    let b = polsek::book(&app)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(book_out(&app, b)))
}

/// Saves the Polsek list of this post's Polres as a new version (`tik_admin`). Each refusal has
/// its own code and names the item (`field`: `polsek[1].districts[0]`); nothing is saved then.
#[utoipa::path(put, path = "/api/v1/polsek", request_body = PolsekIn, responses((status = 200, body = PolsekBookOut), (status = 403, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn put_polsek(
    app: web::Data<App>,
    who: Authed<RunNode>,
    body: JsonBody<PolsekIn>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let b = body.0;
    let entries = b
        .polsek
        .into_iter()
        .map(|e| RawPolsek {
            code: e.code,
            name: e.name,
            polres: b.polres.clone(),
            districts: e.districts,
            example: false,
        })
        .collect();
    polsek::put(&app, &who.staff, &b.polres, b.base_version, entries, &client_addr(&req)).await?;
    let book = polsek::book(&app)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(book_out(&app, book)))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(get_polsek, put_polsek))]
pub struct PolsekDoc;
