//! Accounts, sessions and login throttling. Passwords are argon2id; sessions are server-side
//! (the cookie holds a random token, the store holds its hash); every session has a CSRF token.

use super::{random_hex, App, ServiceError};
use crate::model::{Millis, Role, UnitCode, Units};
/// An account as the use cases return it (no password in the clear).
pub use crate::store::UserRecord;
use crate::store::{SessionRecord, Store};
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A logged-in person, as handlers see them.
#[derive(Debug, Clone)]
pub struct Staff {
    pub username: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub csrf: String,
}

pub const MIN_PASSWORD: usize = 10;

/// argon2id with 7 MiB, 5 passes, 1 lane: one of OWASP's equivalent settings (its list runs from
/// 46 MiB × 1 pass to 7 MiB × 5 passes, all the same strength), the one that keeps a small
/// appliance's resident memory lowest (each hashing slot keeps its block buffer). Hashes made
/// with other settings (the library's 19 MiB × 2 before) verify by the settings they carry.
fn argon() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(pw: &str) -> String {
    let salt = SaltString::generate(&mut rand::thread_rng());
    argon().hash_password(pw.as_bytes(), &salt).expect("argon2 with fixed params").to_string()
}

/// The library's own check (logins use [`verify_in`]; the tests compare the two).
#[cfg(test)]
fn verify_password(pw: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// A password people can type: 4 groups of 4 from an unambiguous alphabet (about 80 bits).
pub fn generate_password() -> String {
    let t: Vec<String> = (0..4).map(|_| super::intake::new_token()[..4].to_lowercase()).collect();
    t.join("-")
}

fn token_hash(token: &str) -> Vec<u8> {
    crate::model::event::hash_bytes(token.as_bytes()).to_vec()
}

// ----- login throttling -----------------------------------------------------------------------

/// Failed-login bookkeeping, in memory, under three keys per attempt: the (account, address)
/// pair, the account from anywhere, and the address. An attempt is *reserved* on all three
/// before its password is hashed (one step under the mutex), and settled after: so a burst of
/// concurrent guesses is counted before any of them is checked. The pair locks first, so a
/// stranger elsewhere cannot lock the duty officer out; the account's own, higher limit is the
/// backstop against guessing from many addresses. Reaching a key's limit locks it for 30 s, each
/// further failure for twice as long, up to 15 minutes.
#[derive(Debug, Default)]
pub struct Throttle {
    keys: HashMap<String, Entry>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    failures: u32,
    /// reserved attempts whose password is being checked
    in_flight: u32,
    locked_until: Millis,
    last_failure: Millis,
}

/// A reserved login attempt; hand it back to [`Throttle::settle`].
#[derive(Debug)]
pub struct Attempt {
    keys: [String; 3],
}

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// the password was right
    Passed,
    /// the password was wrong (or the account unknown or disabled)
    Failed,
    /// the password was never checked (no hashing slot, the client went away)
    Dropped,
}

/// A key that an attempt's failure locked (each one goes to the access log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// `pair`, `account` or `address`
    pub scope: &'static str,
    pub secs: u64,
}

impl Throttle {
    /// failures of one account from one address
    pub const PER_PAIR: u32 = 5;
    /// failures of one account from anywhere (the backstop)
    pub const PER_ACCOUNT: u32 = 50;
    /// failures from one address, any account (shared NAT: more than one person)
    pub const PER_ADDRESS: u32 = 20;
    /// failures older than this are forgotten
    const FORGET_MS: u64 = 15 * 60 * 1000;

    fn keys(user: &str, addr: &str) -> [String; 3] {
        let user = user.to_lowercase();
        [format!("pair:{user}\0{addr}"), format!("user:{user}"), format!("ip:{addr}")]
    }

    fn scope(key: &str) -> (&'static str, u32) {
        if key.starts_with("pair:") {
            ("pair", Self::PER_PAIR)
        } else if key.starts_with("user:") {
            ("account", Self::PER_ACCOUNT)
        } else {
            ("address", Self::PER_ADDRESS)
        }
    }

    /// The lock after `failures` failures against `limit`: none below it, then 30 s doubling.
    fn lock_secs(failures: u32, limit: u32) -> Option<u64> {
        let over = (failures + 1).saturating_sub(limit);
        (over > 0).then(|| (30u64 << (over - 1).min(5)).min(900))
    }

