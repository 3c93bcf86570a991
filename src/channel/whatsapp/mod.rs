//! WhatsApp Banpol (DESIGN §6): the webhook receiver, the conversation, and the durable outbox.
//!
//! A delivery is checked (HMAC-SHA256 of the raw body, constant time), stored raw in the inbox
//! and flushed before Meta gets its 200; a worker then walks every entry, change and message,
//! deduplicates by message id (Meta retries), runs the conversation and files the report in the
//! same transaction as the conversation state and the reply. Replies and the SOP's reporter
//! notices go through the outbox: sent when the Graph API answers, retried with backoff while
//! it does not, free text inside the 24-hour customer-service window, the configured template
//! after it.
//!
//! This module speaks Meta's wire format and the Graph API and drives the conversation
//! (`flow`, pure); everything it keeps — inbox, conversations, outbox, photos, notices — goes
//! through `service::whatsapp`, never the store.

pub mod flow;
pub mod wire;

use crate::config::WhatsAppConfig;
use crate::model::report::RawReport;
use crate::model::{Millis, Ticket};
use crate::service::whatsapp::{self as keep, OutBody, OutMsg, OutState, StoredMedia, Turn};
use crate::service::{now, App, ServiceError};
use flow::{Conversation, Effect, Input};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

// what operations and the API read about the channel
pub use crate::service::whatsapp::{media_sha, outbox_figures, OutboxFigures};

const WINDOW_MS: u64 = 24 * 3_600_000;

pub struct WhatsApp {
    pub cfg: WhatsAppConfig,
    http: reqwest::Client,
    inbox_wake: Notify,
    outbox_wake: Notify,
}

/// `X-Hub-Signature-256: sha256=<hex>` over the raw body with the app secret, compared in
/// constant time.
pub fn signature_ok(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else { return false };
    let Ok(given) = hex::decode(hex_sig) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

impl WhatsApp {
    pub fn new(cfg: WhatsAppConfig) -> Arc<WhatsApp> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client with the bundled roots");
        Arc::new(WhatsApp { cfg, http, inbox_wake: Notify::new(), outbox_wake: Notify::new() })
    }

    /// The verification handshake: the challenge when mode and token match.
    pub fn handshake(&self, mode: Option<&str>, token: Option<&str>, challenge: Option<&str>) -> Option<String> {
        use subtle::ConstantTimeEq;
        let token_ok: bool = token.unwrap_or("").as_bytes().ct_eq(self.cfg.verify_token.expose().as_bytes()).into();
        (mode == Some("subscribe") && token_ok).then(|| challenge.unwrap_or("").to_owned())
    }

    /// Stores a signed delivery durably; returns once it is on disk. The worker takes it from there.
    pub async fn accept(&self, app: &App, body: &[u8]) -> Result<(), ServiceError> {
        let body = String::from_utf8(body.to_vec()).map_err(|_| ServiceError::NotUtf8)?;
        keep::accept(app, body).await?;
        self.inbox_wake.notify_one();
        Ok(())
    }

    fn base(&self) -> String {
        format!("{}/{}", self.cfg.graph_url, self.cfg.api_version)
    }
}

/// Runs the inbox, notice and outbox workers until shutdown.
pub async fn run(app: Arc<App>, wa: Arc<WhatsApp>, shutdown: watch::Receiver<bool>) {
    let inbox = tokio::spawn(inbox_worker(app.clone(), wa.clone(), shutdown.clone()));
    let notices = tokio::spawn(notice_worker(app.clone(), wa.clone(), shutdown.clone()));
    outbox_worker(app, wa, shutdown).await;
    let _ = inbox.await;
    let _ = notices.await;
}

async fn wait(n: &Notify, shutdown: &mut watch::Receiver<bool>, max: Duration) -> bool {
    tokio::select! {
        _ = n.notified() => true,
        _ = tokio::time::sleep(max) => true,
        _ = shutdown.changed() => false,
    }
}

// ----- inbox ------------------------------------------------------------------------------------

async fn inbox_worker(app: Arc<App>, wa: Arc<WhatsApp>, mut shutdown: watch::Receiver<bool>) {
    loop {
        loop {
            let batch = match keep::inbox_head(&app, 64) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "reading the WhatsApp inbox failed");
                    break;
                }
            };
            if batch.is_empty() {
                break;
            }
            // Effects and the removal of each entry are staged in order and commit in order, so
            // one wait for the last of them makes the whole batch durable.
            let mut last = None;
            for (key, entry) in batch {
                if let Err(e) = process_delivery(&app, &wa, &entry).await {
                    // a store failure: leave the entry and retry later; nothing is lost
                    tracing::error!(error = %e, "processing a WhatsApp delivery failed; will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
                match keep::inbox_done(&app, &key) {
                    Ok(d) => last = Some(d),
                    Err(e) => tracing::error!(error = %e, "clearing a processed delivery failed"),
                }
            }
            if let Some(d) = last {
                let _ = keep::settle(&app, d).await;
            }
            wa.outbox_wake.notify_one();
        }
        if !wait(&wa.inbox_wake, &mut shutdown, Duration::from_secs(2)).await {
            return;
        }
    }
}

