//! The SOP's life across the Polda (DESIGN §3): which version is in force now (`Book`), drafts
//! written at the hub, legal review by Bid Hukum, ratification by the Kapolda's delegate, the
//! hub's ed25519 seal on a ratified version, and its reception at every post down the sync tree.
//!
//! A version's record (text, stage, history, seal) is kept in `Kv::SopDoc`, written through the
//! journal; every transition is also an entry of the access log (`sop_*`), which the auditor reads.

use super::auth::Staff;
use super::{now, App, ServiceError};
use crate::model::sop::{in_force, next_stage, LifeAction, LifeError, Mover, Slot, Stage};
use crate::model::{Millis, Role, Sop};
use crate::store::Kv;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The hub's SOP signing key (an ed25519 seed, hex), made at the first ratification.
pub const SIGNING_KEY: &str = "sop-signing.key";
/// The public half of the hub's key, as a post learned it at enrollment (hex).
pub const TRUSTED_KEY: &str = "sop-trust.pub";

/// Every SOP version this node holds and the schedule of those that govern new cases.
pub struct Book {
    inner: RwLock<BookInner>,
}

struct BookInner {
    /// by version: every version a case may record
    sops: HashMap<String, Arc<Sop>>,
    /// the local file (serial 0, always in effect) and every ratified version held
    schedule: Vec<(Slot, Arc<Sop>)>,
}

impl Book {
    pub fn new(local: Arc<Sop>, sops: HashMap<String, Arc<Sop>>) -> Book {
        let slot = Slot { serial: 0, effective_from: Millis(0) };
        Book { inner: RwLock::new(BookInner { sops, schedule: vec![(slot, local)] }) }
    }

    fn add(&self, slot: Slot, sop: Arc<Sop>) {
        let mut b = self.inner.write().unwrap_or_else(|e| e.into_inner());
        b.sops.insert(sop.version.clone(), sop.clone());
        b.schedule.retain(|(s, x)| !(s.serial == slot.serial && x.version == sop.version));
        b.schedule.push((slot, sop));
    }

    /// The version in force at `at` and its serial.
    pub fn at(&self, at: Millis) -> (Arc<Sop>, u64) {
        let b = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let slots: Vec<Slot> = b.schedule.iter().map(|(s, _)| *s).collect();
        let i = in_force(&slots, at).unwrap_or(0);
        (b.schedule[i].1.clone(), b.schedule[i].0.serial)
    }

    pub fn get(&self, version: &str) -> Option<Arc<Sop>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).sops.get(version).cloned()
    }

    pub fn all(&self) -> HashMap<String, Arc<Sop>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).sops.clone()
    }

    /// The highest serial held (the newest ratified version, in force or not yet).
    fn top_serial(&self) -> u64 {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).schedule.iter().map(|(s, _)| s.serial).max().unwrap_or(0)
    }
}

/// One step of a version's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transition {
    /// `draft`, `edit`, `submit`, `return`, `approve`, `ratify` or `received`
    pub action: String,
    pub by: String,
    pub role: String,
    pub at: Millis,
    #[serde(default)]
    pub comment: String,
    /// the part of the SOP a legal comment is about (e.g. `crime.guide.new`), or empty
    #[serde(default)]
    pub section: String,
}

/// The hub's seal on a ratified version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// the hub numbers its ratifications 1, 2, ..: a post never goes back to a lower one
    pub serial: u64,
    pub effective_from: Millis,
    pub ratified_by: String,
    pub ratified_at: Millis,
    /// hex ed25519 signature over `seal_message`
    pub signature: String,
}

/// A version as this node keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub version: String,
    pub text: String,
    /// draft, legal_review, approved or ratified (in force and superseded are derived)
    pub stage: Stage,
    pub history: Vec<Transition>,
    #[serde(default)]
    pub seal: Option<Seal>,
}

