//! Open311 GeoReport v2: partner keys, requests filed through the same intake as every channel
//! (prank score, SOP, audit), and what a partner may read back. The wire formats (XML, JSON)
//! are `http::open311`'s; the pure rules (territory, statuses, attributes) `model::open311`'s.
//!
//! Partners and their requests live in one journaled tree (`Kv::Open311`): `key:NAME` -> the
//! partner (the SHA-256 of its key, never the key), `hash:SHA256` -> NAME, `req:NAME\0TICKET` ->
//! a request it filed, `tok:TOKEN` -> the ticket of the request that token answers.

use super::auth::Staff;
use super::{intake, now, random_hex, sha256_hex, App, ServiceError};
use crate::model::event::Channel;
use crate::model::open311 as rules;
use crate::model::report::RawReport;
use crate::model::{Action, Actor, Case, Category, Millis, Ticket, UnitCode};
use crate::store::{Durable, Kv, Store};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Requests a partner key may make: a burst of 60, refilled over a minute.
pub const KEY_RATE: (u32, u64) = (60, 60_000);
/// A date range in a query spans at most this (the spec's 90 days).
pub const MAX_RANGE_MS: u64 = 90 * 24 * 3_600_000;
/// At most this many requests in one answer, newest first.
pub const MAX_LIST: usize = 1000;

/// A partner: a civic app or city system that files and follows requests with its key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partner {
    pub name: String,
    /// hex SHA-256 of the key; the key itself is shown once and never stored
    pub key_hash: String,
    pub created: Millis,
    pub revoked: Option<Millis>,
    /// may read every case of this node (public fields only), not just the requests it filed
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Filed {
    ticket: Ticket,
    token: String,
    created: Millis,
}

/// Why an Open311 request is refused; `http::open311` gives each its status and code.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("api_key is required: ask Bid TIK of the Polda for one")]
    NoKey,
    #[error("api_key is unknown or revoked")]
    BadKey,
    #[error("too many requests with this api_key; try again in {0} s")]
    KeyRateLimited(u64),
    #[error("service_code is required: one of crime, information, feedback, appreciation")]
    NoService,
    #[error("service_code {0:?} is unknown: use crime, information, feedback or appreciation")]
    UnknownService(String),
    #[error("give a location: lat and long, address_string naming a regency or city, or address_id")]
    NoLocation,
    #[error("{0}")]
    BadLocation(String),
    #[error("the location is outside the territory of Polda Sumatera Selatan")]
    Outside,
    #[error("description is required")]
    NoDescription,
    #[error("attribute {0:?} is not asked by this service")]
    UnknownAttribute(String),
    #[error("attribute {0} is required")]
    MissingAttribute(&'static str),
    #[error("attribute {0} has a value it does not take")]
    BadAttribute(&'static str),
    #[error("{0} is not a W3C datetime such as 2026-12-01T00:00:00+07:00")]
    BadDate(&'static str),
    #[error("end_date comes before start_date, or the range spans more than 90 days")]
    BadRange,
    #[error("status {0:?} is unknown: use open or closed")]
    BadStatus(String),
    #[error("media_url must be an http or https address of at most 500 characters")]
    BadMediaUrl,
    #[error("no request with that id or token for this api_key")]
    NotFound,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Refusal::Service(e.into())
    }
}

fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=40).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
}

fn key_of(name: &str) -> Vec<u8> {
    format!("key:{name}").into_bytes()
}

/// Issues a key for partner `name` (a revoked partner's name may be issued again: its old key
/// stays refused). Returns the partner and the key, which is not kept.
pub fn add_key(store: &Store, name: &str, all: bool) -> Result<(Partner, String, Durable), ServiceError> {
    if !valid_name(name) {
        return Err(ServiceError::BadKeyName(name.to_owned()));
    }
    let key = format!("o311-{}", random_hex(20));
    let partner = Partner { name: name.to_owned(), key_hash: sha256_hex(&key), created: now(), revoked: None, all };
    let ((), durable) = store.write(now(), |tx| {
        if tx.kv_get::<Partner>(Kv::Open311, &key_of(name))?.is_some_and(|p| p.revoked.is_none()) {
            return Err(ServiceError::KeyExists(name.to_owned()));
        }
        tx.kv_put(Kv::Open311, &key_of(name), Some(&partner));
        tx.kv_put(Kv::Open311, format!("hash:{}", partner.key_hash).as_bytes(), Some(&partner.name));
        Ok(())
    })?;
    Ok((partner, key, durable))
}