    /// Reserves an attempt of `user` from `addr`, or says how many seconds to wait: when a key
    /// is locked, or when its failures plus the attempts being checked would lock it.
    pub fn reserve(&mut self, user: &str, addr: &str, now: Millis) -> Result<Attempt, u64> {
        if self.keys.len() > 50_000 {
            self.keys
                .retain(|_, e| e.in_flight > 0 || e.locked_until.0.max(e.last_failure.0) + Self::FORGET_MS > now.0);
        }
        let keys = Self::keys(user, addr);
        let mut wait = 0;
        for k in &keys {
            let Some(e) = self.keys.get_mut(k) else { continue };
            if e.locked_until <= now && e.last_failure.plus(Self::FORGET_MS) <= now {
                e.failures = 0;
            }
            let limit = Self::scope(k).1;
            if e.locked_until > now {
                wait = wait.max((e.locked_until.0 - now.0).div_ceil(1000));
            } else if let Some(s) = Self::lock_secs(e.failures + e.in_flight, limit).filter(|_| e.in_flight > 0) {
                wait = wait.max(s);
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for k in &keys {
            self.keys.entry(k.clone()).or_default().in_flight += 1;
        }
        Ok(Attempt { keys })
    }

    /// Settles a reserved attempt; returns the locks its failure set.
    pub fn settle(&mut self, attempt: Attempt, outcome: Outcome, now: Millis) -> Vec<Lock> {
        let mut locks = Vec::new();
        for k in attempt.keys {
            let Some(e) = self.keys.get_mut(&k) else { continue };
            e.in_flight = e.in_flight.saturating_sub(1);
            let (scope, limit) = Self::scope(&k);
            match outcome {
                Outcome::Dropped => {}
                // the right password clears its pair and its account, not its address
                Outcome::Passed if scope != "address" => {
                    e.failures = 0;
                    e.locked_until = Millis(0);
                }
                Outcome::Passed => {}
                Outcome::Failed => {
                    e.failures += 1;
                    e.last_failure = now;
                    if let Some(secs) = Self::lock_secs(e.failures, limit) {
                        e.locked_until = now.plus(secs * 1000);
                        locks.push(Lock { scope, secs });
                    }
                }
            }
            if e.failures == 0 && e.in_flight == 0 && e.locked_until <= now {
                self.keys.remove(&k);
            }
        }
        locks
    }
}

/// A reservation that is settled as `Dropped` if the login future goes away before it ends
/// (the client hung up): the slot is never leaked.
struct Reserved<'a> {
    app: &'a App,
    attempt: Option<Attempt>,
}

impl Reserved<'_> {
    fn settle(mut self, outcome: Outcome, now: Millis) -> Vec<Lock> {
        let a = self.attempt.take().expect("settled once");
        self.app.throttle.lock().unwrap_or_else(|e| e.into_inner()).settle(a, outcome, now)
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if let Some(a) = self.attempt.take() {
            self.app.throttle.lock().unwrap_or_else(|e| e.into_inner()).settle(a, Outcome::Dropped, super::now());
        }
    }
}

/// The argon2id checks of logins: at most one per core at once, each in a block buffer that is
/// allocated once and kept (7 MiB each for our hashes), so a burst of logins cannot grow the heap (a
/// fresh buffer per check, on whichever blocking thread, left the allocator holding hundreds of
/// MiB).
pub struct Hashers {
    slots: Arc<tokio::sync::Semaphore>,
    memory: Mutex<Vec<Vec<Block>>>,
}

impl Default for Hashers {
    fn default() -> Self {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
        Hashers { slots: Arc::new(tokio::sync::Semaphore::new(n)), memory: Mutex::new(Vec::new()) }
    }
}

impl Hashers {
    /// Checks `pw` against the PHC string `phc` on a blocking thread once a slot is free; `None`
    /// when no slot freed up within `wait`.
    async fn verify(self: &Arc<Self>, pw: &str, phc: String, wait: std::time::Duration) -> Option<bool> {
        let permit = tokio::time::timeout(wait, self.slots.clone().acquire_owned()).await.ok()?.ok()?;
        let (me, pw) = (self.clone(), pw.to_owned());
        let ok = tokio::task::spawn_blocking(move || {
            let _slot = permit;
            let mut mem = me.memory.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
            let ok = verify_in(&pw, &phc, &mut mem);
            me.memory.lock().unwrap_or_else(|e| e.into_inner()).push(mem);
            ok
        })
        .await
        .unwrap_or(false);
        Some(ok)
    }
}

