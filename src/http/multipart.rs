//! The public form's report with photos: `multipart/form-data` with one part `report` (the JSON
//! of `POST /api/v1/reports`) and up to three parts `photo` (the files). The whole body is read
//! within its limit (after the intake gate), then split here; the photos are checked by
//! `service::intake::submit_with_photos` before anything is kept.

use super::dto::ReportIn;
use super::error::ApiError;
use super::extract::{declared_length, parse_json, read_limited, BodyLimit};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use memchr::memmem;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

/// The body limit of a report sent with photos, registered on the route beside its JSON
/// [`BodyLimit`]. It leaves room for one photo more than are taken, so that a fourth photo, or
/// one too large, is answered with its own code (`too_many_photos`, `photo_too_large`) rather
/// than the route's `payload_too_large`.
#[derive(Debug, Clone, Copy)]
pub struct PhotosLimit(pub usize);

/// Reports with photos read at once, for all workers: each holds up to its `PhotosLimit` in
/// memory while its photos are checked and kept, so a flood cannot take the node's memory.
#[derive(Clone)]
pub struct PhotoSlots(std::sync::Arc<tokio::sync::Semaphore>);

impl Default for PhotoSlots {
    fn default() -> Self {
        PhotoSlots(std::sync::Arc::new(tokio::sync::Semaphore::new(4)))
    }
}

/// One part of a multipart body: its name and where its content lies in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub range: Range<usize>,
}

fn bad(why: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_body", format!("the multipart body could not be read: {why}"))
}

/// Splits a `multipart/form-data` body (RFC 7578) on `boundary`.
pub fn parts(body: &[u8], boundary: &str) -> Result<Vec<Part>, ApiError> {
    let delim = format!("--{boundary}");
    let sep = format!("\r\n{delim}");
    let next_sep = memmem::Finder::new(sep.as_bytes());
    // the first delimiter opens the body, or ends a preamble
    let mut pos =
        if body.starts_with(delim.as_bytes()) { 0 } else { next_sep.find(body).ok_or_else(|| bad("no boundary"))? + 2 };
    let mut out = Vec::new();
    loop {
        pos += delim.len();
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(out);
        }
        let eol = memmem::find(rest, b"\r\n").ok_or_else(|| bad("a boundary line does not end"))?;
        if rest[..eol].iter().any(|b| !matches!(b, b' ' | b'\t')) {
            return Err(bad("text after a boundary"));
        }
        let head = pos + eol + 2;
        let (headers, start) = if body[head..].starts_with(b"\r\n") {
            ("", head + 2)
        } else {
            let end = memmem::find(&body[head..], b"\r\n\r\n").ok_or_else(|| bad("a part's headers do not end"))?;
            let h = std::str::from_utf8(&body[head..head + end]).map_err(|_| bad("a part's headers are not UTF-8"))?;
            (h, head + end + 4)
        };
        let end = start + next_sep.find(&body[start..]).ok_or_else(|| bad("a part does not end"))?;
        out.push(Part { name: part_name(headers).ok_or_else(|| bad("a part has no name"))?, range: start..end });
        pos = end + 2;
    }
}

/// The `name` of a part's `Content-Disposition: form-data; name="..."`.
fn part_name(headers: &str) -> Option<String> {
    let line = headers.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case("content-disposition").then_some(v)
    })?;
    line.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == "name").then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A report body: JSON within the route's [`BodyLimit`], or multipart with photos within its
/// [`PhotosLimit`]. Another content type: 415. Put it after the intake gate.
pub enum ReportBody {
    Json(ReportIn),
    WithPhotos {
        report: ReportIn,
        photos: Vec<Vec<u8>>,
        /// the photo slot, held until the report is answered
        slot: tokio::sync::OwnedSemaphorePermit,
    },
}

impl FromRequest for ReportBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mime = req.mime_type().ok().flatten();
        let json = mime.as_ref().is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let boundary = mime
            .as_ref()
            .filter(|m| m.type_() == mime::MULTIPART && m.subtype() == mime::FORM_DATA)
            .and_then(|m| m.get_param(mime::BOUNDARY).map(|b| b.as_str().to_owned()));
        let limit = match &boundary {
            Some(_) => req.app_data::<PhotosLimit>().map_or(BodyLimit::of(req), |l| l.0),
            None => BodyLimit::of(req),
        };
        let slots = req.app_data::<PhotoSlots>().cloned().expect("PhotoSlots is registered");
        let (declared, payload) = (declared_length(req), payload.take());
        Box::pin(async move {
            if !json && boundary.is_none() {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the report as JSON (Content-Type: application/json), or as multipart/form-data \
                     with a part `report` and up to three parts `photo`",
                ));
            }
            let Some(boundary) = boundary else {
                return parse_json(&read_limited(declared, payload, limit).await?).map(ReportBody::Json);
            };
            let slot = slots.0.try_acquire_owned().map_err(|_| {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "photos_busy",
                    "many reports with photos are arriving at once; try again in a few seconds",
                );
                e.retry_after = Some(5);
                e
            })?;
            let body = read_limited(declared, payload, limit).await?;
            let mut report = None;
            let mut photos = Vec::new();
            for p in parts(&body, &boundary)? {
                match p.name.as_str() {
                    "report" if report.is_none() => report = Some(parse_json::<ReportIn>(&body[p.range])?),
                    "photo" => photos.push(body[p.range].to_vec()),
                    other => {
                        return Err(ApiError::field(
                            "invalid_field",
                            other,
                            format!("part {other:?} is not taken: send one `report` and up to three `photo`"),
                        ))
                    }
                }
            }
            let report =
                report.ok_or_else(|| ApiError::field("missing_field", "report", "the part `report` is required"))?;
            Ok(ReportBody::WithPhotos { report, photos, slot })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &[u8], b: &str) -> Result<Vec<(String, Vec<u8>)>, &'static str> {
        parts(body, b)
            .map(|ps| ps.into_iter().map(|p| (p.name, body[p.range].to_vec())).collect())
            .map_err(|e| e.body.code)
    }

    #[test]
    fn splits_parts_and_refuses_broken_bodies() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--XyZ\r\ncontent-disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\n\xff\xd8\xff\r\n--X\r\n--XyZ--\r\n";
        assert_eq!(
            names(body, "XyZ").unwrap(),
            vec![("report".into(), b"{\"a\":1}".to_vec()), ("photo".into(), b"\xff\xd8\xff\r\n--X".to_vec())]
        );
        assert_eq!(names(b"--B--\r\n", "B").unwrap(), vec![]);
        for broken in [
            &b"no boundary at all"[..],
            b"--B\r\nContent-Disposition: form-data; name=\"report\"\r\n\r\nnever ends",
            b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; name=\"x\"",
            b"--Bjunk\r\n\r\nx\r\n--B--",
        ] {
            assert_eq!(names(broken, "B"), Err("bad_body"), "{}", String::from_utf8_lossy(broken));
        }
    }
}