async fn process_delivery(app: &App, wa: &WhatsApp, entry: &keep::InboxEntry) -> Result<(), ServiceError> {
    let delivery: wire::Delivery = match serde_json::from_str(&entry.body) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "a signed WhatsApp delivery is not in the expected format; kept in the log, skipped");
            return Ok(());
        }
    };
    for en in &delivery.entry {
        for change in &en.changes {
            let v = &change.value;
            if v.metadata.phone_number_id != wa.cfg.phone_number_id {
                tracing::warn!(field = %change.field, "a delivery for another phone number id; ignored");
                continue;
            }
            for m in &v.messages {
                let name =
                    v.contacts.iter().find(|c| c.wa_id == m.from).map(|c| c.profile.name.clone()).unwrap_or_default();
                handle_message(app, m, &name, entry.received).await?;
            }
            for s in &v.statuses {
                update_status(app, s)?;
            }
        }
    }
    Ok(())
}

fn input_of(m: &wire::Message) -> Input {
    match (m.kind.as_str(), &m.text, &m.location, &m.image) {
        ("text", Some(t), _, _) => Input::Text(t.body.clone()),
        ("location", _, Some(l), _) => {
            Input::Location { lat: l.latitude, lon: l.longitude, address: l.address.clone().or_else(|| l.name.clone()) }
        }
        ("image", _, _, Some(i)) => Input::Image { media_id: i.id.clone(), caption: i.caption.clone() },
        (other, _, _, _) => Input::Unsupported(if other.is_empty() { "ini".into() } else { other.to_owned() }),
    }
}

async fn handle_message(app: &App, m: &wire::Message, name: &str, received: Millis) -> Result<(), ServiceError> {
    let wa_id: String = m.from.chars().filter(|c| c.is_ascii_digit()).collect();
    let Some(mut conv) = keep::open_turn::<Conversation>(app, &wa_id, &m.id)? else {
        return Ok(()); // Meta retried a delivery we already handled
    };
    let at = m.timestamp.parse::<u64>().map(|s| Millis(s * 1000)).unwrap_or(received);
    if !name.is_empty() {
        conv.profile_name = name.to_owned();
    }
    let (conv, effects) = flow::step(conv, input_of(m), at, &app.units);
    let mut replies = Vec::new();
    let mut draft = None;
    let mut media = Vec::new();
    for e in effects {
        match e {
            Effect::Reply(t) => replies.push(t),
            Effect::Check(t) => replies.push(status_reply(app, &t, &wa_id)?),
            Effect::File(d) => draft = Some(d),
            Effect::FetchMedia(id) => media.push(id),
        }
    }
    let mut turn = Turn { wa_id: &wa_id, msg_id: &m.id, conv: &conv, replies, media: &media };
    if let Some(d) = draft {
        let raw = RawReport {
            category: Some(d.category.as_str().to_owned()),
            description: Some(d.story),
            reporter_name: Some(if conv.profile_name.trim().is_empty() {
                "Pelapor WhatsApp".into()
            } else {
                conv.profile_name.clone()
            }),
            reporter_phone: Some(format!("+{wa_id}")),
            regency: Some(d.regency),
            district: d.district,
            village: None,
            address: Some(d.address),
            lat: d.lat,
            lon: d.lon,
            priority: None,
        };
        match keep::file_turn(app, &turn, raw, d.attachments, receipt_text).await {
            Ok(()) => return Ok(()),
            Err(ServiceError::Field(f)) => {
                turn.replies.push(format!("Maaf, laporan belum dapat dikirim: {}. Silakan mulai lagi.", f.message));
            }
            Err(ServiceError::RateLimited { retry_after_s, .. }) => {
                turn.replies.push(format!(
                    "Terlalu banyak laporan dari nomor ini dalam waktu singkat. Coba lagi dalam {} menit. Jika darurat, hubungi 110.",
                    retry_after_s.div_ceil(60)
                ));
            }
            Err(e) => return Err(e),
        }
    }
    // durable with the batch (see `inbox_worker`)
    keep::record_turn(app, &turn)
}