/// A ratified version as it travels down the sync tree (and as `POST /api/v1/sop/signed` takes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSop {
    pub version: String,
    pub text: String,
    pub stage: Stage,
    pub serial: u64,
    pub effective_from: Millis,
    pub ratified_by: String,
    pub ratified_at: Millis,
    /// hex ed25519 signature by the hub's key over `seal_message`; empty: unsigned
    #[serde(default)]
    pub signature: String,
}

/// The exact bytes the hub signs: every field but the signature, the text by its SHA-256.
pub fn seal_message(s: &SignedSop) -> Vec<u8> {
    format!(
        "banpol-sop-v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
        s.version,
        s.stage.as_str(),
        s.serial,
        s.effective_from.0,
        s.ratified_by,
        s.ratified_at.0,
        super::sha256_hex(&s.text)
    )
    .into_bytes()
}

/// Why a post refused a signed SOP (each has its own code); nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SopRefusal {
    #[error("the SOP {0} carries no signature: only a version ratified and signed by the hub is taken")]
    Unsigned(String),
    #[error("the SOP {0} is not ratified (stage {1}): only ratified versions are distributed")]
    NotRatified(String, &'static str),
    #[error("the SOP {0} is not signed by the hub's key this node learned at enrollment")]
    WrongKey(String),
    #[error("this node has no hub key to check an SOP against: enroll it with the hub again")]
    NoTrustedKey,
    #[error("the SOP {version} (serial {serial}) is older than the one this node holds (serial {held})")]
    Outdated { version: String, serial: u64, held: u64 },
    #[error("this node holds another text under SOP version {0}")]
    Conflict(String),
}

impl SopRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsigned(_) => "sop_unsigned",
            Self::NotRatified(..) => "sop_not_ratified",
            Self::WrongKey(_) => "sop_wrong_key",
            Self::NoTrustedKey => "sop_no_trusted_key",
            Self::Outdated { .. } => "sop_outdated",
            Self::Conflict(_) => "sop_conflict",
        }
    }
}

impl App {
    /// The SOP in force now, for new cases.
    pub fn sop(&self) -> Arc<Sop> {
        self.sops.at(now()).0
    }

    /// The SOP that governs a case (the version it recorded), falling back to the one in force.
    pub fn sop_for(&self, version: &str) -> Arc<Sop> {
        self.sops.get(version).unwrap_or_else(|| self.sop())
    }
}

fn record_of(app: &App, version: &str) -> Result<Option<Record>, ServiceError> {
    Ok(app.store.kv_get::<Record>(Kv::SopDoc, version.as_bytes())?)
}

/// Every version this node keeps a record of, oldest first, plus the local file's version.
pub fn records(app: &App) -> Result<Vec<Record>, ServiceError> {
    let mut v: Vec<Record> =
        app.store.kv_scan::<Record>(Kv::SopDoc, b"", usize::MAX)?.into_iter().map(|(_, r)| r).collect();
    v.sort_by_key(|r| (r.seal.as_ref().map(|s| s.serial).unwrap_or(u64::MAX), r.history.first().map(|t| t.at)));
    Ok(v)
}

/// The derived stage of a record now.
pub fn stage_now(app: &App, r: &Record) -> Stage {
    match &r.seal {
        None => r.stage,
        Some(seal) => {
            let (inf, serial) = app.sops.at(now());
            if inf.version == r.version && serial == seal.serial {
                Stage::InForce
            } else if seal.effective_from <= now() || seal.serial < serial {
                Stage::Superseded
            } else {
                Stage::Ratified
            }
        }
    }
}

/// Loads the ratified versions kept in the store into the book (at start).
pub fn load(app: &App) -> Result<(), ServiceError> {
    for r in records(app)? {
        if let (Some(seal), Ok(sop)) = (&r.seal, Sop::parse(&r.text)) {
            let slot = Slot { serial: seal.serial, effective_from: seal.effective_from };
            app.sops.add(slot, Arc::new(sop));
        }
    }
    let all = app.sops.all();
    app.store.register_sops(&all, &app.sop());
    Ok(())
}

