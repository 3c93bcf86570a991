//! One error type for the whole API: every failure is a status and `{"code", "message"}` with a
//! stable code, mapped in one place. A 500 carries only an id to quote; details go to the log.

use crate::model::case::DecideError;
use crate::service::ServiceError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// stable, machine-readable: e.g. `missing_field`, `invalid_transition`, `csrf_mismatch`
    pub code: &'static str,
    /// what happened and what to do, for a person
    pub message: String,
    /// the request field at fault: for 422s, a refused photo (`photos[1]`), and the reporter's
    /// number when a 429 `rate_limited` is for the number (`reporter.phone`) not the address
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// the line of an SOP text at fault (`sop_invalid`), 1-based
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody { code, message: message.into(), field: None, line: None },
            retry_after: None,
        }
    }
    pub fn field(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
        e.body.field = Some(field.into());
        e
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "nothing here: check the ticket number and the token")
    }
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first (POST /api/v1/session)")
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", msg)
    }
    /// The same refusal as `ServiceError::RoleMayNot`, for a route whose extractor checks the role.
    pub fn role_may_not(role: crate::model::Role, action: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "role_may_not", format!("role {} may not {action}", role.as_str()))
    }
    pub fn internal(what: &dyn std::fmt::Display) -> Self {
        let id = crate::service::random_hex(6);
        tracing::error!(error_id = %id, error = %what, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("something went wrong on our side; quote error id {id} to Bid TIK"),
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.body.code, self.body.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        if let Some(s) = self.retry_after {
            r.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        r.insert_header((header::CACHE_CONTROL, "no-store")).json(&self.body)
    }
}

fn e_msg(what: &str, s: u64) -> String {
    match what {
        "tracking" => format!("too many status lookups from here in a short time; try again in {s} s"),
        "phone number" => format!(
            "too many reports from this phone number in a short time; try again in {s} s (if a life is in danger, call 110)"
        ),
        _ => {
            format!("too many reports from here in a short time; try again in {s} s (if a life is in danger, call 110)")
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use StatusCode as S;
        match e {
            ServiceError::Field(f) => ApiError::field(f.code, f.field, f.message),
            ServiceError::Photo(p) => {
                use crate::model::photo::PhotoError as P;
                let (status, code) = match p {
                    P::TooMany => (S::UNPROCESSABLE_ENTITY, "too_many_photos"),
                    P::TooLarge(_) => (S::PAYLOAD_TOO_LARGE, "photo_too_large"),
                    P::NotImage(_) => (S::UNSUPPORTED_MEDIA_TYPE, "photo_not_image"),
                };
                let mut e = ApiError::new(status, code, p.to_string());
                e.body.field = Some(p.index().map_or_else(|| "photos".to_owned(), |i| format!("photos[{i}]")));
                e
            }
            ServiceError::NotFound => ApiError::not_found(),
            ServiceError::RoleMayNot { role, action } => ApiError::role_may_not(role, action),
            ServiceError::JoinTokenRefused => ApiError::new(S::FORBIDDEN, "join_token_refused", e.to_string()),
            ServiceError::Decide(d) => {
                let msg = d.to_string();
                match d {
                    DecideError::Transition(_) => ApiError::new(S::CONFLICT, "invalid_transition", msg),
                    DecideError::NotOwner { .. } => ApiError::new(S::CONFLICT, "not_owner", msg),
                    DecideError::UnknownReason(..) => ApiError::field("unknown_reject_reason", "reason", msg),
                    DecideError::UnknownUnit(_) => ApiError::field("unknown_unit", "unit", msg),
                    DecideError::BadPriority(_) => ApiError::field("invalid_field", "priority", msg),
                    DecideError::MissingText { field } => ApiError::field("missing_field", field, msg),
                    DecideError::TooLong { field } => ApiError::field("invalid_field", field, msg),
                    DecideError::UnknownMethod(_) => ApiError::field("unknown_verify_method", "method", msg),
                    DecideError::NeedsVerification => ApiError::new(S::CONFLICT, "invalid_transition", msg),
                    DecideError::AlreadyVerified => ApiError::new(S::CONFLICT, "already_verified", msg),
                    DecideError::BadDuplicate(_) => ApiError::field("invalid_field", "original", msg),
                }
            }
            ServiceError::BadCredentials => {
                ApiError::new(S::UNAUTHORIZED, "bad_credentials", "wrong username or password")
            }
            ServiceError::Throttled { retry_after_s } => {
                let mut e = ApiError::new(
                    S::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed logins; wait {retry_after_s} s and try again"),
                );
                e.retry_after = Some(retry_after_s);
                e
            }
            ServiceError::Busy { retry_after_s } => {
                let mut e = ApiError::new(
                    S::TOO_MANY_REQUESTS,
                    "throttled",
                    format!("too many logins are being checked at once; try again in {retry_after_s} s"),
                );
                e.retry_after = Some(retry_after_s);
                e
            }
            ServiceError::Pending => ApiError::new(
                S::FORBIDDEN,
                "account_pending",
                "this account waits for a ka_siaga or a leader of this node to confirm it; ask them",
            ),
            ServiceError::RateLimited { what, retry_after_s } => {
                let mut e = ApiError::new(S::TOO_MANY_REQUESTS, "rate_limited", e_msg(what, retry_after_s));
                e.retry_after = Some(retry_after_s);
                // what was limited: the reporter's number, else the address the request came from
                e.body.field = (what == "phone number").then(|| "reporter.phone".to_owned());
                e
            }
            ServiceError::BadUsername(_) => ApiError::new(S::BAD_REQUEST, "bad_username", e.to_string()),
            ServiceError::PasswordTooShort { .. } => ApiError::new(S::BAD_REQUEST, "password_too_short", e.to_string()),
            ServiceError::UnknownRole(_) => ApiError::new(S::BAD_REQUEST, "unknown_role", e.to_string()),
            ServiceError::UnitRequired => ApiError::new(S::BAD_REQUEST, "unit_required", e.to_string()),
            ServiceError::RatifierNotLeader => ApiError::new(S::BAD_REQUEST, "ratifier_not_leader", e.to_string()),
            ServiceError::UnitNotAllowed(_) => ApiError::new(S::BAD_REQUEST, "unit_not_allowed", e.to_string()),
            ServiceError::UnknownUnit(_) => ApiError::new(S::BAD_REQUEST, "unknown_unit", e.to_string()),
            ServiceError::NoSuchUser(_) => ApiError::new(S::BAD_REQUEST, "no_such_user", e.to_string()),
            ServiceError::ReasonRequired(_) => ApiError::new(S::BAD_REQUEST, "reason_required", e.to_string()),
            ServiceError::BadNodeCode(..) => ApiError::new(S::BAD_REQUEST, "bad_node_code", e.to_string()),
            ServiceError::UnknownNode(_) => ApiError::new(S::BAD_REQUEST, "unknown_node", e.to_string()),
            ServiceError::SelfInvite(_) => ApiError::new(S::BAD_REQUEST, "self_invite", e.to_string()),
            ServiceError::BadJoinToken => ApiError::new(S::BAD_REQUEST, "bad_join_token", e.to_string()),
            ServiceError::CertificateRefused(_) => ApiError::new(S::BAD_REQUEST, "certificate_refused", e.to_string()),
            ServiceError::NotUtf8 => ApiError::new(S::BAD_REQUEST, "bad_body", e.to_string()),
            ServiceError::NoDemoUnit => ApiError::new(S::BAD_REQUEST, "no_demo_unit", e.to_string()),
            ServiceError::NotExecutable => ApiError::new(S::BAD_REQUEST, "not_executable", e.to_string()),
            ServiceError::ExportNotServing => ApiError::new(S::CONFLICT, "export_not_serving", e.to_string()),
            ServiceError::ExportOff => ApiError::new(S::CONFLICT, "export_off", e.to_string()),
            ServiceError::BadKeyName(_) => ApiError::new(S::BAD_REQUEST, "bad_key_name", e.to_string()),
            ServiceError::NoSuchKey(_) => ApiError::new(S::NOT_FOUND, "no_such_key", e.to_string()),
            ServiceError::KeyExists(_) => ApiError::new(S::CONFLICT, "key_exists", e.to_string()),
            ServiceError::UserExists(_) => ApiError::new(S::CONFLICT, "user_exists", e.to_string()),
            ServiceError::AlreadyEnabled(_) => ApiError::new(S::CONFLICT, "already_enabled", e.to_string()),
            ServiceError::NotPending(_) => ApiError::new(S::CONFLICT, "not_pending", e.to_string()),
            ServiceError::LastAdmin => ApiError::new(S::CONFLICT, "last_admin", e.to_string()),
            ServiceError::SelfDisable => ApiError::new(S::CONFLICT, "self_disable", e.to_string()),
            ServiceError::AlreadyBlocked(_) => ApiError::new(S::CONFLICT, "already_blocked", e.to_string()),
            ServiceError::NotBlocked(_) => ApiError::new(S::CONFLICT, "not_blocked", e.to_string()),
            ServiceError::DuplicateOfDuplicate { .. } => {
                ApiError::new(S::CONFLICT, "duplicate_of_duplicate", e.to_string())
            }
            ServiceError::BadPeriod(_) => ApiError::field("bad_period", "from", e.to_string()),
            ServiceError::PeriodInverted => ApiError::field("period_inverted", "to", e.to_string()),
            ServiceError::PeriodTooLong { .. } => ApiError::field("period_too_long", "to", e.to_string()),
            ServiceError::UnknownGroup(_) => ApiError::field("unknown_group", "group_by", e.to_string()),
            ServiceError::OtherUnit(_) => ApiError::new(S::FORBIDDEN, "other_unit", e.to_string()),
            ServiceError::NoShiftRecap => ApiError::new(S::NOT_FOUND, "shift_recap_not_found", e.to_string()),
            ServiceError::ShiftNotAllowed(_) => ApiError::new(S::FORBIDDEN, "shift_not_allowed", e.to_string()),
            ServiceError::FeedRefused(_) => ApiError::new(S::CONFLICT, "feed_refused", e.to_string()),
            ServiceError::ChainBroken(_) => ApiError::new(S::CONFLICT, "chain_broken", e.to_string()),
            ServiceError::Crashed(_) => ApiError::internal(&e),
            ServiceError::Store(s) if s.is_transient() => {
                tracing::error!(error = %s, "store unavailable");
                let mut e = ApiError::new(
                    S::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the post could not confirm the save; try again in a moment",
                );
                e.retry_after = Some(5);
                e
            }
            ServiceError::Store(s) => ApiError::internal(&s),
            ServiceError::SopInvalid(x) => {
                let mut a = ApiError::field("sop_invalid", x.field.clone(), x.to_string());
                a.body.line = x.line;
                a
            }
            ServiceError::SopLife(ref l) => {
                use crate::model::sop::LifeError as L;
                match l {
                    L::RoleMayNot(..) | L::NotRatifier => {
                        ApiError::new(S::FORBIDDEN, "sop_role_may_not", e.to_string())
                    }
                    L::NeedsLegalReview => ApiError::new(S::CONFLICT, "sop_needs_legal_review", e.to_string()),
                    L::WrongStage(..) => ApiError::new(S::CONFLICT, "sop_wrong_stage", e.to_string()),
                    L::CommentRequired => ApiError::field("sop_comment_required", "comment", e.to_string()),
                }
            }
            ServiceError::SopRefused(ref r) => {
                use crate::service::sop::SopRefusal as R;
                match r {
                    R::Unsigned(_) => ApiError::new(S::UNPROCESSABLE_ENTITY, "sop_unsigned", e.to_string()),
                    R::NotRatified(..) => ApiError::new(S::UNPROCESSABLE_ENTITY, "sop_not_ratified", e.to_string()),
                    R::WrongKey(_) => ApiError::new(S::UNPROCESSABLE_ENTITY, "sop_wrong_key", e.to_string()),
                    R::NoTrustedKey => ApiError::new(S::CONFLICT, "sop_no_trusted_key", e.to_string()),
                    R::Outdated { .. } => ApiError::new(S::CONFLICT, "sop_outdated", e.to_string()),
                    R::Conflict(_) => ApiError::new(S::CONFLICT, "sop_conflict", e.to_string()),
                }
            }
            ServiceError::SopNotHub => ApiError::new(S::CONFLICT, "sop_not_hub", e.to_string()),
            ServiceError::SopVersionExists(_) => ApiError::new(S::CONFLICT, "sop_version_exists", e.to_string()),
            ServiceError::NoSopVersion(_) => ApiError::new(S::NOT_FOUND, "no_sop_version", e.to_string()),
            ServiceError::SopKey(_) => ApiError::internal(&e),
            ServiceError::Polsek(ref p) => {
                use crate::model::units::PolsekError as P;
                let (item, msg) = (p.item(), e.to_string());
                match p.as_ref() {
                    P::BadCode { .. } => ApiError::field("polsek_bad_code", item, msg),
                    P::CodeTaken { .. } => ApiError::field("polsek_code_taken", item, msg),
                    P::BadName { .. } => ApiError::field("polsek_bad_name", item, msg),
                    P::NotPolres { .. } | P::NotHere { .. } => ApiError::field("polsek_not_polres", item, msg),
                    P::NoDistricts { .. } => ApiError::field("polsek_no_districts", item, msg),
                    P::UnknownDistrict { .. } => ApiError::field("polsek_unknown_district", item, msg),
                    P::OtherRegency { .. } => ApiError::field("polsek_district_other_regency", item, msg),
                    P::Twice { .. } => ApiError::field("polsek_district_twice", item, msg),
                }
            }
            ServiceError::PolsekNotHere(_) => ApiError::new(S::FORBIDDEN, "polsek_not_here", e.to_string()),
            ServiceError::PolsekStale { .. } => ApiError::new(S::CONFLICT, "polsek_stale", e.to_string()),
            ServiceError::PolsekToml(_) => ApiError::field("polsek_invalid", "polsek", e.to_string()),
            // Latihan (drills)
            ServiceError::ScenarioInvalid(x) => {
                let mut a = ApiError::field("scenario_invalid", x.field.clone(), x.to_string());
                a.body.line = x.line;
                a
            }
            ServiceError::ScenarioExists(_) => ApiError::new(S::CONFLICT, "scenario_exists", e.to_string()),
            ServiceError::DrillRunning(_) => ApiError::new(S::CONFLICT, "drill_running", e.to_string()),
            ServiceError::DrillState(_) => ApiError::new(S::CONFLICT, "drill_state", e.to_string()),
        }
    }
}
