//! Accounts, sessions and the access log (logins, reads of personal data, admin actions), the
//! latter hash-chained like the event log.

use super::codec::{decode, encode};
use super::{Durable, Store, StoreError};
use crate::model::event::hash_bytes;
use crate::model::{Millis, Role, UnitCode};
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub username: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
    /// argon2id PHC string
    pub password_hash: String,
    pub disabled: bool,
    pub created: Millis,
    /// created or reset by tik_admin over the web for a role that reads case contents: no login
    /// until a ka_siaga or leader of this node confirms it (absent in older records: false)
    #[serde(default)]
    pub pending: bool,
    /// who the officer is, shown where they act and on an STPL they received (absent in older
    /// records: empty): full name, pangkat (rank, e.g. `AIPDA`) and NRP (personnel number)
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub pangkat: String,
    #[serde(default)]
    pub nrp: String,
    /// a leader marked as the Kapolda's delegate: may ratify SOP versions (absent: false)
    #[serde(default)]
    pub ratifier: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("unit", &self.unit)
            .field("password_hash", &"<redacted>")
            .field("disabled", &self.disabled)
            .field("pending", &self.pending)
            .field("full_name", &self.full_name)
            .field("pangkat", &self.pangkat)
            .field("nrp", &self.nrp)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub username: String,
    pub csrf: String,
    pub created: Millis,
    pub expires: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub at: Millis,
    /// username, `citizen`, or `cli`
    pub actor: String,
    /// e.g. `login`, `login_failed`, `read_case`, `user_add`
    pub action: String,
    pub target: String,
    pub from: String,
    pub prev_hash: String,
}

