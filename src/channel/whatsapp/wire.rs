//! The WhatsApp Business Cloud API wire format: webhook deliveries in, messages and media out.
//! Only the fields the service uses; unknown fields are ignored (Meta adds fields over time).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Deserialize, Default)]
pub struct Value {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub statuses: Vec<Status>,
}

#[derive(Debug, Deserialize, Default)]
pub struct Metadata {
    #[serde(default)]
    pub phone_number_id: String,
}

#[derive(Debug, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub wa_id: String,
    #[serde(default)]
    pub profile: Profile,
}

#[derive(Debug, Deserialize, Default)]
pub struct Profile {
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Message {
    pub from: String,
    pub id: String,
    /// unix seconds, as a string
    #[serde(default)]
    pub timestamp: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    pub text: Option<Text>,
    pub location: Option<Location>,
    pub image: Option<Media>,
}

#[derive(Debug, Deserialize)]
pub struct Text {
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Media {
    pub id: String,
    pub caption: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Status {
    /// the wamid of our outbound message
    pub id: String,
    /// sent | delivered | read | failed
    pub status: String,
}

/// `POST /{version}/{phone_number_id}/messages` answer.
#[derive(Debug, Deserialize)]
pub struct SendResponse {
    #[serde(default)]
    pub messages: Vec<SentId>,
}

#[derive(Debug, Deserialize)]
pub struct SentId {
    pub id: String,
}

/// `GET /{version}/{media_id}` answer.
#[derive(Debug, Deserialize)]
pub struct MediaInfo {
    pub url: String,
    #[serde(default)]
    pub mime_type: String,
    /// bytes; the Graph API documents it as a string, a number is taken too
    #[serde(default)]
    pub file_size: Option<serde_json::Value>,
}

impl MediaInfo {
    pub fn size(&self) -> Option<u64> {
        match self.file_size.as_ref()? {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A Graph API error body: `{"error": {"code": 131047, "message": ...}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: GraphError,
}

#[derive(Debug, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
}

/// Meta's code for "more than 24 hours since the customer last replied": a template is needed.
pub const OUTSIDE_WINDOW: i64 = 131047;