fn receipt_text(ticket: &Ticket, token: &str) -> String {
    format!(
        "Terima kasih, laporan Anda sudah kami terima.\nNomor tiket: {ticket}\nKode lacak: {token}\n\n\
         Ketik CEK {ticket} untuk melihat statusnya. Kami akan mengabari Anda di sini."
    )
}

fn status_reply(app: &App, ticket: &str, wa_id: &str) -> Result<String, ServiceError> {
    let not_found = || format!("Tiket {ticket} tidak ditemukan untuk nomor ini. Periksa kembali nomor tiketnya.");
    let Ok(t) = Ticket::parse(ticket) else { return Ok(not_found()) };
    match keep::reporters_case(app, &t, wa_id)? {
        Some(c) => Ok(format!(
            "Status laporan {}: {}.{}",
            c.ticket,
            c.state.label_id(),
            c.public_notes.last().map(|n| format!("\nKeterangan: {}", n.text)).unwrap_or_default()
        )),
        None => Ok(not_found()),
    }
}

fn update_status(app: &App, s: &wire::Status) -> Result<(), ServiceError> {
    let state = match s.status.as_str() {
        "delivered" => OutState::Delivered,
        "read" => OutState::Read,
        "failed" => OutState::Failed,
        _ => return Ok(()),
    };
    keep::update_status(app, &s.id, state)
}

// ----- notices ------------------------------------------------------------------------------------

/// The SOP's `notify_reporter_on`: when a WhatsApp case reaches one of those states, the reporter
/// hears of it once.
async fn notice_worker(app: Arc<App>, wa: Arc<WhatsApp>, mut shutdown: watch::Receiver<bool>) {
    let mut rx = app.changes.subscribe();
    loop {
        let ticket = tokio::select! {
            r = rx.recv() => match r {
                Ok(t) => t,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "notice worker lagged; some notices may wait for the next change");
                    continue;
                }
                Err(_) => return,
            },
            _ = shutdown.changed() => return,
        };
        if let Err(e) = keep::queue_notice(&app, &ticket).await {
            tracing::error!(case = %ticket, error = %e, "queueing a reporter notice failed");
        }
        wa.outbox_wake.notify_one();
    }
}

// ----- outbox -------------------------------------------------------------------------------------

enum SendError {
    /// try again later (network, 5xx, 429)
    Transient(String),
    /// the Graph API refused for good
    Permanent(String),
    /// outside the 24-hour window: send the template instead
    NeedsTemplate,
}

fn backoff_ms(attempts: u32) -> u64 {
    let base = 1000u64.saturating_mul(1 << attempts.min(8)).min(300_000);
    // jitter: up to a quarter more, so many posts coming back online do not retry in step
    base + (rand::random::<u64>() % (base / 4 + 1))
}

/// Recipients served at once; each recipient's messages still go in order, one after another.
const SEND_CONCURRENCY: usize = 16;

async fn outbox_worker(app: Arc<App>, wa: Arc<WhatsApp>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let t = now();
        // the outbox holds only work to do, oldest first; look at its head
        let due: Vec<(Vec<u8>, OutMsg)> = match keep::outbox_head(&app, 512) {
            Ok(head) => head.into_iter().filter(|(_, m)| m.next_at <= t).collect(),
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox failed");
                Vec::new()
            }
        };
        let mut by_recipient: Vec<Vec<(Vec<u8>, OutMsg)>> = Vec::new();
        for item in due {
            match by_recipient.iter_mut().find(|g| g[0].1.to == item.1.to) {
                Some(g) => g.push(item),
                None => by_recipient.push(vec![item]),
            }
        }
        let worked = !by_recipient.is_empty();
        let mut last = None;
        for wave in by_recipient.chunks(SEND_CONCURRENCY) {
            let done = futures_util::future::join_all(wave.iter().map(|group| deliver(&app, &wa, group))).await;
            for (key, m) in done.into_iter().flatten() {
                match keep::record_send(&app, &key, &m) {
                    Ok(d) => last = Some(d),
                    Err(e) => tracing::error!(error = %e, "recording an outbox result failed"),
                }
            }
        }
        if let Some(d) = last {
            let _ = keep::settle(&app, d).await;
        }
        if worked {
            continue; // more may be due
        }
        if !wait(&wa.outbox_wake, &mut shutdown, Duration::from_millis(500)).await {
            return;
        }
    }
}

