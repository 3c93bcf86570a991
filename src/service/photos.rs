//! Photos of a case, for staff: the ones sent with a web report (named `sha256:<hex>` in the
//! report) and WhatsApp photos once fetched, all kept content-addressed in `Kv::WaMedia`.

use super::auth::Staff;
use super::whatsapp::StoredMedia;
use super::{App, ServiceError};
use crate::model::photo::{self, PhotoType};
use crate::model::{Action, Case, Ticket};
use crate::store::Kv;
use base64::Engine;

/// One photo, ready to send: the bytes and the type they show.
#[derive(Debug)]
pub struct Photo {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// The SHA-256 a case's attachment is kept under, if it is kept: a web photo names it, a
/// WhatsApp photo has it once fetched.
pub fn sha_of(app: &App, attachment: &str) -> Option<String> {
    match photo::sha_of(attachment) {
        Some(sha) => Some(sha.to_owned()),
        None => super::whatsapp::media_sha(app, attachment),
    }
}

/// The photo `sha` of case `ticket`, for a staff member who may read that case; each read is
/// written to the access log. A photo that the case does not name is not found, like a case
/// out of the staff member's scope.
pub fn photo(app: &App, staff: &Staff, ticket: &Ticket, sha: &str, from: &str) -> Result<Photo, ServiceError> {
    if !staff.role.may(Action::ReadCases) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "read cases" });
    }
    let case: Case = app.store.case(ticket)?.ok_or(ServiceError::NotFound)?;
    if !super::cases::in_scope(staff, &case) || !case.attachments.iter().any(|a| sha_of(app, a).as_deref() == Some(sha))
    {
        return Err(ServiceError::NotFound);
    }
    let blob = app.store.kv_get::<StoredMedia>(Kv::WaMedia, sha.as_bytes())?.ok_or(ServiceError::NotFound)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(blob.data.as_bytes())
        .map_err(|e| ServiceError::Crashed(format!("photo {sha} is not stored as base64: {e}")))?;
    app.store.log_access(super::now(), &staff.username, "read_photo", &format!("{ticket} {sha}"), from)?;
    // the type the bytes show; a stored photo of another kind is sent as plain bytes
    let mime = PhotoType::sniff(&bytes).map_or("application/octet-stream", PhotoType::mime);
    Ok(Photo { mime, bytes })
}