/// `verify_password` in a caller's block buffer (grown to the hash's memory cost once).
fn verify_in(pw: &str, phc: &str, mem: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Ok(params), Ok(alg)) = (Params::try_from(&hash), Algorithm::try_from(hash.algorithm)) else {
        return false;
    };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    if mem.len() < params.block_count() {
        mem.resize(params.block_count(), Block::default());
    }
    let blocks = params.block_count();
    let argon = Argon2::new(alg, version.unwrap_or_default(), params);
    let mut out = vec![0u8; expected.len()];
    if argon.hash_password_into_with_memory(pw.as_bytes(), salt, &mut out, &mut mem[..blocks]).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|o| o == expected)
}

/// How long a login waits for a hashing slot before it is told to come back.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

// ----- sessions ---------------------------------------------------------------------------------
// A session ends `session_ttl` after the user's last own request (sliding, see `live_session`),
// at logout, or when the account is disabled or its password changes. Every end wakes the live
// streams through `Store::sessions_changed` (`session_ended`).

pub struct Login {
    pub token: String,
    pub staff: Staff,
    pub expires: Millis,
}

/// Checks a password and opens a session. The attempt is counted by the throttle before the
/// password is hashed; the hash (argon2id) runs off the async threads in [`Hashers`].
pub async fn login(app: &App, username: &str, password: &str, from: &str) -> Result<Login, ServiceError> {
    let now = super::now();
    let attempt = app
        .throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .reserve(username, from, now)
        .map_err(|s| ServiceError::Throttled { retry_after_s: s })?;
    let reserved = Reserved { app, attempt: Some(attempt) };
    let user = app.store.user(username)?;
    // verify against a fixed hash when the user does not exist, so timing does not tell
    let phc = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_owned());
    let Some(ok) = app.hashers.verify(password, phc, HASH_WAIT).await else {
        reserved.settle(Outcome::Dropped, super::now());
        return Err(ServiceError::Busy { retry_after_s: 2 });
    };
    let now = super::now();
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            let locks = reserved.settle(Outcome::Failed, now);
            app.store.log_access(now, username, "login_failed", "", from)?;
            for l in locks {
                tracing::warn!(user = username, from, scope = l.scope, secs = l.secs, "login locked");
                app.store.log_access(now, username, "login_locked", &format!("{} {} s", l.scope, l.secs), from)?;
            }
            return Err(ServiceError::BadCredentials);
        }
    };
    reserved.settle(Outcome::Passed, now);
    if user.pending {
        app.store.log_access(now, &user.username, "login_pending", "", from)?;
        return Err(ServiceError::Pending);
    }
    let token = random_hex(32);
    let session = SessionRecord {
        username: user.username.clone(),
        csrf: random_hex(16),
        created: now,
        expires: now.plus(app.session_ttl_ms),
    };
    let d = app.store.put_session(&token_hash(&token), &session)?;
    app.store.log_access(now, &user.username, "login", "", from)?;
    app.store.durable(d).await?;
    Ok(Login {
        token,
        expires: session.expires,
        staff: Staff { username: user.username, role: user.role, unit: user.unit, csrf: session.csrf },
    })
}

/// An argon2id hash of no password, with the settings of `argon()`, for timing-safe failures.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=7168,t=5,p=1$c29tZXNhbHRzb21lc2FsdA$3H4dLwWUg5dYqSx9nJ5jH0v6QG9eXZb+0pN8g1tGq8A";

/// A live session: who, and when it ends unless renewed.
#[derive(Debug, Clone)]
pub struct Live {
    pub staff: Staff,
    pub expires: Millis,
}

/// The person behind a session token, if the session is live and the account enabled.
pub fn session(app: &App, token: &str) -> Result<Option<Staff>, ServiceError> {
    Ok(live_session(app, token, false)?.map(|l| l.staff))
}

/// How much a renewal must gain before it is written: a session is renewed at most once a
/// minute (or once a tenth of `session_ttl`, when that is shorter), not on every request.
fn renew_step(ttl_ms: u64) -> u64 {
    (ttl_ms / 10).min(60_000)
}