/// Sends one recipient's due messages in order; stops at the first that must wait.
async fn deliver(app: &App, wa: &WhatsApp, group: &[(Vec<u8>, OutMsg)]) -> Vec<(Vec<u8>, OutMsg)> {
    let mut out = Vec::new();
    for (key, m) in group {
        let mut m = m.clone();
        let result = match &m.body {
            OutBody::Text { text } => {
                let conv: Conversation = keep::conversation(app, &m.to).unwrap_or_default();
                let window_open = now().0 <= conv.last_inbound.0 + WINDOW_MS;
                m.as_template = m.as_template || !window_open;
                send(wa, &m.to, text, m.as_template).await.map(Some)
            }
            OutBody::FetchMedia { media_id } => fetch_media(app, wa, &m.to, media_id).await.map(|_| None),
        };
        let t = now();
        let stop = match result {
            Ok(wamid) => {
                m.state = if wamid.is_some() { OutState::Sent } else { OutState::Done };
                m.wamid = wamid;
                m.last_error = None;
                false
            }
            Err(SendError::NeedsTemplate) if !m.as_template => {
                m.as_template = true;
                m.next_at = t;
                true
            }
            Err(SendError::NeedsTemplate) => {
                m.state = OutState::Failed;
                m.last_error = Some("the Graph API refused the template too (outside the window)".into());
                false
            }
            Err(SendError::Transient(e)) => {
                m.attempts += 1;
                m.next_at = t.plus(backoff_ms(m.attempts));
                m.last_error = Some(e);
                true
            }
            Err(SendError::Permanent(e)) => {
                tracing::warn!(to = %m.to, error = %e, "the Graph API refused a message");
                m.state = OutState::Failed;
                m.last_error = Some(e);
                false
            }
        };
        out.push((key.clone(), m));
        if stop {
            break; // keep this recipient's order: the rest waits behind it
        }
    }
    out
}

fn classify(status: reqwest::StatusCode, body: &str) -> SendError {
    let code = serde_json::from_str::<wire::ErrorBody>(body).map(|e| (e.error.code, e.error.message)).ok();
    if code.as_ref().is_some_and(|(c, _)| *c == wire::OUTSIDE_WINDOW) {
        return SendError::NeedsTemplate;
    }
    let msg = format!("{status}: {}", code.map(|c| c.1).unwrap_or_else(|| body.chars().take(200).collect()));
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        SendError::Transient(msg)
    } else {
        SendError::Permanent(msg)
    }
}

async fn send(wa: &WhatsApp, to: &str, text: &str, template: bool) -> Result<String, SendError> {
    let body = if template {
        serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": wa.cfg.template,
                "language": {"code": wa.cfg.template_language},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}]
            }
        })
    } else {
        serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": text}
        })
    };
    let url = format!("{}/{}/messages", wa.base(), wa.cfg.phone_number_id);
    let r = wa
        .http
        .post(url)
        .bearer_auth(wa.cfg.access_token.expose())
        .json(&body)
        .send()
        .await
        .map_err(|e| SendError::Transient(format!("the Graph API is unreachable: {}", e.without_url())))?;
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(classify(status, &text));
    }
    let parsed: wire::SendResponse =
        serde_json::from_str(&text).map_err(|e| SendError::Transient(format!("unexpected Graph API answer: {e}")))?;
    parsed
        .messages
        .into_iter()
        .next()
        .map(|m| m.id)
        .ok_or_else(|| SendError::Transient("no message id in the answer".into()))
}

/// The largest photo kept: WhatsApp's own limit for images (5 MB).
pub const MEDIA_MAX: u64 = 5 << 20;

/// Photo types kept, with the first bytes each must start with.
const MEDIA_TYPES: &[(&str, &[u8])] =
    &[("image/jpeg", b"\xff\xd8\xff"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("image/webp", b"RIFF")];

/// Why a photo is not kept; the reporter is told in these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRefusal {
    TooLarge,
    WrongType,
}

impl MediaRefusal {
    fn reply(self) -> String {
        let why = match self {
            MediaRefusal::TooLarge => format!("ukurannya lebih dari {} MB", MEDIA_MAX >> 20),
            MediaRefusal::WrongType => "jenis berkasnya tidak didukung; kirim foto JPEG atau PNG".to_owned(),
        };
        format!(
            "Maaf, foto yang Anda kirim tidak dapat kami terima ({why}). Laporan Anda tetap kami proses; \
             jika perlu, kirim foto lain yang lebih kecil. Jika darurat, hubungi 110."
        )
    }
}

/// The type of a photo, if it is one we keep: the declared type (parameters dropped), and the
/// bytes, when known, starting as that type does.
pub fn media_type_ok(declared: &str, head: Option<&[u8]>) -> bool {
    let declared = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    MEDIA_TYPES.iter().any(|(t, magic)| *t == declared && head.is_none_or(|h| h.starts_with(magic)))
}