fn staff_may_draft(app: &App, staff: &Staff) -> Result<(), ServiceError> {
    if !crate::model::sop::may_draft(staff.role) {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "draft an SOP version" });
    }
    if !app.is_root() {
        return Err(ServiceError::SopNotHub);
    }
    Ok(())
}

/// Writes a draft (a new version, or a new text of a version still in draft). The text must
/// parse: a refusal names the line and the field.
pub async fn draft(app: &App, staff: &Staff, text: &str, from: &str) -> Result<Record, ServiceError> {
    staff_may_draft(app, staff)?;
    let sop = Sop::parse(text)?;
    if app.sops.get(&sop.version).is_some() {
        return Err(ServiceError::SopVersionExists(sop.version));
    }
    let at = now();
    let (rec, d) = app.store.write(at, |tx| -> Result<Record, ServiceError> {
        let old: Option<Record> = tx.kv_get(Kv::SopDoc, sop.version.as_bytes())?;
        let mut rec = match old {
            Some(r) if r.stage != Stage::Draft => return Err(ServiceError::SopVersionExists(sop.version.clone())),
            Some(r) => r,
            None => Record {
                version: sop.version.clone(),
                text: String::new(),
                stage: Stage::Draft,
                history: vec![],
                seal: None,
            },
        };
        let action = if rec.history.is_empty() { "draft" } else { "edit" };
        rec.text = text.to_owned();
        rec.history.push(Transition {
            action: action.into(),
            by: staff.username.clone(),
            role: staff.role.as_str().into(),
            at,
            comment: String::new(),
            section: String::new(),
        });
        tx.kv_put(Kv::SopDoc, sop.version.as_bytes(), Some(&rec));
        Ok(rec)
    })?;
    app.store.durable(d).await?;
    if rec.history.len() == 1 {
        app.store.log_access(now(), &staff.username, "sop_draft", &rec.version, from)?;
    } else {
        app.store.log_access(now(), &staff.username, "sop_edit", &rec.version, from)?;
    }
    Ok(rec)
}

/// What a life-cycle request asks.
pub struct Move {
    pub action: LifeAction,
    pub comment: String,
    pub section: String,
    /// for `ratify`: from when (default: now)
    pub effective_from: Option<Millis>,
}

/// Moves a version one step in its life (`model::sop::next_stage` decides); a ratification
/// seals it with the hub's key and puts it on the schedule of this node and, through sync, of
/// every post.
pub async fn act(app: &App, staff: &Staff, version: &str, mv: Move, from: &str) -> Result<Record, ServiceError> {
    if !app.is_root() {
        return Err(ServiceError::SopNotHub);
    }
    let ratifier =
        mv.action == LifeAction::Ratify && app.store.user(&staff.username)?.is_some_and(|u| u.ratifier && !u.disabled);
    let who = Mover { role: staff.role, ratifier };
    let key = if mv.action == LifeAction::Ratify { Some(signing_key(app)?) } else { None };
    let at = now();
    let serial = app.sops.top_serial().max(max_sealed(app)?) + 1;
    let (rec, d) = app.store.write(at, |tx| -> Result<Record, ServiceError> {
        let mut rec: Record =
            tx.kv_get(Kv::SopDoc, version.as_bytes())?.ok_or_else(|| ServiceError::NoSopVersion(version.to_owned()))?;
        rec.stage = next_stage(rec.stage, mv.action, who, &mv.comment)?;
        rec.history.push(Transition {
            action: mv.action.as_str().into(),
            by: staff.username.clone(),
            role: staff.role.as_str().into(),
            at,
            comment: mv.comment.clone(),
            section: mv.section.clone(),
        });
        if let Some(key) = &key {
            let mut s = SignedSop {
                version: rec.version.clone(),
                text: rec.text.clone(),
                stage: Stage::Ratified,
                serial,
                effective_from: mv.effective_from.unwrap_or(at).max(at),
                ratified_by: staff.username.clone(),
                ratified_at: at,
                signature: String::new(),
            };
            s.signature = hex::encode(key.sign(&seal_message(&s)).to_bytes());
            rec.seal = Some(Seal {
                serial: s.serial,
                effective_from: s.effective_from,
                ratified_by: s.ratified_by,
                ratified_at: s.ratified_at,
                signature: s.signature,
            });
        }
        tx.kv_put(Kv::SopDoc, version.as_bytes(), Some(&rec));
        Ok(rec)
    })?;
    app.store.durable(d).await?;
    if let Some(seal) = &rec.seal {
        install(app, &rec, seal)?;
    }
    let target = if mv.section.is_empty() { rec.version.clone() } else { format!("{} {}", rec.version, mv.section) };
    let (user, t) = (&staff.username, &target);
    match mv.action {
        LifeAction::Submit => app.store.log_access(now(), user, "sop_submit", t, from)?,
        LifeAction::Return => app.store.log_access(now(), user, "sop_return", t, from)?,
        LifeAction::Approve => app.store.log_access(now(), user, "sop_approve", t, from)?,
        LifeAction::Ratify => app.store.log_access(now(), user, "sop_ratify", t, from)?,
    }
    Ok(rec)
}