/// The session behind a token and when it ends. With `renew` (a request the user made, not the
/// live stream or a background poll) its end slides to now + `session_ttl`.
pub fn live_session(app: &App, token: &str, renew: bool) -> Result<Option<Live>, ServiceError> {
    let hash = token_hash(token);
    let Some(s) = app.store.session(&hash)? else {
        return Ok(None);
    };
    let now = super::now();
    if s.expires <= now {
        return Ok(None);
    }
    let Some(u) = app.store.user(&s.username)? else {
        return Ok(None);
    };
    if u.disabled {
        return Ok(None);
    }
    let mut expires = s.expires;
    let slid = now.plus(app.session_ttl_ms);
    if renew && s.expires.plus(renew_step(app.session_ttl_ms)) < slid && app.store.renew_session(&hash, &s, slid)? {
        expires = slid;
    }
    Ok(Some(Live { staff: Staff { username: u.username, role: u.role, unit: u.unit, csrf: s.csrf }, expires }))
}

/// How often a live stream re-checks its session even when nothing woke it (a backstop).
const RECHECK_MS: u64 = 30_000;

/// Resolves when the session behind `token` ends for any reason: logout, expiry, the account
/// disabled, its password changed (both end its sessions), or its role or unit changed (what the
/// stream was opened for no longer holds). Wakes on the store's `sessions_changed`, at the
/// session's end, and every `RECHECK_MS`; never polls per event.
pub async fn session_ended(app: &App, token: &str, opened_as: &Staff) {
    let mut changed = app.store.sessions_changed();
    loop {
        let live = match live_session(app, token, false) {
            Ok(Some(l)) if l.staff.role == opened_as.role && l.staff.unit == opened_as.unit => l,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not re-check a live stream's session; ending the stream");
                return;
            }
        };
        // a few ms past the end, so that the re-check sees it expired
        let wait = live.expires.0.saturating_sub(super::now().0).saturating_add(5).min(RECHECK_MS);
        tokio::select! {
            r = changed.changed() => if r.is_err() { return },
            _ = tokio::time::sleep(std::time::Duration::from_millis(wait)) => {}
        }
    }
}

pub async fn logout(app: &App, token: &str) -> Result<(), ServiceError> {
    let d = app.store.delete_session(&token_hash(token))?;
    app.store.durable(d).await?;
    Ok(())
}

// ----- accounts (used by the admin socket, the CLI and the API) -----------------------------