impl Store {
    pub fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        self.t.users.get(name.as_bytes())?.map(|v| decode("user", &v)).transpose()
    }

    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.t.users.iter().map(|kv| decode("user", &kv?.1)).collect()
    }

    pub fn put_user(&self, u: &UserRecord) -> Result<Durable, StoreError> {
        self.t.users.insert(u.username.as_bytes(), encode(u))?;
        // disabled, new password, new role or unit: the sessions of this user may have ended
        self.sessions_may_have_ended();
        Ok(self.commit.written_direct())
    }

    /// A receiver that changes whenever a session may have ended: one deleted (logout), purged
    /// (expired), or an account record written (disabled, password, role). Live streams wait on
    /// it and re-check their own session; renewals and logins do not wake them.
    pub fn sessions_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.sessions_changed.subscribe()
    }

    fn sessions_may_have_ended(&self) {
        self.sessions_changed.send_modify(|g| *g += 1);
    }

    pub fn session(&self, token_hash: &[u8]) -> Result<Option<SessionRecord>, StoreError> {
        self.t.sessions.get(token_hash)?.map(|v| decode("session", &v)).transpose()
    }

    pub fn put_session(&self, token_hash: &[u8], s: &SessionRecord) -> Result<Durable, StoreError> {
        self.t.sessions.insert(token_hash, encode(s))?;
        Ok(self.commit.written_direct())
    }

    /// Moves a session's end (sliding renewal), unless it was deleted or changed meanwhile (a
    /// logout racing a renewal must not bring the session back). Returns whether it was renewed.
    pub fn renew_session(&self, token_hash: &[u8], old: &SessionRecord, expires: Millis) -> Result<bool, StoreError> {
        let Some(raw) = self.t.sessions.get(token_hash)? else {
            return Ok(false);
        };
        if decode::<SessionRecord>("session", &raw)? != *old {
            return Ok(false);
        }
        let new = SessionRecord { expires, ..old.clone() };
        let swapped = self.t.sessions.compare_and_swap(token_hash, Some(raw), Some(encode(&new)))?;
        let _ = self.commit.written_direct();
        Ok(swapped.is_ok())
    }

    pub fn delete_session(&self, token_hash: &[u8]) -> Result<Durable, StoreError> {
        self.t.sessions.remove(token_hash)?;
        self.sessions_may_have_ended();
        Ok(self.commit.written_direct())
    }

    /// Removes every session of `username` (password change, account disabled).
    pub fn delete_sessions_of(&self, username: &str) -> Result<Durable, StoreError> {
        for kv in self.t.sessions.iter() {
            let (k, v) = kv?;
            let s: SessionRecord = decode("session", &v)?;
            if s.username == username {
                self.t.sessions.remove(k)?;
            }
        }
        self.sessions_may_have_ended();
        Ok(self.commit.written_direct())
    }

    /// Removes expired sessions; returns how many.
    pub fn purge_sessions(&self, now: Millis) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.t.sessions.iter() {
            let (k, v) = kv?;
            let s: SessionRecord = decode("session", &v)?;
            if s.expires <= now {
                self.t.sessions.remove(k)?;
                n += 1;
            }
        }
        if n > 0 {
            self.sessions_may_have_ended();
        }
        Ok(n)
    }

    /// Appends to the access log. Not waited on: it becomes durable with the next flush.
    pub fn log_access(
        &self,
        at: Millis,
        actor: &str,
        action: &str,
        target: &str,
        from: &str,
    ) -> Result<(), StoreError> {
        let mut head = self.access_head.lock().unwrap_or_else(|e| e.into_inner());
        let entry = AccessEntry {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            from: from.to_owned(),
            prev_hash: hex::encode(head.1),
        };
        let bytes = encode(&entry);
        let seq = head.0 + 1;
        self.t.access.insert(seq.to_be_bytes(), bytes.as_slice())?;
        *head = (seq, hash_bytes(&bytes));
        let _ = self.commit.written_direct();
        Ok(())
    }

    /// The newest `limit` access-log entries, newest first, and whether the whole chain holds.
    pub fn access_log(&self, limit: usize) -> Result<(Vec<AccessEntry>, bool), StoreError> {
        let mut prev = [0u8; 32];
        let mut ok = true;
        let mut all = Vec::new();
        for kv in self.t.access.iter() {
            let (_, v) = kv?;
            let e: AccessEntry = decode("access", &v)?;
            if e.prev_hash != hex::encode(prev) {
                ok = false;
            }
            prev = hash_bytes(&v);
            all.push(e);
        }
        all.reverse();
        all.truncate(limit);
        Ok((all, ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeCode;

    fn session(expires: u64) -> SessionRecord {
        SessionRecord { username: "op".into(), csrf: "c".into(), created: Millis(0), expires: Millis(expires) }
    }

    /// A renewal moves the end without waking the live streams; it never brings back a session
    /// that a logout removed meanwhile; every end of a session wakes them.
    #[tokio::test]
    async fn renewals_do_not_revive_ended_sessions_and_every_end_wakes_the_streams() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &NodeCode::parse("PLG").unwrap(), 4 << 20).unwrap();
        let mut woken = store.sessions_changed();
        let (a, b) = (b"token-a".as_slice(), b"token-b".as_slice());
        let _ = store.put_session(a, &session(1_000)).unwrap();
        let _ = store.put_session(b, &session(1_000)).unwrap();
        assert!(store.renew_session(a, &session(1_000), Millis(5_000)).unwrap());
        assert_eq!(store.session(a).unwrap().unwrap().expires, Millis(5_000));
        assert!(!woken.has_changed().unwrap(), "a login or a renewal wakes no stream");

        // a renewal based on what was read before another renewal, or before a logout, is dropped
        assert!(!store.renew_session(a, &session(1_000), Millis(9_000)).unwrap());
        let _ = store.delete_session(a).unwrap();
        assert!(woken.has_changed().unwrap(), "a logout wakes the streams");
        woken.mark_unchanged();
        assert!(!store.renew_session(a, &session(5_000), Millis(9_000)).unwrap());
        assert_eq!(store.session(a).unwrap(), None, "a logged-out session stays gone");

        let _ = store.delete_sessions_of("op").unwrap();
        assert!(woken.has_changed().unwrap(), "a disable or password change wakes the streams");
        woken.mark_unchanged();
        assert_eq!(store.purge_sessions(Millis(10_000)).unwrap(), 0);
        assert!(!woken.has_changed().unwrap(), "a purge that removes nothing wakes nobody");
        let _ = store.put_session(b, &session(1_000)).unwrap();
        assert_eq!(store.purge_sessions(Millis(10_000)).unwrap(), 1);
        assert!(woken.has_changed().unwrap(), "an expired session purged wakes the streams");
    }

    /// A record written before accounts had full name, pangkat and NRP still loads (empty).
    #[test]
    fn user_records_without_identity_still_load() {
        let u = UserRecord {
            username: "op".into(),
            role: Role::Operator,
            unit: None,
            password_hash: "$argon2id$x".into(),
            disabled: false,
            created: Millis(1),
            pending: false,
            full_name: "Budi Santoso".into(),
            pangkat: "AIPDA".into(),
            nrp: "78040123".into(),
            ratifier: false,
        };
        let mut old: serde_json::Value = serde_json::from_slice(&encode(&u)[1..]).unwrap();
        for k in ["full_name", "pangkat", "nrp", "pending"] {
            old.as_object_mut().unwrap().remove(k);
        }
        let mut bytes = vec![encode(&0u8)[0]];
        bytes.extend(serde_json::to_vec(&old).unwrap());
        let back: UserRecord = decode("user", &bytes).unwrap();
        assert_eq!(decode::<UserRecord>("user", &encode(&u)).unwrap().nrp, "78040123");
        assert_eq!(back, UserRecord { full_name: String::new(), pangkat: String::new(), nrp: String::new(), ..u });
    }
}