fn max_sealed(app: &App) -> Result<u64, ServiceError> {
    Ok(records(app)?.iter().filter_map(|r| r.seal.as_ref().map(|s| s.serial)).max().unwrap_or(0))
}

/// Puts a sealed version on this node's schedule and keeps its text with the other versions.
fn install(app: &App, rec: &Record, seal: &Seal) -> Result<(), ServiceError> {
    let sop = Arc::new(Sop::parse(&rec.text)?);
    app.store.keep_sop(&sop, &rec.text).map_err(|e| match e {
        crate::store::KeepSopError::Store(s) => ServiceError::Store(s),
        crate::store::KeepSopError::Changed(v) => ServiceError::SopRefused(SopRefusal::Conflict(v)),
    })?;
    app.sops.add(Slot { serial: seal.serial, effective_from: seal.effective_from }, sop);
    let all = app.sops.all();
    app.store.register_sops(&all, &app.sop());
    tracing::info!(version = %rec.version, serial = seal.serial, effective_from = seal.effective_from.0, "SOP version on the schedule");
    Ok(())
}

/// The signed form of a sealed record.
pub fn signed(rec: &Record) -> Option<SignedSop> {
    rec.seal.as_ref().map(|s| SignedSop {
        version: rec.version.clone(),
        text: rec.text.clone(),
        stage: Stage::Ratified,
        serial: s.serial,
        effective_from: s.effective_from,
        ratified_by: s.ratified_by.clone(),
        ratified_at: s.ratified_at,
        signature: s.signature.clone(),
    })
}

/// The ratified versions this node holds with a serial above `after`, oldest first: what a child
/// fetches after each hello.
pub fn signed_after(app: &App, after: u64) -> Result<Vec<SignedSop>, ServiceError> {
    let mut v: Vec<SignedSop> = records(app)?.iter().filter_map(signed).filter(|s| s.serial > after).collect();
    v.sort_by_key(|s| s.serial);
    Ok(v)
}

/// The serial of the newest ratified version this node holds (0: only its local file).
pub fn held_serial(app: &App) -> u64 {
    app.sops.top_serial()
}

/// The hub's key, made on first use (0600).
fn signing_key(app: &App) -> Result<SigningKey, ServiceError> {
    let path = app.data_dir.join(SIGNING_KEY);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mut seed = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut seed)
                .map_err(|_| ServiceError::SopKey(path.display().to_string()))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            crate::fsx::write_secret(&path, hex::encode(seed).as_bytes())
                .map_err(|e| ServiceError::Store(crate::store::StoreError::Io(e.to_string())))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(ServiceError::Store(crate::store::StoreError::Io(format!("{}: {e}", path.display())))),
    }
}