fn check_username(name: &str) -> Result<(), ServiceError> {
    let ok = (2..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-')
        && name.as_bytes()[0].is_ascii_lowercase();
    if ok {
        Ok(())
    } else {
        Err(ServiceError::BadUsername(name.to_owned()))
    }
}

fn check_password(pw: &str) -> Result<(), ServiceError> {
    if pw.chars().count() < MIN_PASSWORD {
        return Err(ServiceError::PasswordTooShort { min: MIN_PASSWORD });
    }
    Ok(())
}

/// Creates an account, `pending` if asked (see [`confirm_user`]). Returns the record (the caller
/// flushes).
pub fn add_user(
    store: &Store,
    units: &Units,
    name: &str,
    role: Role,
    unit: Option<&str>,
    password: &str,
    pending: bool,
) -> Result<UserRecord, ServiceError> {
    check_username(name)?;
    check_password(password)?;
    let unit = match (role.needs_unit(), unit) {
        (true, None) => return Err(ServiceError::UnitRequired),
        (false, Some(_)) => return Err(ServiceError::UnitNotAllowed(role)),
        (true, Some(u)) => {
            let code = UnitCode::parse(u).map_err(|_| ServiceError::UnknownUnit(u.to_owned()))?;
            if units.get(&code).is_none() {
                return Err(ServiceError::UnknownUnit(u.to_owned()));
            }
            Some(code)
        }
        (false, None) => None,
    };
    if store.user(name)?.is_some() {
        return Err(ServiceError::UserExists(name.to_owned()));
    }
    let rec = UserRecord {
        username: name.to_owned(),
        role,
        unit,
        password_hash: hash_password(password),
        disabled: false,
        created: super::now(),
        pending,
        full_name: String::new(),
        pangkat: String::new(),
        nrp: String::new(),
        ratifier: false,
    };
    let _ = store.put_user(&rec)?;
    Ok(rec)
}

/// Sets a new password and ends the user's sessions. It does not enable a disabled account
/// (that is [`enable_user`], its own audited step). With `reconfirm`, an account that reads case
/// contents becomes pending in the same write.
pub fn set_password(store: &Store, name: &str, password: &str, reconfirm: bool) -> Result<UserRecord, ServiceError> {
    check_password(password)?;
    let mut u = store.user(name)?.ok_or_else(|| ServiceError::NoSuchUser(name.to_owned()))?;
    u.password_hash = hash_password(password);
    u.pending |= reconfirm && needs_confirmation(u.role);
    let _ = store.put_user(&u)?;
    let _ = store.delete_sessions_of(name)?;
    Ok(u)
}

pub fn disable_user(store: &Store, name: &str) -> Result<(), ServiceError> {
    let mut u = store.user(name)?.ok_or_else(|| ServiceError::NoSuchUser(name.to_owned()))?;
    u.disabled = true;
    let _ = store.put_user(&u)?;
    let _ = store.delete_sessions_of(name)?;
    Ok(())
}

/// Enables a disabled account (its password is unchanged).
pub fn enable_user(store: &Store, name: &str) -> Result<UserRecord, ServiceError> {
    let mut u = store.user(name)?.ok_or_else(|| ServiceError::NoSuchUser(name.to_owned()))?;
    if !u.disabled {
        return Err(ServiceError::AlreadyEnabled(name.to_owned()));
    }
    u.disabled = false;
    let _ = store.put_user(&u)?;
    Ok(u)
}

// ----- accounts over the API (tik_admin) ----------------------------------------------------------

/// Records an operation of Bid TIK on the node (e.g. a release published) in the access log;
/// refused for any other role.
pub fn bid_tik_action(app: &App, staff: &Staff, action: &str, target: &str, from: &str) -> Result<(), ServiceError> {
    may_manage(staff)?;
    app.store.log_access(super::now(), &staff.username, action, target, from)?;
    Ok(())
}

fn may_manage(staff: &Staff) -> Result<(), ServiceError> {
    if staff.role.may(crate::model::Action::ManageUsers) {
        Ok(())
    } else {
        Err(ServiceError::RoleMayNot { role: staff.role, action: "manage accounts" })
    }
}

/// Every account (no password hashes).
pub fn list_users(app: &App, staff: &Staff) -> Result<Vec<UserRecord>, ServiceError> {
    may_manage(staff)?;
    Ok(app.store.users()?)
}

/// Whether an account that tik_admin creates or resets over the web waits for a confirmation:
/// every role that reads case contents does (tik_admin must never read them through an account
/// it holds the password of).
pub fn needs_confirmation(role: Role) -> bool {
    role.may(crate::model::Action::ReadCases)
}

/// Adds an account; returns it and the password (generated when none was given), shown once.
/// A role that reads case contents starts `pending` (see [`confirm_user`]).
pub fn api_add_user(
    app: &App,
    staff: &Staff,
    name: &str,
    role: &str,
    unit: Option<&str>,
    password: Option<String>,
    from: &str,
) -> Result<(UserRecord, String), ServiceError> {
    may_manage(staff)?;
    let r = Role::parse(role).ok_or_else(|| ServiceError::UnknownRole(role.to_owned()))?;
    let pw = password.unwrap_or_else(generate_password);
    let u = add_user(&app.store, &app.directory(), name, r, unit, &pw, needs_confirmation(r))?;
    let target = if u.pending { format!("{name} (pending)") } else { name.to_owned() };
    app.store.log_access(super::now(), &staff.username, "user_add", &target, from)?;
    app.store.flush_now()?;
    Ok((u, pw))
}

/// Disables an account and ends its sessions; no one disables their own account, and the last
/// active tik_admin cannot be disabled.
pub fn api_disable_user(app: &App, staff: &Staff, name: &str, from: &str) -> Result<(), ServiceError> {
    may_manage(staff)?;
    if name == staff.username {
        return Err(ServiceError::SelfDisable);
    }
    let users = app.store.users()?;
    let target = users.iter().find(|u| u.username == name).ok_or_else(|| ServiceError::NoSuchUser(name.to_owned()))?;
    let admins = users.iter().filter(|u| u.role == Role::TikAdmin && !u.disabled).count();
    if target.role == Role::TikAdmin && !target.disabled && admins <= 1 {
        return Err(ServiceError::LastAdmin);
    }
    disable_user(&app.store, name)?;
    app.store.log_access(super::now(), &staff.username, "user_disable", name, from)?;
    app.store.flush_now()?;
    Ok(())
}

/// Enables a disabled account (tik_admin); the password stays what it was.
pub fn api_enable_user(app: &App, staff: &Staff, name: &str, from: &str) -> Result<UserRecord, ServiceError> {
    may_manage(staff)?;
    let u = enable_user(&app.store, name)?;
    app.store.log_access(super::now(), &staff.username, "user_enable", name, from)?;
    app.store.flush_now()?;
    Ok(u)
}

/// Sets a new password (generated when none was given) and ends the user's sessions. Enabled or
/// disabled stays as it was; an account that reads case contents waits for a confirmation again,
/// since tik_admin now knows its password.
pub fn api_set_password(
    app: &App,
    staff: &Staff,
    name: &str,
    password: Option<String>,
    from: &str,
) -> Result<(UserRecord, String), ServiceError> {
    may_manage(staff)?;
    let pw = password.unwrap_or_else(generate_password);
    let u = set_password(&app.store, name, &pw, true)?;
    let target = if u.pending { format!("{name} (pending)") } else { name.to_owned() };
    app.store.log_access(super::now(), &staff.username, "user_passwd", &target, from)?;
    app.store.flush_now()?;
    Ok((u, pw))
}

fn may_confirm(staff: &Staff) -> Result<(), ServiceError> {
    if staff.role.may(crate::model::Action::ConfirmAccounts) {
        Ok(())
    } else {
        Err(ServiceError::RoleMayNot {
            role: staff.role,
            action: "confirm accounts (a ka_siaga or a leader of this node does)",
        })
    }
}

/// The accounts waiting for a confirmation: for those who confirm them and for tik_admin.
pub fn pending_users(app: &App, staff: &Staff) -> Result<Vec<UserRecord>, ServiceError> {
    if may_manage(staff).is_err() {
        may_confirm(staff)?;
    }
    Ok(app.store.users()?.into_iter().filter(|u| u.pending).collect())
}

/// Confirms a pending account (ka_siaga or leader of this node): it may log in from now on.
pub fn confirm_user(app: &App, staff: &Staff, name: &str, from: &str) -> Result<UserRecord, ServiceError> {
    may_confirm(staff)?;
    let mut u = app.store.user(name)?.ok_or_else(|| ServiceError::NoSuchUser(name.to_owned()))?;
    if !u.pending {
        return Err(ServiceError::NotPending(name.to_owned()));
    }
    u.pending = false;
    let _ = app.store.put_user(&u)?;
    app.store.log_access(super::now(), &staff.username, "user_confirm", name, from)?;
    app.store.flush_now()?;
    Ok(u)
}

/// Who an officer is: full name, pangkat (rank) and NRP, shown where they act and on an STPL
/// they received. Each may be empty (unknown); all are trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub full_name: String,
    pub pangkat: String,
    pub nrp: String,
}

