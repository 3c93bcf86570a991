//! Use cases. Each checks a command against the model, appends events through the store's
//! single writer, waits for the group commit, then tells listeners. Handlers and the CLI call
//! these; nothing here knows HTTP.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod board;
pub mod cases;
pub mod demo;
pub mod drill;
pub mod export;
pub mod figures;
pub mod intake;
pub mod open311;
pub mod photos;
pub mod polsek;
pub mod prank;
pub mod recap;
pub mod scheduler;
pub mod sop;
pub mod stpl;
pub mod sync;
pub mod whatsapp;

use crate::config::Config;
use crate::model::case::DecideError;
use crate::model::report::FieldError;
use crate::model::{Millis, NodeCode, Role, Sop, Ticket, Units};
use crate::store::{KeepSopError, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Everything a running node's use cases need, passed down explicitly.
pub struct App {
    /// the store, for the use cases only: every other layer goes through `service` functions
    pub(in crate::service) store: Store,
    pub node: NodeCode,
    /// the units file as loaded; its `[[polsek]]` are defaults (`App::directory` has the lists
    /// in force)
    pub units: Units,
    /// the units with each Polres's newest saved Polsek list (`service::polsek`)
    directory: std::sync::RwLock<Arc<Units>>,
    /// every SOP version this node holds, and which governs new cases when (`App::sop`)
    pub sops: sop::Book,
    pub session_ttl_ms: u64,
    pub throttle: Mutex<auth::Throttle>,
    /// the argon2id checks of logins (one per core at once, in kept buffers)
    pub hashers: Arc<auth::Hashers>,
    /// tickets of cases that just changed (live views subscribe)
    pub changes: broadcast::Sender<Ticket>,
    /// a person opened a case (its first read by them within the read window): consoles stop
    /// ringing for it
    pub opened: broadcast::Sender<Ticket>,
    /// the Polda's territory (a box around the Polres seats), for the prank score
    pub territory: Option<crate::model::prank::Territory>,
    pub limit_per_ip: Option<prank::RateLimit>,
    pub limit_per_phone: Option<prank::RateLimit>,
    /// public tracking (`GET /api/v1/reports/{ticket}`) per address
    pub limit_tracking: Option<prank::RateLimit>,
    /// Open311 requests per partner key (`open311::KEY_RATE`)
    pub limit_open311: Option<prank::RateLimit>,
    /// the live state of this node's sync links
    pub sync: sync::Board,
    upstream_configured: bool,
    pub data_dir: std::path::PathBuf,
    /// request counts, latencies and gauges for `GET /metrics`
    pub metrics: Arc<crate::metrics::Metrics>,
    /// who may read `GET /metrics`
    pub metrics_allow: crate::metrics::AllowList,
    /// asked to stop cleanly and restart (a new release is installed): `run` returns `Exit::Restart`
    pub restart: tokio::sync::Notify,
    /// how `node invite` asks `run` to open an on-demand sync listener
    pub sync_gate: sync::SyncGate,
    /// what a release supervisor told this process (`update` reads it)
    pub supervision: crate::config::Supervision,
    /// set once the sync client has said hello to the parent (probation waits for it)
    pub upstream_reached: std::sync::atomic::AtomicBool,
    /// who read which case lately: one access-log entry per opening of a case
    pub(in crate::service) case_reads: audit::Reads,
    /// Latihan: the running drills and the tickets of ended ones (`service::drill`)
    pub(in crate::service) drills: drill::Live,
    /// the export to PostgreSQL: its status, and `export rebuild` requests (`src/export/`)
    pub export: export::Export,
}

/// Why a use case refused or failed. Every variant has its own stable `code` and status in
/// `http::error` (one `match`), so a client can act on the kind of refusal, not on its text.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Field(#[from] FieldError),
    /// the photos of a web report (nothing of the report is kept)
    #[error(transparent)]
    Photo(#[from] crate::model::photo::PhotoError),
    #[error("no case with that ticket")]
    NotFound,
    /// the staff member's role may not do this (`action` reads "may not <action>")
    #[error("role {} may not {}", .role.as_str(), .action)]
    RoleMayNot { role: Role, action: &'static str },
    #[error(transparent)]
    Decide(#[from] DecideError),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed logins; try again in {retry_after_s} s")]
    Throttled { retry_after_s: u64 },
    #[error("too many logins are being checked at once; try again in {retry_after_s} s")]
    Busy { retry_after_s: u64 },
    #[error("this account waits for a ka_siaga or a leader of this node to confirm it")]
    Pending,
    #[error("too many reports from this {what}; try again in {retry_after_s} s")]
    RateLimited { what: &'static str, retry_after_s: u64 },
    // ----- accounts
    #[error("username {0:?}: use 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter")]
    BadUsername(String),
    #[error("the password is too short: at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("role {0:?} is unknown: use one of {roles}", roles = Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownRole(String),
    #[error("only a leader may be marked as ratifier (--ratifier)")]
    RatifierNotLeader,
    #[error("a unit_officer needs --unit (the unit code, e.g. PLG)")]
    UnitRequired,
    #[error("role {} is not tied to a unit; drop --unit", .0.as_str())]
    UnitNotAllowed(Role),
    #[error("unit {0} is not in the units directory")]
    UnknownUnit(String),
    #[error("no user {0}")]
    NoSuchUser(String),
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("user {0} is not disabled")]
    AlreadyEnabled(String),
    #[error("user {0} is not waiting for a confirmation")]
    NotPending(String),
    #[error("this is the last active tik_admin; add another one first")]
    LastAdmin,
    #[error("you cannot disable your own account; ask another tik_admin")]
    SelfDisable,
    // ----- reporters and cases
    #[error("give a reason for {0}")]
    ReasonRequired(&'static str),
    #[error("{0} is already blocked")]
    AlreadyBlocked(String),
    #[error("{0} is not blocked")]
    NotBlocked(String),
    // ----- Open311 partner keys
    #[error("key name {0:?}: use 2-40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")]
    BadKeyName(String),
    #[error("partner {0} already has a key; revoke it first")]
    KeyExists(String),
    #[error("no active Open311 key named {0}")]
    NoSuchKey(String),
    #[error("{original} is itself a duplicate of {first}: link to {first}")]
    DuplicateOfDuplicate { original: Ticket, first: Ticket },
    // ----- recaps
    #[error("{0}")]
    BadPeriod(String),
    #[error("the period ends before it starts: swap from and to")]
    PeriodInverted,
    #[error("the period is longer than {max_days} days: ask for a shorter one")]
    PeriodTooLong { max_days: u64 },
    #[error("{0:?} is not a recap dimension: use node, unit, category, priority, channel, regency or district")]
    UnknownGroup(String),
    #[error("a unit officer sees only the recap of its own unit, not of {0}")]
    OtherUnit(String),
    #[error("this node has no recent shift handover snapshot that starts then (see GET /api/v1/rekap/shifts)")]
    NoShiftRecap,
    #[error("a child may not send the shift handovers of node {0}")]
    ShiftNotAllowed(String),
    // ----- nodes and sync
    #[error("{0:?} is not a node code: {1}")]
    BadNodeCode(String, String),
    #[error("{0} is not a node in the units directory (use a Polres code such as PLG)")]
    UnknownNode(NodeCode),
    #[error("{0} is this node itself")]
    SelfInvite(NodeCode),
    #[error("the join token is malformed: copy it exactly as `node invite` printed it")]
    BadJoinToken,
    #[error("this join token is unknown, used or expired: ask for a new one")]
    JoinTokenRefused,
    #[error("the certificate could not be issued: {0}")]
    CertificateRefused(String),
    #[error("{0}")]
    FeedRefused(String),
    #[error("{0}")]
    ChainBroken(String),
    // ----- other
    #[error("the delivery is not UTF-8 JSON")]
    NotUtf8,
    #[error("this node has no unit to dispatch demo cases to")]
    NoDemoUnit,
    #[error("a backup is streamed, not executed")]
    NotExecutable,
    #[error("the export to PostgreSQL runs inside the serving node: start it (with export_postgres set)")]
    ExportNotServing,
    #[error("export_postgres is not set on this node: there is no export to rebuild")]
    ExportOff,
    #[error("a worker failed: {0}")]
    Crashed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// an SOP text refused: the field and line at fault
    #[error("{0}")]
    SopInvalid(crate::model::sop::SopError),
    #[error(transparent)]
    SopLife(crate::model::sop::LifeError),
    #[error(transparent)]
    SopRefused(sop::SopRefusal),
    #[error("SOP versions are drafted, reviewed and ratified at the hub; this node receives them by sync")]
    SopNotHub,
    #[error("SOP version {0} exists already and is past its draft: give the new text a new version")]
    SopVersionExists(String),
    #[error("no SOP version {0}")]
    NoSopVersion(String),
    #[error("the SOP signing key {0} is unreadable: restore it from the backup of the hub's data dir")]
    SopKey(String),
    // ----- Polsek lists
    /// a Polsek list refused, naming the item (boxed: it is the largest refusal)
    #[error(transparent)]
    Polsek(Box<crate::model::units::PolsekError>),
    #[error(
        "this node is not the post of Polres {0:?}: each post edits its own Polres's Polsek list; the hub shows them"
    )]
    PolsekNotHere(String),
    #[error("the list was saved again meanwhile (version {held}, not {base}): reload it and make the change again")]
    PolsekStale { base: u64, held: u64 },
    #[error("the Polsek list is not valid TOML ([[polsek]] entries with code, name, polres, districts): {0}")]
    PolsekToml(String),
    // ----- Latihan (drills)
    /// a drill scenario refused: the field and line at fault
    #[error("{0}")]
    ScenarioInvalid(crate::model::drill::ScenarioError),
    #[error("scenario {0} is built in: give the uploaded one another id")]
    ScenarioExists(String),
    #[error("drill {0} is still running here: end it before starting another")]
    DrillRunning(String),
    #[error("the drill is {0}: that action does not apply")]
    DrillState(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("SOP: {0}")]
    Sop(crate::model::sop::SopError),
    #[error("SOP: {0}")]
    KeepSop(#[from] KeepSopError),
    #[error("units: {0}")]
    Units(#[from] crate::model::units::UnitsError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("node {0} is not in the units directory; set node_code to a Polres code or the Polda code")]
    UnknownNode(String),
}

impl From<crate::model::units::PolsekError> for ServiceError {
    fn from(e: crate::model::units::PolsekError) -> Self {
        ServiceError::Polsek(Box::new(e))
    }
}

pub fn now() -> Millis {
    #[cfg(feature = "test-hooks")]
    if let Some(m) = test_clock::read() {
        return m;
    }
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Millis(d.as_millis() as u64)
}

/// A frozen clock for tests (`BANPOL_TEST_CLOCK`): only in `test-hooks` builds, which a release
/// build never is (`tests/release-binary.sh` checks the variable is unknown there).
#[cfg(feature = "test-hooks")]
pub mod test_clock {
    use super::Millis;
    use std::sync::OnceLock;
    static FILE: OnceLock<std::path::PathBuf> = OnceLock::new();

    pub fn set(path: std::path::PathBuf) {
        let _ = FILE.set(path);
    }

    /// the last time read: a file caught mid-rewrite does not send the clock back to real time
    static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    pub(super) fn read() -> Option<Millis> {
        use std::sync::atomic::Ordering;
        let file = FILE.get()?;
        match std::fs::read_to_string(file).ok().and_then(|t| t.trim().parse::<u64>().ok()) {
            Some(ms) => {
                LAST.store(ms, Ordering::Relaxed);
                Some(Millis(ms))
            }
            None => Some(Millis(LAST.load(Ordering::Relaxed))).filter(|m| m.0 > 0),
        }
    }
}

/// Random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(crate::model::event::hash_bytes(s.as_bytes()))
}

impl App {
    /// Opens the store and loads the SOP and units the config names.
    pub fn open(config: &Config) -> Result<App, StartError> {
        let units = Units::parse(&config.units_text()?)?;
        if !units.has_node(&config.node_code) {
            return Err(StartError::UnknownNode(config.node_code.to_string()));
        }
        let sop_text = config.sop_text()?;
        let sop = Arc::new(Sop::parse(&sop_text).map_err(StartError::Sop)?);
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| StoreError::Io(format!("{}: {e}", config.data_dir.display())))?;
        let store = Store::open(&config.data_dir, &config.node_code, config.cache_capacity_mb * 1024 * 1024)?;
        if store.keep_sop(&sop, &sop_text)? {
            tracing::info!(version = %sop.version, "new SOP version kept");
        }
        let mut sops = HashMap::new();
        for (version, text) in store.sop_texts()? {
            match Sop::parse(&text) {
                Ok(s) => {
                    sops.insert(version, Arc::new(s));
                }
                Err(e) => {
                    tracing::warn!(%version, error = %e, "a stored SOP version no longer parses; its cases use the current SOP")
                }
            }
        }
        sops.insert(sop.version.clone(), sop.clone());
        store.register_sops(&sops, &sop);
        let book = sop::Book::new(sop, sops);
        let built = store.ensure_indexes()?;
        if built > 0 {
            tracing::info!(cases = built, "store migrated: case summaries and word index built");
        }
        let (changes, _) = broadcast::channel(1024);
        let (opened, _) = broadcast::channel(256);
        let directory = std::sync::RwLock::new(Arc::new(
            polsek::directory_of(&store, &units).map_err(|e| StoreError::Io(format!("Polsek lists: {e}")))?,
        ));
        let territory = crate::model::prank::Territory::around(units.units.iter().filter_map(|u| u.lat.zip(u.lon)));
        let app = App {
            territory,
            limit_per_ip: prank::RateLimit::new(config.intake_limit_per_ip),
            limit_per_phone: prank::RateLimit::new(config.intake_limit_per_phone),
            limit_tracking: prank::RateLimit::new(config.tracking_limit_per_ip),
            limit_open311: prank::RateLimit::new(Some(open311::KEY_RATE)),
            store,
            node: config.node_code.clone(),
            units,
            directory,
            sops: book,
            session_ttl_ms: config.session_ttl_ms,
            throttle: Mutex::new(auth::Throttle::default()),
            hashers: Arc::default(),
            changes,
            opened,
            sync: sync::Board::default(),
            upstream_configured: config.upstream.is_some(),
            data_dir: config.data_dir.clone(),
            metrics: Arc::default(),
            metrics_allow: config.metrics_allow.clone(),
            restart: tokio::sync::Notify::new(),
            supervision: config.supervision.clone(),
            upstream_reached: Default::default(),
            sync_gate: sync::SyncGate::default(),
            case_reads: audit::Reads::default(),
            drills: drill::Live::default(),
            export: export::Export::default(),
        };
        // the ratified versions this node holds take over from the file on their dates
        sop::load(&app).map_err(|e| StartError::Store(StoreError::Io(format!("SOP versions: {e}"))))?;
        drill::load(&app).map_err(|e| StartError::Store(StoreError::Io(format!("drills: {e}"))))?;
        export::adopt_stored_key(&app).map_err(|e| StartError::Store(StoreError::Io(format!("export key: {e}"))))?;
        Ok(app)
    }

    /// Commits what is staged, flushes and ends the commit thread (shutdown).
    pub fn close(&self) {
        self.store.close();
    }

    /// A node with no upstream is the root of its tree (the Polda hub): it may take cases back.
    pub fn is_root(&self) -> bool {
        !self.upstream_configured && !crate::config::joined(&self.data_dir)
    }

    pub fn changed(&self, t: &Ticket) {
        let _ = self.changes.send(t.clone());
    }
}
