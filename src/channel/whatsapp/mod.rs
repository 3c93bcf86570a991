//! WhatsApp Banpol (DESIGN §6): the webhook receiver, the conversation, and the durable outbox.
//!
//! A delivery is checked (HMAC-SHA256 of the raw body, constant time), stored raw in the inbox
//! and flushed before Meta gets its 200; a worker then walks every entry, change and message,
//! deduplicates by message id (Meta retries), runs the conversation and files the report in the
//! same transaction as the conversation state and the reply. Replies and the SOP's reporter
//! notices go through the outbox: sent when the Graph API answers, retried with backoff while
//! it does not, free text inside the 24-hour customer-service window, the configured template
//! after it.

pub mod flow;
pub mod wire;

use crate::config::WhatsAppConfig;
use crate::model::event::Channel;
use crate::model::report::RawReport;
use crate::model::{Actor, Millis, Ticket};
use crate::service::{intake, now, App, ServiceError};
use crate::store::{Kv, StoreError, Txn};
use flow::{Conversation, Effect, Input};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxEntry {
    pub received: Millis,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seen {
    pub at: Millis,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutBody {
    Text { text: String },
    FetchMedia { media_id: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutState {
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutMsg {
    /// the recipient's wa_id (E.164 digits without +)
    pub to: String,
    pub body: OutBody,
    pub created: Millis,
    pub state: OutState,
    pub attempts: u32,
    pub next_at: Millis,
    pub last_error: Option<String>,
    pub wamid: Option<String>,
    /// sent as the template (outside the 24-hour window)
    #[serde(default)]
    pub as_template: bool,
}

impl OutMsg {
    fn new(to: &str, body: OutBody, now: Millis) -> OutMsg {
        OutMsg {
            to: to.to_owned(),
            body,
            created: now,
            state: OutState::Pending,
            attempts: 0,
            next_at: now,
            last_error: None,
            wamid: None,
            as_template: false,
        }
    }
}

fn stage_out(tx: &mut Txn, msg: &OutMsg) -> Result<(), StoreError> {
    let n = tx.next_counter("wa_outbox")?;
    tx.kv_put(Kv::WaOutbox, &n.to_be_bytes(), Some(msg));
    Ok(())
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
        let at = now();
        let (_, d) = app.store.write(at, |tx| -> Result<(), ServiceError> {
            let n = tx.next_counter("wa_inbox")?;
            tx.kv_put(Kv::WaInbox, &n.to_be_bytes(), Some(&InboxEntry { received: at, body: body.clone() }));
            Ok(())
        })?;
        app.store.durable(d).await?;
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
            let batch = match app.store.kv_scan::<InboxEntry>(Kv::WaInbox, &[], 64) {
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
                match app.store.write(now(), |tx| -> Result<(), ServiceError> {
                    tx.kv_put::<InboxEntry>(Kv::WaInbox, &key, None);
                    Ok(())
                }) {
                    Ok((_, d)) => last = Some(d),
                    Err(e) => tracing::error!(error = %e, "clearing a processed delivery failed"),
                }
            }
            if let Some(d) = last {
                let _ = app.store.durable(d).await;
            }
            wa.outbox_wake.notify_one();
        }
        if !wait(&wa.inbox_wake, &mut shutdown, Duration::from_secs(2)).await {
            return;
        }
    }
}

async fn process_delivery(app: &App, wa: &WhatsApp, entry: &InboxEntry) -> Result<(), ServiceError> {
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
    let seen_key = format!("msg:{}", m.id);
    let wa_id: String = m.from.chars().filter(|c| c.is_ascii_digit()).collect();
    // read through the staged view: an earlier message of this batch may not be committed yet
    let (seen, conv) = app.store.read_staged(|tx| -> Result<_, StoreError> {
        Ok((
            tx.kv_get::<Seen>(Kv::WaSeen, seen_key.as_bytes())?,
            tx.kv_get::<Conversation>(Kv::WaConv, wa_id.as_bytes())?,
        ))
    })?;
    if seen.is_some() {
        return Ok(()); // Meta retried a delivery we already handled
    }
    let at = m.timestamp.parse::<u64>().map(|s| Millis(s * 1000)).unwrap_or(received);
    let mut conv = conv.unwrap_or_default();
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
    let t = now();
    let stage = |tx: &mut Txn, replies: &[String]| -> Result<(), StoreError> {
        tx.kv_put(Kv::WaConv, wa_id.as_bytes(), Some(&conv));
        tx.kv_put(Kv::WaSeen, seen_key.as_bytes(), Some(&Seen { at: t, note: String::new() }));
        for r in replies {
            stage_out(tx, &OutMsg::new(&wa_id, OutBody::Text { text: r.clone() }, t))?;
        }
        for id in &media {
            stage_out(tx, &OutMsg::new(&wa_id, OutBody::FetchMedia { media_id: id.clone() }, t))?;
        }
        Ok(())
    };
    let filed = match draft {
        None => None,
        Some(d) => {
            let raw = RawReport {
                category: Some(d.category),
                description: Some(d.story),
                reporter_name: Some(if conv.profile_name.trim().is_empty() {
                    "Pelapor WhatsApp".into()
                } else {
                    conv.profile_name.clone()
                }),
                reporter_phone: Some(format!("+{wa_id}")),
                regency: Some(d.regency),
                address: Some(d.address),
                lat: d.lat,
                lon: d.lon,
                priority: None,
            };
            let before = replies.clone();
            let r =
                intake::submit_with(app, raw, Channel::Whatsapp, Actor::Citizen, d.attachments, |tx, ticket, token| {
                    let mut all = before.clone();
                    all.push(receipt_text(ticket, token));
                    stage(tx, &all)?;
                    Ok(())
                })
                .await;
            match r {
                Ok(_) => Some(()),
                Err(ServiceError::Field(f)) => {
                    replies.push(format!("Maaf, laporan belum dapat dikirim: {}. Silakan mulai lagi.", f.message));
                    None
                }
                Err(ServiceError::RateLimited { retry_after_s, .. }) => {
                    replies.push(format!(
                        "Terlalu banyak laporan dari nomor ini dalam waktu singkat. Coba lagi dalam {} menit. Jika darurat, hubungi 110.",
                        retry_after_s.div_ceil(60)
                    ));
                    None
                }
                Err(e) => return Err(e),
            }
        }
    };
    if filed.is_none() {
        // durable with the batch (see `inbox_worker`)
        let _ = app.store.write(t, |tx| -> Result<(), ServiceError> { Ok(stage(tx, &replies)?) })?;
    }
    Ok(())
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
    // the reporter's own WhatsApp number is the proof of ownership
    match app.store.read_staged(|tx| tx.case(&t))? {
        Some(c) if c.reporter.phone.as_str() == format!("+{wa_id}") => Ok(format!(
            "Status laporan {}: {}.{}",
            c.ticket,
            c.state.label_id(),
            c.public_notes.last().map(|n| format!("\nKeterangan: {}", n.text)).unwrap_or_default()
        )),
        _ => Ok(not_found()),
    }
}

fn archive_key(outbox_key: &[u8]) -> String {
    format!("sent:{}", hex::encode(outbox_key))
}

fn update_status(app: &App, s: &wire::Status) -> Result<(), ServiceError> {
    let Some(seen) = app.store.kv_get::<Seen>(Kv::WaSeen, format!("wamid:{}", s.id).as_bytes())? else { return Ok(()) };
    let Ok(key) = hex::decode(&seen.note) else { return Ok(()) };
    let state = match s.status.as_str() {
        "delivered" => OutState::Delivered,
        "read" => OutState::Read,
        "failed" => OutState::Failed,
        _ => return Ok(()),
    };
    let archived = archive_key(&key);
    let _ = app.store.write(now(), |tx| -> Result<(), ServiceError> {
        if let Some(mut m) = tx.kv_get::<OutMsg>(Kv::WaSeen, archived.as_bytes())? {
            m.state = state;
            tx.kv_put(Kv::WaSeen, archived.as_bytes(), Some(&m));
        }
        Ok(())
    })?;
    Ok(())
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
        if let Err(e) = notice(&app, &ticket).await {
            tracing::error!(case = %ticket, error = %e, "queueing a reporter notice failed");
        }
        wa.outbox_wake.notify_one();
    }
}

async fn notice(app: &App, ticket: &Ticket) -> Result<(), ServiceError> {
    let Some(c) = app.store.case(ticket)? else { return Ok(()) };
    if c.channel != Channel::Whatsapp
        || !app.sop_for(&c.sop_version).category(c.category).notify_reporter_on.contains(&c.state)
    {
        return Ok(());
    }
    let key = format!("notice:{}:{}", c.ticket, c.state.as_str());
    if app.store.kv_get::<Seen>(Kv::WaSeen, key.as_bytes())?.is_some() {
        return Ok(());
    }
    let mut text = format!("Laporan {}: {}.", c.ticket, c.state.label_id());
    if let Some(r) = &c.resolution {
        text.push_str(&format!("\nHasil: {r}"));
    }
    if let Some(o) = &c.duplicate_of {
        let status = app.store.case(o)?.map(|x| x.state.label_id()).unwrap_or("-");
        text.push_str(&format!("\nLaporan ini sama dengan laporan {o} (status: {status}); kami menanganinya di sana."));
    }
    let to: String = c.reporter.phone.as_str().trim_start_matches('+').to_owned();
    let t = now();
    let (_, d) = app.store.write(t, |tx| -> Result<(), ServiceError> {
        tx.kv_put(Kv::WaSeen, key.as_bytes(), Some(&Seen { at: t, note: String::new() }));
        stage_out(tx, &OutMsg::new(&to, OutBody::Text { text: text.clone() }, t))?;
        Ok(())
    })?;
    app.store.durable(d).await?;
    Ok(())
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
        let due: Vec<(Vec<u8>, OutMsg)> = match app.store.kv_scan::<OutMsg>(Kv::WaOutbox, &[], 512) {
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
                last = record(&app, key, m).or(last);
            }
        }
        if let Some(d) = last {
            let _ = app.store.durable(d).await;
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
                let conv: Conversation =
                    app.store.kv_get(Kv::WaConv, m.to.as_bytes()).ok().flatten().unwrap_or_default();
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

/// Records a send result. Finished entries leave the outbox (which so holds only work to do) for
/// the archive, where delivery statuses still find them by wamid.
fn record(app: &App, key: Vec<u8>, m: OutMsg) -> Option<crate::store::Durable> {
    let t = now();
    let r = app.store.write(t, |tx| -> Result<(), ServiceError> {
        if m.state == OutState::Pending {
            tx.kv_put(Kv::WaOutbox, &key, Some(&m));
        } else {
            tx.kv_put::<OutMsg>(Kv::WaOutbox, &key, None);
            tx.kv_put(Kv::WaSeen, archive_key(&key).as_bytes(), Some(&m));
        }
        if let Some(w) = &m.wamid {
            tx.kv_put(Kv::WaSeen, format!("wamid:{w}").as_bytes(), Some(&Seen { at: t, note: hex::encode(&key) }));
        }
        Ok(())
    });
    match r {
        Ok((_, d)) => Some(d),
        Err(e) => {
            tracing::error!(error = %e, "recording an outbox result failed");
            None
        }
    }
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
    let t = now();
    let (_, d) = app
        .store
        .write(t, |tx| -> Result<(), ServiceError> {
            tx.kv_put(Kv::WaMedia, sha.as_bytes(), Some(&blob));
            tx.kv_put(Kv::WaSeen, format!("media:{media_id}").as_bytes(), Some(&Seen { at: t, note: sha.clone() }));
            Ok(())
        })
        .map_err(|e| SendError::Transient(e.to_string()))?;
    app.store.durable(d).await.map_err(|e| SendError::Transient(e.to_string()))?;
    Ok(())
}

/// Records a refused photo (nothing of it is kept) and queues the reply to the reporter.
async fn refuse_media(app: &App, to: &str, media_id: &str, why: MediaRefusal) -> Result<(), SendError> {
    tracing::warn!(media = media_id, reason = ?why, "a WhatsApp photo was refused");
    let t = now();
    let (_, d) = app
        .store
        .write(t, |tx| -> Result<(), ServiceError> {
            let note = format!("{why:?}");
            tx.kv_put(Kv::WaSeen, format!("media-refused:{media_id}").as_bytes(), Some(&Seen { at: t, note }));
            stage_out(tx, &OutMsg::new(to, OutBody::Text { text: why.reply() }, t))?;
            Ok(())
        })
        .map_err(|e| SendError::Transient(e.to_string()))?;
    app.store.durable(d).await.map_err(|e| SendError::Transient(e.to_string()))?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredMedia {
    pub mime_type: String,
    /// base64
    pub data: String,
}

/// Outbox figures for operations: waiting messages, and sent ones by delivery state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFigures {
    pub pending: usize,
    pub oldest_pending: Option<Millis>,
    pub sent: usize,
    pub delivered: usize,
    pub read: usize,
    pub failed: usize,
}

pub fn outbox_figures(app: &App) -> Result<OutboxFigures, ServiceError> {
    let mut f = OutboxFigures::default();
    for (_, m) in app.store.kv_scan::<OutMsg>(Kv::WaOutbox, &[], usize::MAX)? {
        f.pending += 1;
        f.oldest_pending = Some(f.oldest_pending.map_or(m.created, |o| o.min(m.created)));
    }
    for (k, m) in app.store.kv_scan::<serde_json::Value>(Kv::WaSeen, b"sent:", usize::MAX)? {
        if !k.starts_with(b"sent:") {
            break;
        }
        match m.get("state").and_then(|s| s.as_str()) {
            Some("sent") => f.sent += 1,
            Some("delivered") => f.delivered += 1,
            Some("read") => f.read += 1,
            Some("failed") => f.failed += 1,
            _ => {}
        }
    }
    Ok(f)
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