impl Identity {
    /// Checks and trims the three fields: a name of at most 80 characters, a pangkat of at most
    /// 40 (e.g. `AIPDA`, `IPTU`), an NRP of 8 to 18 digits (an NIP of civil staff has 18).
    pub fn parse(full_name: &str, pangkat: &str, nrp: &str) -> Result<Identity, crate::model::report::FieldError> {
        let bad = |field: &'static str, message: &str| crate::model::report::FieldError {
            code: "invalid_field",
            field,
            message: message.into(),
        };
        let (full_name, pangkat, nrp) = (full_name.trim(), pangkat.trim(), nrp.trim());
        if full_name.chars().count() > 80 || full_name.chars().any(char::is_control) {
            return Err(bad("full_name", "full_name: at most 80 characters, on one line"));
        }
        if pangkat.chars().count() > 40 || pangkat.chars().any(char::is_control) {
            return Err(bad("pangkat", "pangkat: at most 40 characters, on one line"));
        }
        if !nrp.is_empty() && !(8..=18).contains(&nrp.len()) || !nrp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("nrp", "nrp: 8 to 18 digits, or empty"));
        }
        Ok(Identity { full_name: full_name.into(), pangkat: pangkat.into(), nrp: nrp.into() })
    }
}

/// Sets an account's full name, pangkat and NRP (tik_admin); audited as `user_identity`.
pub fn api_set_identity(
    app: &App,
    staff: &Staff,
    name: &str,
    id: Identity,
    from: &str,
) -> Result<UserRecord, ServiceError> {
    may_manage(staff)?;
    let mut u = app.store.user(name)?.ok_or_else(|| ServiceError::NoSuchUser(name.to_owned()))?;
    u.full_name = id.full_name;
    u.pangkat = id.pangkat;
    u.nrp = id.nrp;
    let _ = app.store.put_user(&u)?;
    app.store.log_access(super::now(), &staff.username, "user_identity", name, from)?;
    app.store.flush_now()?;
    Ok(u)
}

