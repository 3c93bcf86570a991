//! Accounts, sessions and login throttling. Passwords are argon2id; sessions are server-side
//! (the cookie holds a random token, the store holds its hash); every session has a CSRF token.

use super::{random_hex, App, ServiceError};
use crate::model::{Millis, Role, UnitCode, Units};
use crate::store::{SessionRecord, Store, UserRecord};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::collections::HashMap;

/// A logged-in person, as handlers see them.
#[derive(Debug, Clone)]
pub struct Staff {
    pub username: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub csrf: String,
}

pub const MIN_PASSWORD: usize = 10;

pub fn hash_password(pw: &str) -> String {
    let salt = SaltString::generate(&mut rand::thread_rng());
    Argon2::default().hash_password(pw.as_bytes(), &salt).expect("argon2 with default params").to_string()
}

fn verify_password(pw: &str, phc: &str) -> bool {
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

/// Failed-login bookkeeping per username and per client address. The `FREE`th failure locks the
/// key for 30 s, each further one for twice as long, up to 15 minutes.
#[derive(Debug, Default)]
pub struct Throttle {
    /// failures, locked until, last failure
    keys: HashMap<String, (u32, Millis, Millis)>,
}

impl Throttle {
    const FREE: u32 = 5;
    const FREE_PER_ADDRESS: u32 = 20;
    /// failures older than this are forgotten
    const FORGET_MS: u64 = 15 * 60 * 1000;

    fn limit(key: &str) -> u32 {
        if key.starts_with("ip:") {
            Self::FREE_PER_ADDRESS
        } else {
            Self::FREE
        }
    }

    /// Seconds until `key` may try again, if it is locked now.
    pub fn locked(&self, key: &str, now: Millis) -> Option<u64> {
        let (_, until, _) = self.keys.get(key)?;
        (until.0 > now.0).then(|| (until.0 - now.0).div_ceil(1000))
    }

    pub fn failed(&mut self, key: &str, now: Millis) {
        if self.keys.len() > 50_000 {
            self.keys.retain(|_, (_, until, last)| until.0.max(last.0) + Self::FORGET_MS > now.0);
        }
        let e = self.keys.entry(key.to_owned()).or_insert((0, Millis(0), now));
        if e.1 <= now && e.2.plus(Self::FORGET_MS) <= now {
            e.0 = 0;
        }
        e.0 += 1;
        e.2 = now;
        let over = (e.0 + 1).saturating_sub(Self::limit(key));
        if over > 0 {
            let secs = (30u64 << (over - 1).min(5)).min(900);
            e.1 = now.plus(secs * 1000);
        }
    }

    pub fn succeeded(&mut self, key: &str) {
        self.keys.remove(key);
    }
}

// ----- sessions ---------------------------------------------------------------------------------
// A session ends `session_ttl` after the user's last own request (sliding, see `live_session`),
// at logout, or when the account is disabled or its password changes. Every end wakes the live
// streams through `Store::sessions_changed` (`session_ended`).

pub struct Login {
    pub token: String,
    pub staff: Staff,
    pub expires: Millis,
}

/// Checks a password (argon2id: run off the async threads) and opens a session.
pub async fn login(app: &App, username: &str, password: &str, from: &str) -> Result<Login, ServiceError> {
    let now = super::now();
    let user_key = format!("user:{}", username.to_lowercase());
    let ip_key = format!("ip:{from}");
    {
        let t = app.throttle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = t.locked(&user_key, now).or_else(|| t.locked(&ip_key, now)) {
            return Err(ServiceError::Throttled { retry_after_s: s });
        }
    }
    let user = app.store.user(username)?;
    // verify against a fixed hash when the user does not exist, so timing does not tell
    let phc = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_owned());
    let pw = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &phc)).await.unwrap_or(false);
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            app.throttle.lock().unwrap_or_else(|e| e.into_inner()).failed(&user_key, now);
            app.throttle.lock().unwrap_or_else(|e| e.into_inner()).failed(&ip_key, now);
            app.store.log_access(now, username, "login_failed", "", from)?;
            return Err(ServiceError::BadCredentials);
        }
    };
    app.throttle.lock().unwrap_or_else(|e| e.into_inner()).succeeded(&user_key);
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

/// A precomputed argon2id hash of a random string, for timing-safe failures.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3H4dLwWUg5dYqSx9nJ5jH0v6QG9eXZb+0pN8g1tGq8A";

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
        Err(ServiceError::BadRequest(format!(
            "username {name:?}: use 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter"
        )))
    }
}

fn check_password(pw: &str) -> Result<(), ServiceError> {
    if pw.chars().count() < MIN_PASSWORD {
        return Err(ServiceError::BadRequest(format!("the password is too short: at least {MIN_PASSWORD} characters")));
    }
    Ok(())
}