/// Every partner, revoked ones too, by name.
pub fn list_keys(store: &Store) -> Result<Vec<Partner>, ServiceError> {
    let mut out = Vec::new();
    for (k, v) in store.kv_scan::<serde_json::Value>(Kv::Open311, b"key:", 100_000)? {
        if !k.starts_with(b"key:") {
            break;
        }
        out.push(serde_json::from_value(v).map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?);
    }
    Ok(out)
}

/// Revokes partner `name`'s key: it is refused from now on; its requests stay.
pub fn revoke_key(store: &Store, name: &str) -> Result<(Partner, Durable), ServiceError> {
    let (p, durable) = store.write(now(), |tx| {
        let mut p = tx
            .kv_get::<Partner>(Kv::Open311, &key_of(name))?
            .filter(|p| p.revoked.is_none())
            .ok_or_else(|| ServiceError::NoSuchKey(name.to_owned()))?;
        p.revoked = Some(tx.now());
        tx.kv_put(Kv::Open311, &key_of(name), Some(&p));
        Ok::<_, ServiceError>(p)
    })?;
    Ok((p, durable))
}

fn may_manage(staff: &Staff) -> Result<(), ServiceError> {
    if staff.role.may(Action::ManageUsers) {
        Ok(())
    } else {
        Err(ServiceError::RoleMayNot { role: staff.role, action: "manage Open311 keys" })
    }
}

/// `add_key` for tik_admin in `/admin`; audited.
pub async fn api_add_key(
    app: &App,
    staff: &Staff,
    name: &str,
    all: bool,
    from: &str,
) -> Result<(Partner, String), ServiceError> {
    may_manage(staff)?;
    let (p, key, durable) = add_key(&app.store, name, all)?;
    app.store.durable(durable).await?;
    app.store.log_access(now(), &staff.username, "open311_key_add", name, from)?;
    Ok((p, key))
}

pub fn api_list_keys(app: &App, staff: &Staff) -> Result<Vec<Partner>, ServiceError> {
    may_manage(staff)?;
    list_keys(&app.store)
}

/// `revoke_key` for tik_admin in `/admin`; audited.
pub async fn api_revoke_key(app: &App, staff: &Staff, name: &str, from: &str) -> Result<Partner, ServiceError> {
    may_manage(staff)?;
    let (p, durable) = revoke_key(&app.store, name)?;
    app.store.durable(durable).await?;
    app.store.log_access(now(), &staff.username, "open311_key_revoke", name, from)?;
    Ok(p)
}

/// The partner whose key this is, after its rate limit. A refused key is logged too.
pub fn authorize(app: &App, key: Option<&str>, from: &str) -> Result<Partner, Refusal> {
    let key = key.map(str::trim).filter(|k| !k.is_empty()).ok_or(Refusal::NoKey)?;
    let hash = sha256_hex(key);
    let name: Option<String> = app.store.kv_get(Kv::Open311, format!("hash:{hash}").as_bytes())?;
    let partner = match name {
        Some(n) => app.store.kv_get::<Partner>(Kv::Open311, &key_of(&n))?,
        None => None,
    }
    .filter(|p| p.revoked.is_none() && bool::from(p.key_hash.as_bytes().ct_eq(hash.as_bytes())));
    let Some(partner) = partner else {
        // refusals are logged; the address's intake limit keeps a flood of them out of the log
        if let Some(l) = &app.limit_per_ip {
            l.take(from, now()).map_err(Refusal::KeyRateLimited)?;
        }
        app.store.log_access(now(), "open311", "open311_key_refused", &hash[..12], from)?;
        return Err(Refusal::BadKey);
    };
    if let Some(l) = &app.limit_open311 {
        l.take(&partner.name, now()).map_err(Refusal::KeyRateLimited)?;
    }
    Ok(partner)
}