/// The key this node checks SOP seals with, hex: its own at the hub, the hub's (learned at
/// enrollment) at a post. What a parent hands a child when it enrolls.
pub fn trusted_key_hex(app: &App) -> Result<Option<String>, ServiceError> {
    if app.is_root() {
        return Ok(Some(hex::encode(signing_key(app)?.verifying_key().to_bytes())));
    }
    match std::fs::read_to_string(app.data_dir.join(TRUSTED_KEY)) {
        Ok(t) => Ok(Some(t.trim().to_owned())),
        Err(_) => Ok(None),
    }
}

/// Checks a signed SOP as a post does before it takes it, in this order: signed at all, ratified,
/// by the hub's key, not older than what it holds. Pure but for the key.
pub fn check(s: &SignedSop, key: Option<&str>, held: u64) -> Result<(), SopRefusal> {
    if s.signature.trim().is_empty() {
        return Err(SopRefusal::Unsigned(s.version.clone()));
    }
    if s.stage != Stage::Ratified {
        return Err(SopRefusal::NotRatified(s.version.clone(), s.stage.as_str()));
    }
    let key = key.ok_or(SopRefusal::NoTrustedKey)?;
    let wrong = || SopRefusal::WrongKey(s.version.clone());
    let mut kb = [0u8; 32];
    hex::decode_to_slice(key, &mut kb).map_err(|_| SopRefusal::NoTrustedKey)?;
    let vk = VerifyingKey::from_bytes(&kb).map_err(|_| SopRefusal::NoTrustedKey)?;
    let mut sb = [0u8; 64];
    hex::decode_to_slice(s.signature.trim(), &mut sb).map_err(|_| wrong())?;
    vk.verify(&seal_message(s), &ed25519_dalek::Signature::from_bytes(&sb)).map_err(|_| wrong())?;
    if s.serial <= held {
        return Err(SopRefusal::Outdated { version: s.version.clone(), serial: s.serial, held });
    }
    Ok(())
}

/// Takes a signed SOP from the parent (or an upload): checks it, keeps it and puts it on the
/// schedule; it governs new cases from its `effective_from` (at once if that has passed).
/// `Ok(false)`: this node holds it already.
pub async fn receive(app: &App, s: &SignedSop) -> Result<bool, ServiceError> {
    let old = record_of(app, &s.version)?;
    let held = held_serial(app);
    // the newest version again (a repeated delivery): nothing to do
    if old.as_ref().and_then(signed).is_some_and(|o| &o == s && s.serial == held) {
        return Ok(false);
    }
    let key = trusted_key_hex(app)?;
    check(s, key.as_deref(), held)?;
    if old.is_some() {
        return Err(SopRefusal::Conflict(s.version.clone()).into());
    }
    Sop::parse(&s.text)?;
    let at = now();
    let rec = Record {
        version: s.version.clone(),
        text: s.text.clone(),
        stage: Stage::Ratified,
        history: vec![Transition {
            action: "received".into(),
            by: s.ratified_by.clone(),
            role: Role::Leader.as_str().into(),
            at,
            comment: String::new(),
            section: String::new(),
        }],
        seal: Some(Seal {
            serial: s.serial,
            effective_from: s.effective_from,
            ratified_by: s.ratified_by.clone(),
            ratified_at: s.ratified_at,
            signature: s.signature.clone(),
        }),
    };
    let (_, d) = app.store.write(at, |tx| -> Result<(), ServiceError> {
        tx.kv_put(Kv::SopDoc, s.version.as_bytes(), Some(&rec));
        Ok(())
    })?;
    app.store.durable(d).await?;
    install(app, &rec, rec.seal.as_ref().expect("set above"))?;
    Ok(true)
}

/// A signed SOP uploaded by hand (a post cut off from the hub): a leader of the node.
pub async fn upload(app: &App, staff: &Staff, s: &SignedSop, from: &str) -> Result<bool, ServiceError> {
    if staff.role != Role::Leader {
        return Err(ServiceError::RoleMayNot { role: staff.role, action: "install a signed SOP" });
    }
    let r = receive(app, s).await;
    let what = match &r {
        Ok(_) => "sop_received".to_owned(),
        Err(ServiceError::SopRefused(x)) => format!("sop_refused {}", x.code()),
        Err(_) => "sop_refused".to_owned(),
    };
    app.store.log_access(now(), &staff.username, "sop_upload", &format!("{} {what}", s.version), from)?;
    r
}