/// Creates an account. Returns the record (the caller flushes).
pub fn add_user(
    store: &Store,
    units: &Units,
    name: &str,
    role: Role,
    unit: Option<&str>,
    password: &str,
) -> Result<UserRecord, ServiceError> {
    check_username(name)?;
    check_password(password)?;
    let unit = match (role.needs_unit(), unit) {
        (true, None) => {
            return Err(ServiceError::BadRequest("a unit_officer needs --unit (the unit code, e.g. PLG)".into()))
        }
        (false, Some(_)) => {
            return Err(ServiceError::BadRequest(format!("role {} is not tied to a unit; drop --unit", role.as_str())))
        }
        (true, Some(u)) => {
            let code = UnitCode::parse(u).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
            if units.get(&code).is_none() {
                return Err(ServiceError::BadRequest(format!("unit {u} is not in the units directory")));
            }
            Some(code)
        }
        (false, None) => None,
    };
    if store.user(name)?.is_some() {
        return Err(ServiceError::Conflict(format!("user {name} already exists")));
    }
    let rec = UserRecord {
        username: name.to_owned(),
        role,
        unit,
        password_hash: hash_password(password),
        disabled: false,
        created: super::now(),
    };
    let _ = store.put_user(&rec)?;
    Ok(rec)
}

pub fn set_password(store: &Store, name: &str, password: &str) -> Result<(), ServiceError> {
    check_password(password)?;
    let mut u = store.user(name)?.ok_or_else(|| ServiceError::BadRequest(format!("no user {name}")))?;
    u.password_hash = hash_password(password);
    u.disabled = false;
    let _ = store.put_user(&u)?;
    let _ = store.delete_sessions_of(name)?;
    Ok(())
}

pub fn disable_user(store: &Store, name: &str) -> Result<(), ServiceError> {
    let mut u = store.user(name)?.ok_or_else(|| ServiceError::BadRequest(format!("no user {name}")))?;
    u.disabled = true;
    let _ = store.put_user(&u)?;
    let _ = store.delete_sessions_of(name)?;
    Ok(())
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
        Err(ServiceError::Forbidden(format!("role {} does not manage accounts", staff.role.as_str())))
    }
}

/// Every account (no password hashes).
pub fn list_users(app: &App, staff: &Staff) -> Result<Vec<UserRecord>, ServiceError> {
    may_manage(staff)?;
    Ok(app.store.users()?)
}

/// Adds an account; returns it and the password (generated when none was given), shown once.
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
    let r = Role::parse(role).ok_or_else(|| ServiceError::BadRequest(format!("role {role:?} is unknown")))?;
    let pw = password.unwrap_or_else(generate_password);
    let u = add_user(&app.store, &app.units, name, r, unit, &pw)?;
    app.store.log_access(super::now(), &staff.username, "user_add", name, from)?;
    app.store.flush_now()?;
    Ok((u, pw))
}

/// Disables an account and ends its sessions; the last active tik_admin cannot be disabled.
pub fn api_disable_user(app: &App, staff: &Staff, name: &str, from: &str) -> Result<(), ServiceError> {
    may_manage(staff)?;
    let users = app.store.users()?;
    let target =
        users.iter().find(|u| u.username == name).ok_or_else(|| ServiceError::BadRequest(format!("no user {name}")))?;
    let admins = users.iter().filter(|u| u.role == Role::TikAdmin && !u.disabled).count();
    if target.role == Role::TikAdmin && !target.disabled && admins <= 1 {
        return Err(ServiceError::Conflict("this is the last active tik_admin; add another one first".into()));
    }
    disable_user(&app.store, name)?;
    app.store.log_access(super::now(), &staff.username, "user_disable", name, from)?;
    app.store.flush_now()?;
    Ok(())
}

/// Sets a new password (generated when none was given) and ends the user's sessions.
pub fn api_set_password(
    app: &App,
    staff: &Staff,
    name: &str,
    password: Option<String>,
    from: &str,
) -> Result<(UserRecord, String), ServiceError> {
    may_manage(staff)?;
    let pw = password.unwrap_or_else(generate_password);
    set_password(&app.store, name, &pw)?;
    app.store.log_access(super::now(), &staff.username, "user_passwd", name, from)?;
    app.store.flush_now()?;
    let u = app.store.user(name)?.ok_or_else(|| ServiceError::BadRequest(format!("no user {name}")))?;
    Ok((u, pw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_after_five_failures_and_backs_off() {
        let mut t = Throttle::default();
        let k = "user:budi";
        for i in 0..5 {
            assert_eq!(t.locked(k, Millis(i)), None, "five free attempts");
            t.failed(k, Millis(i));
        }
        assert_eq!(t.locked(k, Millis(10)), Some(30), "the sixth waits");
        t.failed(k, Millis(40_000));
        assert_eq!(t.locked(k, Millis(40_000)), Some(60));
        t.succeeded(k);
        assert_eq!(t.locked(k, Millis(40_001)), None);
        for _ in 0..4 {
            t.failed(k, Millis(50_000));
        }
        t.failed(k, Millis(50_000 + 16 * 60 * 1000));
        assert_eq!(t.locked(k, Millis(50_001 + 16 * 60 * 1000)), None, "old failures are forgotten");
        for _ in 0..19 {
            t.failed("ip:1.2.3.4", Millis(0));
        }
        assert_eq!(t.locked("ip:1.2.3.4", Millis(0)), None, "addresses get more attempts (shared NAT)");
    }

    #[test]
    fn dummy_hash_is_well_formed() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("anything", DUMMY_HASH));
    }

    #[test]
    fn generated_passwords_are_long_enough() {
        let p = generate_password();
        assert_eq!(p.len(), 19);
        assert!(p.len() >= MIN_PASSWORD);
    }
}