/// A request as a partner posts it (`POST requests`), every field as sent.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub description: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[CODE]=VALUE`, in order
    pub attributes: Vec<(String, String)>,
}

/// What a partner gets back from a new request.
#[derive(Debug, Clone)]
pub struct Filing {
    pub ticket: Ticket,
    pub token: String,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub fn category(code: &str) -> Result<Category, Refusal> {
    Category::parse(code.trim()).ok_or_else(|| Refusal::UnknownService(code.to_owned()))
}

/// Where a request is: its regency, the address text, the coordinates if it came with them.
struct Place {
    regency: String,
    address: String,
    point: Option<(f64, f64)>,
}

/// Where a request is, or why that is not known.
fn locate(app: &App, r: &NewRequest) -> Result<Place, Refusal> {
    let (lat, long) = (some(&r.lat), some(&r.long));
    let address = some(&r.address_string);
    if lat.is_some() || long.is_some() {
        let num = |v: Option<&str>, what: &str| {
            v.and_then(|s| s.parse::<f64>().ok())
                .filter(|x| x.is_finite())
                .ok_or_else(|| Refusal::BadLocation(format!("{what} must be a number in decimal degrees (WGS84)")))
        };
        let (la, lo) = (num(lat, "lat")?, num(long, "long")?);
        let regency = rules::regency_at(&app.units, la, lo).ok_or(Refusal::Outside)?;
        let text = address.map(str::to_owned).unwrap_or_else(|| format!("Koordinat {la:.5}, {lo:.5}"));
        return Ok(Place { regency: regency.to_owned(), address: text, point: Some((la, lo)) });
    }
    if let Some(id) = some(&r.address_id) {
        let unit = UnitCode::parse(&id.to_ascii_uppercase()).ok().and_then(|c| app.units.get(&c).cloned());
        let regency = unit.and_then(|u| u.regency).ok_or_else(|| {
            Refusal::BadLocation(format!("address_id {id:?} is not a Polres code of Polda Sumatera Selatan (e.g. PLG)"))
        })?;
        let text = address.map(str::to_owned).unwrap_or_else(|| regency.clone());
        return Ok(Place { regency, address: text, point: None });
    }
    if let Some(a) = address {
        let regency = rules::regency_named(&app.units, a).ok_or(Refusal::Outside)?;
        return Ok(Place { regency: regency.to_owned(), address: a.to_owned(), point: None });
    }
    Err(Refusal::NoLocation)
}

/// Files a request through the intake every channel uses, in one write with its Open311 record.
/// Nothing is stored when it is refused.
pub async fn submit(app: &App, partner: &Partner, r: NewRequest, from: &str) -> Result<Filing, Refusal> {
    let code = some(&r.service_code).ok_or(Refusal::NoService)?;
    let cat = category(code)?;
    let description = some(&r.description).ok_or(Refusal::NoDescription)?.to_owned();
    let Place { regency, address, point } = locate(app, &r)?;
    let mut extra = rules::check_attributes(cat, &r.attributes).map_err(|e| match e {
        rules::AttributeError::Unknown(c) => Refusal::UnknownAttribute(c),
        rules::AttributeError::Missing(c) => Refusal::MissingAttribute(c),
        rules::AttributeError::BadValue(c) => Refusal::BadAttribute(c),
    })?;
    if let Some(url) = some(&r.media_url) {
        let ok = (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= 500;
        if !ok || url.chars().any(char::is_whitespace) {
            return Err(Refusal::BadMediaUrl);
        }
        extra.push(format!("Media: {url}"));
    }
    if let Some(email) = some(&r.email) {
        extra.push(format!("Email pelapor: {}", email.chars().take(100).collect::<String>()));
    }
    extra.push(format!("Dilaporkan melalui Open311 oleh mitra {}", partner.name));
    let name = [some(&r.first_name), some(&r.last_name)].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let raw = RawReport {
        category: Some(cat.as_str().to_owned()),
        description: Some(format!("{description}\n\n{}", extra.join("\n"))),
        reporter_name: Some(if name.is_empty() { format!("Pelapor mitra {}", partner.name) } else { name }),
        reporter_phone: r.phone.clone(),
        regency: Some(regency),
        // the GeoReport fields name no kecamatan or desa
        district: None,
        village: None,
        address: Some(address),
        lat: point.map(|p| p.0),
        lon: point.map(|p| p.1),
        priority: None,
    };
    let token = random_hex(12);
    let (who, tok) = (partner.name.clone(), token.clone());
    let receipt = intake::submit_with(app, raw, Channel::Open311, Actor::Citizen, Vec::new(), move |tx, ticket, _| {
        let filed = Filed { ticket: ticket.clone(), token: tok.clone(), created: tx.now() };
        tx.kv_put(Kv::Open311, &req_key(&who, ticket), Some(&filed));
        tx.kv_put(Kv::Open311, format!("tok:{tok}").as_bytes(), Some(ticket));
        Ok(())
    })
    .await?;
    app.store.log_access(now(), &actor(partner), "open311_request_add", receipt.ticket.as_str(), from)?;
    Ok(Filing { ticket: receipt.ticket, token })
}

fn req_key(partner: &str, t: &Ticket) -> Vec<u8> {
    [b"req:", partner.as_bytes(), b"\0", t.as_str().as_bytes()].concat()
}

fn actor(p: &Partner) -> String {
    format!("open311:{}", p.name)
}

/// A request as a partner reads it: public fields only, no personal data.
#[derive(Debug, Clone)]
pub struct PublicRequest {
    pub ticket: Ticket,
    pub status: &'static str,
    /// the newest public note (what tracking shows the reporter)
    pub status_notes: Option<String>,
    pub category: Category,
    pub service_name: String,
    pub agency: Option<String>,
    pub requested: Millis,
    pub updated: Millis,
    /// the SOP deadline of the pending step, while open
    pub expected: Option<Millis>,
}

fn public(app: &App, c: &Case) -> PublicRequest {
    let status = rules::status(c.state);
    let unit = c.unit.clone().or_else(|| UnitCode::parse(c.owner.as_str()).ok());
    PublicRequest {
        ticket: c.ticket.clone(),
        status,
        status_notes: c.public_notes.last().map(|n| n.text.clone()),
        category: c.category,
        service_name: app.sop().category(c.category).label.clone(),
        // a Polsek's name as its post's list says
        agency: unit.and_then(|u| app.directory().get(&u).map(|u| u.name.clone())),
        requested: c.created,
        updated: c.updated,
        expected: (status == "open").then(|| super::cases::pending(app, c).map(|(_, due)| due)).flatten(),
    }
}

/// The case behind `t`, if `partner` may read it.
fn readable(app: &App, partner: &Partner, t: &Ticket) -> Result<Option<Case>, Refusal> {
    if !partner.all && app.store.kv_get::<Filed>(Kv::Open311, &req_key(&partner.name, t))?.is_none() {
        return Ok(None);
    }
    Ok(app.store.case(t)?)
}

/// One request by id (`GET requests/{id}`); audited.
pub fn get(app: &App, partner: &Partner, id: &str, from: &str) -> Result<PublicRequest, Refusal> {
    let t = Ticket::parse(id.trim()).map_err(|_| Refusal::NotFound)?;
    let c = readable(app, partner, &t)?.ok_or(Refusal::NotFound)?;
    app.store.log_access(now(), &actor(partner), "open311_read", t.as_str(), from)?;
    Ok(public(app, &c))
}

/// The request a token answers (`GET tokens/{token}`); audited.
pub fn by_token(app: &App, partner: &Partner, token: &str, from: &str) -> Result<Ticket, Refusal> {
    let t: Ticket =
        app.store.kv_get(Kv::Open311, format!("tok:{}", token.trim()).as_bytes())?.ok_or(Refusal::NotFound)?;
    readable(app, partner, &t)?.ok_or(Refusal::NotFound)?;
    app.store.log_access(now(), &actor(partner), "open311_read", t.as_str(), from)?;
    Ok(t)
}

/// A query of `GET requests`, as sent.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
}

fn list_of(s: Option<&str>) -> Vec<&str> {
    s.map(|s| s.split(',').map(str::trim).filter(|x| !x.is_empty()).collect()).unwrap_or_default()
}

/// Requests by id list, or by service, date range (default: the last 90 days) and status; newest
/// first, at most `MAX_LIST`; audited.
pub fn list(app: &App, partner: &Partner, q: &Query, from: &str) -> Result<Vec<PublicRequest>, Refusal> {
    let ids = list_of(some(&q.service_request_id));
    let mut out = Vec::new();
    if !ids.is_empty() {
        // ids override every other parameter (the spec)
        for id in ids.iter().take(MAX_LIST) {
            let Ok(t) = Ticket::parse(id) else { continue };
            if let Some(c) = readable(app, partner, &t)? {
                out.push(public(app, &c));
            }
        }
    } else {
        let cats = list_of(some(&q.service_code)).into_iter().map(category).collect::<Result<Vec<_>, _>>()?;
        let statuses = list_of(some(&q.status));
        if let Some(s) = statuses.iter().find(|s| !matches!(**s, "open" | "closed")) {
            return Err(Refusal::BadStatus((*s).to_owned()));
        }
        let date = |v: &Option<String>, what| some(v).map(|s| rules::parse_datetime(s).ok_or(Refusal::BadDate(what)));
        let (start, end) =
            match (date(&q.start_date, "start_date").transpose()?, date(&q.end_date, "end_date").transpose()?) {
                (Some(s), Some(e)) => (s, e),
                (Some(s), None) => (s, s.plus(MAX_RANGE_MS)),
                (None, Some(e)) => (Millis(e.0.saturating_sub(MAX_RANGE_MS)), e),
                (None, None) => {
                    let e = now();
                    (Millis(e.0.saturating_sub(MAX_RANGE_MS)), e)
                }
            };
        if end < start || end.0 - start.0 > MAX_RANGE_MS {
            return Err(Refusal::BadRange);
        }
        // candidates newest first, filtered on what is known without folding a case
        let mut tickets: Vec<(Millis, Ticket)> = if partner.all {
            app.store.summaries(|m| {
                m.all()
                    .iter()
                    .filter(|s| s.created >= start && s.created <= end)
                    .filter(|s| cats.is_empty() || cats.contains(&s.category))
                    .filter(|s| statuses.is_empty() || statuses.contains(&rules::status(s.state)))
                    .map(|s| (s.created, s.ticket.clone()))
                    .collect()
            })
        } else {
            let prefix = [b"req:", partner.name.as_bytes(), b"\0"].concat();
            let mut v = Vec::new();
            for (k, f) in app.store.kv_scan::<serde_json::Value>(Kv::Open311, &prefix, 1_000_000)? {
                if !k.starts_with(&prefix) {
                    break;
                }
                let f: Filed =
                    serde_json::from_value(f).map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
                if f.created >= start && f.created <= end {
                    v.push((f.created, f.ticket));
                }
            }
            v
        };
        tickets.sort_by(|a, b| b.cmp(a));
        for (_, t) in tickets {
            if out.len() >= MAX_LIST {
                break;
            }
            let Some(c) = app.store.case(&t)? else { continue };
            let p = public(app, &c);
            let fits = (cats.is_empty() || cats.contains(&c.category))
                && (statuses.is_empty() || statuses.contains(&p.status))
                && c.created >= start
                && c.created <= end;
            if fits {
                out.push(p);
            }
        }
    }
    let target: String =
        out.iter().map(|p| p.ticket.as_str()).collect::<Vec<_>>().join(",").chars().take(200).collect();
    app.store.log_access(now(), &actor(partner), "open311_list", &target, from)?;
    Ok(out)
}