/// Fetches a photo (media URL, then the file, both with the bearer token) and keeps it
/// content-addressed under its SHA-256. A photo over [`MEDIA_MAX`] or of another type is refused
/// before the download when the Graph API says so, else as soon as the download shows it (the
/// connection is dropped there, nothing more is read); the reporter gets a reply saying why.
async fn fetch_media(app: &App, wa: &WhatsApp, to: &str, media_id: &str) -> Result<(), SendError> {
    let unreachable =
        |e: reqwest::Error| SendError::Transient(format!("the Graph API is unreachable: {}", e.without_url()));
    let r = wa
        .http
        .get(format!("{}/{media_id}", wa.base()))
        .bearer_auth(wa.cfg.access_token.expose())
        .send()
        .await
        .map_err(unreachable)?;
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(classify(status, &body));
    }
    let info: wire::MediaInfo =
        serde_json::from_str(&body).map_err(|e| SendError::Permanent(format!("bad media answer: {e}")))?;
    if !media_type_ok(&info.mime_type, None) {
        return refuse_media(app, to, media_id, MediaRefusal::WrongType).await;
    }
    if info.size().is_some_and(|n| n > MEDIA_MAX) {
        return refuse_media(app, to, media_id, MediaRefusal::TooLarge).await;
    }
    let mut r = wa.http.get(&info.url).bearer_auth(wa.cfg.access_token.expose()).send().await.map_err(unreachable)?;
    if !r.status().is_success() {
        return Err(classify(r.status(), ""));
    }
    if r.content_length().is_some_and(|n| n > MEDIA_MAX) {
        return refuse_media(app, to, media_id, MediaRefusal::TooLarge).await;
    }
    let mut bytes = Vec::with_capacity(info.size().unwrap_or(0).min(MEDIA_MAX) as usize);
    while let Some(chunk) = r.chunk().await.map_err(unreachable)? {
        if bytes.len() as u64 + chunk.len() as u64 > MEDIA_MAX {
            drop(r); // closes the connection: the rest is never read
            return refuse_media(app, to, media_id, MediaRefusal::TooLarge).await;
        }
        bytes.extend_from_slice(&chunk);
    }
    if !media_type_ok(&info.mime_type, Some(&bytes)) {
        return refuse_media(app, to, media_id, MediaRefusal::WrongType).await;
    }
    let sha = hex::encode(crate::model::event::hash_bytes(&bytes));
    use base64::Engine;
    let blob =
        StoredMedia { mime_type: info.mime_type, data: base64::engine::general_purpose::STANDARD.encode(&bytes) };
    keep::keep_media(app, media_id, &sha, &blob).await.map_err(|e| SendError::Transient(e.to_string()))
}

/// Records a refused photo (nothing of it is kept) and queues the reply to the reporter.
async fn refuse_media(app: &App, to: &str, media_id: &str, why: MediaRefusal) -> Result<(), SendError> {
    tracing::warn!(media = media_id, reason = ?why, "a WhatsApp photo was refused");
    keep::refuse_media(app, to, media_id, &format!("{why:?}"), why.reply())
        .await
        .map_err(|e| SendError::Transient(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_ok("s3cret", body, Some(&good)));
        assert!(!signature_ok("other", body, Some(&good)));
        assert!(!signature_ok("s3cret", b"{}", Some(&good)), "any change to the body breaks it");
        assert!(!signature_ok("s3cret", body, None));
        assert!(!signature_ok("s3cret", body, Some("sha1=abc")));
        assert!(!signature_ok("s3cret", body, Some("sha256=zz")));
    }

    #[test]
    fn photo_types() {
        assert!(media_type_ok("image/jpeg", None));
        assert!(media_type_ok("image/JPEG; charset=binary", Some(b"\xff\xd8\xff\xe0rest")));
        assert!(media_type_ok("image/png", Some(b"\x89PNG\r\n\x1a\n....")));
        assert!(!media_type_ok("image/png", Some(b"\xff\xd8\xff\xe0 a jpeg said to be a png")));
        assert!(!media_type_ok("application/pdf", None));
        assert!(!media_type_ok("image/svg+xml", Some(b"<svg")));
        assert!(!media_type_ok("", None));
        assert!(MediaRefusal::TooLarge.reply().contains("5 MB"));
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!((1000..=1250).contains(&backoff_ms(0)));
        assert!((8000..=10000).contains(&backoff_ms(3)));
        assert!(backoff_ms(30) <= 375_000);
    }
}
