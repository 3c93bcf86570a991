//! What can go wrong on a sync link, and whether trying again soon could help.

use super::pki::PkiError;
use super::wire::UnpackError;
use crate::service::ServiceError;
use crate::update::UpdateError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The parent answered, and said no (its `{code, message}` body).
    #[error("the parent refused ({status}, {code}): {message}")]
    Refused { status: u16, code: String, message: String },
    /// No answer: the parent is down or the network is.
    #[error("while reaching {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A request or reply broke off midway, or a reply was not the JSON it should be.
    #[error("the link broke: {0}")]
    Link(#[from] reqwest::Error),
    /// The parent answered something this node cannot take (another node, a short
    /// acknowledgement, a feed reply without its headers).
    #[error("{0}")]
    Parent(String),
    /// What the operator must fix: a parent address that is not https, a token for another node,
    /// a node that is not the one that made the token.
    #[error("{0}")]
    Setup(String),
    #[error("the parent's batch is malformed: {0}")]
    Batch(#[from] UnpackError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Update(#[from] UpdateError),
    #[error("while opening the sync listener: {0}")]
    Listen(#[from] std::io::Error),
    /// The link's loops ended without an error (they do not, unless the parent closes them).
    #[error("the link ended")]
    Ended,
}

impl SyncError {
    /// Whether trying again soon is pointless: the parent said no (a 4xx: it will say the same),
    /// answered something this node cannot take, or this node's setup or store failed. Such an
    /// error keeps the backoff growing even after a link that made progress; a lost connection,
    /// a 5xx or a link that just ended is retried soon after progress.
    pub fn is_permanent(&self) -> bool {
        match self {
            SyncError::Refused { status, .. } => *status < 500,
            SyncError::Unreachable { .. } | SyncError::Link(_) | SyncError::Ended => false,
            SyncError::Parent(_)
            | SyncError::Setup(_)
            | SyncError::Batch(_)
            | SyncError::Pki(_)
            | SyncError::Service(_)
            | SyncError::Update(_)
            | SyncError::Listen(_) => true,
        }
    }

    /// The error with its causes on one line (`a: b: c`), for the log and the status board: a
    /// TLS failure says why only in a cause (a certificate that is not the pinned one).
    pub fn chain(&self) -> String {
        let mut line = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let text = c.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = c.source();
        }
        line
    }

    /// The parent's refusal, read from its `{code, message}` body.
    pub(super) async fn refused(r: reqwest::Response) -> SyncError {
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        let text = |k: &str| body.get(k).and_then(|m| m.as_str()).unwrap_or("?").to_owned();
        SyncError::Refused { status, code: text("code"), message: text("message") }
    }
}

#[cfg(test)]
mod tests {
    use super::SyncError;

    #[test]
    fn refusals_are_permanent_and_lost_links_are_not() {
        let refused = |status| SyncError::Refused { status, code: "sync_gap".into(), message: "m".into() };
        for (e, permanent) in [
            (refused(409), true),
            (refused(403), true),
            (refused(503), false),
            (SyncError::Ended, false),
            (SyncError::Parent("the parent acknowledged less".into()), true),
            (SyncError::Setup("not https".into()), true),
        ] {
            assert_eq!(e.is_permanent(), permanent, "{e}");
        }
    }
}
