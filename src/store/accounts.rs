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
        Ok(self.commit.written())
    }

    pub fn session(&self, token_hash: &[u8]) -> Result<Option<SessionRecord>, StoreError> {
        self.t.sessions.get(token_hash)?.map(|v| decode("session", &v)).transpose()
    }

    pub fn put_session(&self, token_hash: &[u8], s: &SessionRecord) -> Result<Durable, StoreError> {
        self.t.sessions.insert(token_hash, encode(s))?;
        Ok(self.commit.written())
    }

    pub fn delete_session(&self, token_hash: &[u8]) -> Result<Durable, StoreError> {
        self.t.sessions.remove(token_hash)?;
        Ok(self.commit.written())
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
        Ok(self.commit.written())
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
        let _ = self.commit.written();
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