/// One version: its record, or the local file's text when it has none.
pub fn version(app: &App, version: &str) -> Result<(Record, Stage), ServiceError> {
    if let Some(r) = record_of(app, version)? {
        let st = stage_now(app, &r);
        return Ok((r, st));
    }
    let text = app
        .store
        .sop_texts()?
        .into_iter()
        .find(|(v, _)| v == version)
        .map(|(_, t)| t)
        .ok_or_else(|| ServiceError::NoSopVersion(version.to_owned()))?;
    let r = Record { version: version.to_owned(), text, stage: Stage::Ratified, history: vec![], seal: None };
    let inf = app.sop();
    let st = if inf.version == version { Stage::InForce } else { Stage::Superseded };
    Ok((r, st))
}

/// Every version: the records, and the locally loaded files that have none.
pub fn versions(app: &App) -> Result<Vec<(Record, Stage)>, ServiceError> {
    let mut out: Vec<(Record, Stage)> =
        records(app)?.into_iter().map(|r| (stage_now(app, &r), r)).map(|(s, r)| (r, s)).collect();
    let inf = app.sop();
    for (v, text) in app.store.sop_texts()? {
        if !out.iter().any(|(r, _)| r.version == v) {
            let st = if inf.version == v { Stage::InForce } else { Stage::Superseded };
            out.insert(0, (Record { version: v, text, stage: Stage::Ratified, history: vec![], seal: None }, st));
        }
    }
    Ok(out)
}

impl From<LifeError> for ServiceError {
    fn from(e: LifeError) -> Self {
        ServiceError::SopLife(e)
    }
}

impl From<crate::model::sop::SopError> for ServiceError {
    fn from(e: crate::model::sop::SopError) -> Self {
        ServiceError::SopInvalid(e)
    }
}

impl From<SopRefusal> for ServiceError {
    fn from(e: SopRefusal) -> Self {
        ServiceError::SopRefused(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_by(key: &SigningKey, stage: Stage, serial: u64) -> SignedSop {
        let mut s = SignedSop {
            version: "v".into(),
            text: "t".into(),
            stage,
            serial,
            effective_from: Millis(5),
            ratified_by: "kapolda".into(),
            ratified_at: Millis(1),
            signature: String::new(),
        };
        s.signature = hex::encode(key.sign(&seal_message(&s)).to_bytes());
        s
    }

    #[test]
    fn a_post_takes_only_a_ratified_version_sealed_by_its_hub_and_newer_than_its_own() {
        let hub = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let key = hex::encode(hub.verifying_key().to_bytes());
        let good = signed_by(&hub, Stage::Ratified, 2);
        assert_eq!(check(&good, Some(&key), 1), Ok(()));
        let code = |s: &SignedSop, k: Option<&str>, held| check(s, k, held).unwrap_err().code();
        assert_eq!(code(&SignedSop { signature: String::new(), ..good.clone() }, Some(&key), 1), "sop_unsigned");
        assert_eq!(code(&signed_by(&hub, Stage::Approved, 2), Some(&key), 1), "sop_not_ratified");
        assert_eq!(code(&signed_by(&other, Stage::Ratified, 2), Some(&key), 1), "sop_wrong_key");
        assert_eq!(
            code(&SignedSop { serial: 3, ..good.clone() }, Some(&key), 1),
            "sop_wrong_key",
            "the serial is sealed"
        );
        assert_eq!(code(&SignedSop { text: "x".into(), ..good.clone() }, Some(&key), 1), "sop_wrong_key");
        assert_eq!(code(&good, None, 1), "sop_no_trusted_key");
        assert_eq!(code(&good, Some(&key), 2), "sop_outdated");
    }
}