/// The identities of the given usernames that have one (for a case's history): username to
/// `(full name, pangkat, NRP)`. Users of other nodes are not in this node's accounts.
pub fn identities<'a>(
    app: &App,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<std::collections::BTreeMap<String, Identity>, ServiceError> {
    let mut out = std::collections::BTreeMap::new();
    for n in names {
        if out.contains_key(n) {
            continue;
        }
        if let Some(u) = app.store.user(n)? {
            if !(u.full_name.is_empty() && u.pangkat.is_empty() && u.nrp.is_empty()) {
                out.insert(n.to_owned(), Identity { full_name: u.full_name, pangkat: u.pangkat, nrp: u.nrp });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod identity_tests {
    use super::Identity;

    #[test]
    fn identity_fields_are_trimmed_and_bounded() {
        let ok = Identity::parse(" Budi Santoso ", "AIPDA", " 78040123 ").unwrap();
        assert_eq!(
            (ok.full_name.as_str(), ok.pangkat.as_str(), ok.nrp.as_str()),
            ("Budi Santoso", "AIPDA", "78040123")
        );
        assert_eq!(Identity::parse("", "", "").unwrap(), Identity::default(), "all may be empty");
        for (name, pangkat, nrp, field) in [
            ("x".repeat(81), String::new(), String::new(), "full_name"),
            ("a\nb".into(), String::new(), String::new(), "full_name"),
            (String::new(), "p".repeat(41), String::new(), "pangkat"),
            (String::new(), String::new(), "1234567".into(), "nrp"),
            (String::new(), String::new(), "1234567x".into(), "nrp"),
            (String::new(), String::new(), "1".repeat(19), "nrp"),
        ] {
            let e = Identity::parse(&name, &pangkat, &nrp).unwrap_err();
            assert_eq!((e.code, e.field), ("invalid_field", field), "{name:?} {pangkat:?} {nrp:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One attempt, reserved and settled at once; `Err(wait)` when refused.
    fn attempt(t: &mut Throttle, user: &str, addr: &str, outcome: Outcome, at: u64) -> Result<Vec<Lock>, u64> {
        let a = t.reserve(user, addr, Millis(at))?;
        Ok(t.settle(a, outcome, Millis(at)))
    }

    #[test]
    fn throttle_locks_the_pair_after_five_failures_and_backs_off() {
        let mut t = Throttle::default();
        for i in 0..4 {
            assert_eq!(attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, i), Ok(vec![]), "free attempt {i}");
        }
        let fifth = attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, 4).unwrap();
        assert_eq!(fifth, vec![Lock { scope: "pair", secs: 30 }], "the fifth failure locks the pair");
        assert_eq!(attempt(&mut t, "Budi", "10.0.0.1", Outcome::Passed, 10).unwrap_err(), 30, "the sixth waits");
        assert_eq!(
            attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, 40_000),
            Ok(vec![Lock { scope: "pair", secs: 60 }]),
            "then twice as long"
        );
        assert_eq!(attempt(&mut t, "budi", "10.0.0.2", Outcome::Passed, 40_001), Ok(vec![]), "another address may");
        assert_eq!(attempt(&mut t, "budi", "10.0.0.1", Outcome::Passed, 100_001), Ok(vec![]), "after the wait");
        for i in 0..4 {
            attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, 200_000 + i).unwrap();
        }
        let later = 200_000 + 16 * 60 * 1000;
        assert_eq!(
            attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, later),
            Ok(vec![]),
            "old failures are forgotten"
        );
    }

    #[test]
    fn concurrent_attempts_are_counted_before_they_are_checked() {
        let mut t = Throttle::default();
        let held: Vec<Attempt> = (0..40).filter_map(|_| t.reserve("budi", "10.0.0.1", Millis(0)).ok()).collect();
        assert_eq!(held.len(), 5, "at most five checked at once for one account from one address");
        assert_eq!(t.reserve("budi", "10.0.0.1", Millis(1)).unwrap_err(), 30);
        let mut locks = Vec::new();
        for a in held {
            locks.extend(t.settle(a, Outcome::Failed, Millis(2)));
        }
        assert_eq!(locks, vec![Lock { scope: "pair", secs: 30 }]);
        // a dropped attempt (no hashing slot, client gone) gives its reservation back uncounted
        let mut t = Throttle::default();
        for _ in 0..20 {
            let a = t.reserve("budi", "10.0.0.1", Millis(0)).unwrap();
            assert_eq!(t.settle(a, Outcome::Dropped, Millis(0)), vec![]);
        }
        assert!(t.keys.is_empty(), "nothing left behind");
    }

    #[test]
    fn the_account_and_the_address_have_their_own_limits() {
        // the account from many addresses: the backstop locks it for everyone
        let mut t = Throttle::default();
        let mut locks = Vec::new();
        for i in 0..Throttle::PER_ACCOUNT as u64 {
            let addr = format!("10.0.{}.{}", i / 4, i % 4);
            locks.extend(attempt(&mut t, "budi", &addr, Outcome::Failed, i).unwrap());
        }
        assert_eq!(locks, vec![Lock { scope: "account", secs: 30 }]);
        assert!(attempt(&mut t, "budi", "192.168.1.1", Outcome::Passed, 100).is_err());
        // one address, many accounts
        let mut t = Throttle::default();
        let mut locks = Vec::new();
        for i in 0..Throttle::PER_ADDRESS as u64 {
            locks.extend(attempt(&mut t, &format!("user{i}"), "10.0.0.9", Outcome::Failed, i).unwrap());
        }
        assert_eq!(locks, vec![Lock { scope: "address", secs: 30 }]);
        assert!(attempt(&mut t, "someone", "10.0.0.9", Outcome::Passed, 100).is_err());
        assert!(attempt(&mut t, "someone", "10.0.0.8", Outcome::Passed, 100).is_ok());
        // the right password clears the pair and the account, not the address
        let mut t = Throttle::default();
        for i in 0..4 {
            attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, i).unwrap();
        }
        attempt(&mut t, "budi", "10.0.0.1", Outcome::Passed, 5).unwrap();
        for i in 0..4 {
            assert_eq!(attempt(&mut t, "budi", "10.0.0.1", Outcome::Failed, 10 + i), Ok(vec![]));
        }
        assert_eq!(t.keys["ip:10.0.0.1"].failures, 8);
    }

    #[test]
    fn dummy_hash_is_well_formed() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("anything", DUMMY_HASH));
    }

    #[test]
    fn verifying_in_a_kept_buffer_agrees_with_the_library() {
        let phc = hash_password("the-right-password");
        let mut mem = Vec::new();
        assert!(verify_in("the-right-password", &phc, &mut mem));
        assert!(verify_password("the-right-password", &phc));
        let kept = mem.len();
        assert!(kept > 0);
        for (pw, h) in [("the-wrong-password", phc.as_str()), ("anything", DUMMY_HASH), ("x", "not a hash")] {
            assert!(!verify_in(pw, h, &mut mem), "{pw}");
        }
        assert_eq!(mem.len(), kept, "the buffer is reused, not grown");
        let mut fresh = Vec::new();
        assert!(!verify_in("anything", DUMMY_HASH, &mut fresh));
        assert_eq!(fresh.len(), kept, "an unknown user costs a full hash too (timing does not tell)");
    }

    #[test]
    fn generated_passwords_are_long_enough() {
        let p = generate_password();
        assert_eq!(p.len(), 19);
        assert!(p.len() >= MIN_PASSWORD);
    }
}
