//! The WhatsApp channel's durable side: the inbox of signed deliveries, each number's
//! conversation, the outbox and its archive, kept photos, and the reporter notices the SOP asks
//! for. `channel::whatsapp` speaks Meta's wire format and the Graph API and runs the conversation
//! (a pure machine); it keeps and reads its state only through these functions.
//!
//! The conversation is the channel's type: it is kept here as any serde value, so this layer
//! needs no knowledge of the flow. Writes that a worker batches return a [`Durable`] to wait for
//! with [`settle`]; the others return once their write is on disk.

use super::{intake, now, App, ServiceError};
use crate::model::event::Channel;
use crate::model::report::RawReport;
use crate::model::{Actor, Case, Millis, Ticket};
use crate::store::{Kv, StoreError, Txn};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::store::Durable;

/// A signed delivery, kept raw until the worker has handled every message in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxEntry {
    pub received: Millis,
    pub body: String,
}

/// A marker that something was handled (a message id, a notice, a photo), with a note.
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
    /// the case whose reporter notice this is (`queue_notice`); absent in other messages and in
    /// those queued before it was kept
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Ticket>,
}

impl OutMsg {
    pub fn new(to: &str, body: OutBody, now: Millis) -> OutMsg {
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
            notice: None,
        }
    }
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

fn stage_out(tx: &mut Txn, msg: &OutMsg) -> Result<(), StoreError> {
    let n = tx.next_counter("wa_outbox")?;
    tx.kv_put(Kv::WaOutbox, &n.to_be_bytes(), Some(msg));
    Ok(())
}

fn archive_key(outbox_key: &[u8]) -> String {
    format!("sent:{}", hex::encode(outbox_key))
}

/// Waits until a batched write is on disk.
pub async fn settle(app: &App, d: Durable) -> Result<(), ServiceError> {
    Ok(app.store.durable(d).await?)
}

// ----- inbox ------------------------------------------------------------------------------------

/// Keeps a signed delivery; returns once it is on disk.
pub async fn accept(app: &App, body: String) -> Result<(), ServiceError> {
    let at = now();
    let (_, d) = app.store.write(at, |tx| -> Result<(), ServiceError> {
        let n = tx.next_counter("wa_inbox")?;
        tx.kv_put(Kv::WaInbox, &n.to_be_bytes(), Some(&InboxEntry { received: at, body: body.clone() }));
        Ok(())
    })?;
    settle(app, d).await
}

/// The oldest `n` deliveries still to handle, with their keys.
pub fn inbox_head(app: &App, n: usize) -> Result<Vec<(Vec<u8>, InboxEntry)>, ServiceError> {
    Ok(app.store.kv_scan::<InboxEntry>(Kv::WaInbox, &[], n)?)
}

/// Removes a handled delivery (durable with the writes staged before it).
pub fn inbox_done(app: &App, key: &[u8]) -> Result<Durable, ServiceError> {
    let (_, d) = app.store.write(now(), |tx| -> Result<(), ServiceError> {
        tx.kv_put::<InboxEntry>(Kv::WaInbox, key, None);
        Ok(())
    })?;
    Ok(d)
}

// ----- conversations ------------------------------------------------------------------------------

/// The conversation of `wa_id` before message `msg_id`, or `None` when that message was already
/// handled (Meta retries deliveries). Reads through the staged view: an earlier message of the
/// same batch may not be committed yet.
pub fn open_turn<C: DeserializeOwned + Default>(
    app: &App,
    wa_id: &str,
    msg_id: &str,
) -> Result<Option<C>, ServiceError> {
    let seen_key = format!("msg:{msg_id}");
    let (seen, conv) = app.store.read_staged(|tx| -> Result<_, StoreError> {
        Ok((tx.kv_get::<Seen>(Kv::WaSeen, seen_key.as_bytes())?, tx.kv_get::<C>(Kv::WaConv, wa_id.as_bytes())?))
    })?;
    Ok(if seen.is_some() { None } else { Some(conv.unwrap_or_default()) })
}

/// The outcome of one message: the conversation after it, the replies, the photos to fetch.
pub struct Turn<'a, C> {
    pub wa_id: &'a str,
    pub msg_id: &'a str,
    pub conv: &'a C,
    pub replies: Vec<String>,
    pub media: &'a [String],
}

impl<C: Serialize> Turn<'_, C> {
    fn stage(&self, tx: &mut Txn, at: Millis, replies: &[String]) -> Result<(), StoreError> {
        tx.kv_put(Kv::WaConv, self.wa_id.as_bytes(), Some(self.conv));
        tx.kv_put(Kv::WaSeen, format!("msg:{}", self.msg_id).as_bytes(), Some(&Seen { at, note: String::new() }));
        for r in replies {
            stage_out(tx, &OutMsg::new(self.wa_id, OutBody::Text { text: r.clone() }, at))?;
        }
        for id in self.media {
            stage_out(tx, &OutMsg::new(self.wa_id, OutBody::FetchMedia { media_id: id.clone() }, at))?;
        }
        Ok(())
    }
}

/// Records a turn that files nothing; durable with the worker's batch (see [`inbox_done`]).
pub fn record_turn<C: Serialize>(app: &App, turn: &Turn<'_, C>) -> Result<(), ServiceError> {
    let t = now();
    // durable with the delivery's removal from the inbox, which commits after it
    let _ = app.store.write(t, |tx| -> Result<(), ServiceError> { Ok(turn.stage(tx, t, &turn.replies)?) })?;
    Ok(())
}

/// Files the report a turn completed, in the same transaction as the turn and its replies (the
/// last of them the receipt `receipt(ticket, tracking token)`); returns once it is on disk.
pub async fn file_turn<C: Serialize>(
    app: &App,
    turn: &Turn<'_, C>,
    raw: RawReport,
    attachments: Vec<String>,
    receipt: impl FnOnce(&Ticket, &str) -> String,
) -> Result<(), ServiceError> {
    intake::submit_with(app, raw, Channel::Whatsapp, Actor::Citizen, attachments, |tx, ticket, token| {
        let mut all = turn.replies.clone();
        all.push(receipt(ticket, token));
        Ok(turn.stage(tx, now(), &all)?)
    })
    .await?;
    Ok(())
}

/// The case `ticket` when `wa_id` reported it (the reporter's own number is the proof of
/// ownership), read through the staged view.
pub fn reporters_case(app: &App, ticket: &Ticket, wa_id: &str) -> Result<Option<Case>, ServiceError> {
    let case = app.store.read_staged(|tx| tx.case(ticket))?;
    Ok(case.filter(|c| c.reporter.phone.as_str() == format!("+{wa_id}")))
}

/// Records a delivery status Meta reports for a message we sent.
pub fn update_status(app: &App, wamid: &str, state: OutState) -> Result<(), ServiceError> {
    let Some(seen) = app.store.kv_get::<Seen>(Kv::WaSeen, format!("wamid:{wamid}").as_bytes())? else {
        return Ok(());
    };
    let Ok(key) = hex::decode(&seen.note) else { return Ok(()) };
    let archived = archive_key(&key);
    // durable with the delivery's removal from the inbox, which commits after it
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

/// The SOP's `notify_reporter_on`: when a WhatsApp case is in one of those states, queues the
/// notice to its reporter, once per state; returns once it is on disk.
pub async fn queue_notice(app: &App, ticket: &Ticket) -> Result<(), ServiceError> {
    let Some(c) = app.store.case(ticket)? else { return Ok(()) };
    // Latihan: drill messages never leave the node (the trainer's simulated chat shows them)
    if ticket.is_drill()
        || c.channel != Channel::Whatsapp
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
        let msg =
            OutMsg { notice: Some(c.ticket.clone()), ..OutMsg::new(&to, OutBody::Text { text: text.clone() }, t) };
        stage_out(tx, &msg)?;
        Ok(())
    })?;
    settle(app, d).await
}

/// Reporter notices (WhatsApp) by outcome, for the recaps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeFigures {
    /// handed to WhatsApp (sent, delivered or read)
    pub sent: u64,
    pub failed: u64,
    /// still in the outbox
    pub pending: u64,
}

/// The notices queued in `[from, to)` to the reporters of the cases `covered` says.
pub fn notice_figures(
    app: &App,
    from: Millis,
    to: Millis,
    covered: impl Fn(&str) -> bool,
) -> Result<NoticeFigures, ServiceError> {
    let mut f = NoticeFigures::default();
    let mut count = |m: &OutMsg| {
        if !m.notice.as_ref().is_some_and(|t| covered(t.as_str())) || m.created < from || m.created >= to {
            return;
        }
        match m.state {
            OutState::Pending => f.pending += 1,
            OutState::Failed => f.failed += 1,
            OutState::Sent | OutState::Delivered | OutState::Read | OutState::Done => f.sent += 1,
        }
    };
    for (_, m) in app.store.kv_scan::<OutMsg>(Kv::WaOutbox, &[], usize::MAX)? {
        count(&m);
    }
    for (k, m) in app.store.kv_scan::<serde_json::Value>(Kv::WaSeen, b"sent:", usize::MAX)? {
        if !k.starts_with(b"sent:") {
            break;
        }
        if let Ok(m) = serde_json::from_value::<OutMsg>(m) {
            count(&m);
        }
    }
    Ok(f)
}

// ----- outbox -------------------------------------------------------------------------------------

/// The head of the outbox (it holds only work to do, oldest first), with keys.
pub fn outbox_head(app: &App, n: usize) -> Result<Vec<(Vec<u8>, OutMsg)>, ServiceError> {
    Ok(app.store.kv_scan::<OutMsg>(Kv::WaOutbox, &[], n)?)
}

/// The committed conversation of `wa_id` (the outbox reads its customer-service window).
pub fn conversation<C: DeserializeOwned + Default>(app: &App, wa_id: &str) -> Result<C, ServiceError> {
    Ok(app.store.kv_get::<C>(Kv::WaConv, wa_id.as_bytes())?.unwrap_or_default())
}

/// Records a send result. Finished entries leave the outbox (which so holds only work to do) for
/// the archive, where delivery statuses still find them by wamid.
pub fn record_send(app: &App, key: &[u8], m: &OutMsg) -> Result<Durable, ServiceError> {
    let t = now();
    let (_, d) = app.store.write(t, |tx| -> Result<(), ServiceError> {
        if m.state == OutState::Pending {
            tx.kv_put(Kv::WaOutbox, key, Some(m));
        } else {
            tx.kv_put::<OutMsg>(Kv::WaOutbox, key, None);
            tx.kv_put(Kv::WaSeen, archive_key(key).as_bytes(), Some(m));
        }
        if let Some(w) = &m.wamid {
            tx.kv_put(Kv::WaSeen, format!("wamid:{w}").as_bytes(), Some(&Seen { at: t, note: hex::encode(key) }));
        }
        Ok(())
    })?;
    Ok(d)
}

/// Keeps a fetched photo under its SHA-256 (hex) and remembers it for `media_id`; returns once it
/// is on disk.
pub async fn keep_media(app: &App, media_id: &str, sha: &str, blob: &StoredMedia) -> Result<(), ServiceError> {
    let t = now();
    let (_, d) = app.store.write(t, |tx| -> Result<(), ServiceError> {
        tx.kv_put(Kv::WaMedia, sha.as_bytes(), Some(blob));
        tx.kv_put(Kv::WaSeen, format!("media:{media_id}").as_bytes(), Some(&Seen { at: t, note: sha.to_owned() }));
        Ok(())
    })?;
    settle(app, d).await
}

/// Records a refused photo (`why`; nothing of the photo is kept) and queues `reply` to `to`;
/// returns once it is on disk.
pub async fn refuse_media(app: &App, to: &str, media_id: &str, why: &str, reply: String) -> Result<(), ServiceError> {
    let t = now();
    let (_, d) = app.store.write(t, |tx| -> Result<(), ServiceError> {
        let seen = Seen { at: t, note: why.to_owned() };
        tx.kv_put(Kv::WaSeen, format!("media-refused:{media_id}").as_bytes(), Some(&seen));
        stage_out(tx, &OutMsg::new(to, OutBody::Text { text: reply.clone() }, t))?;
        Ok(())
    })?;
    settle(app, d).await
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

/// The SHA-256 under which a photo is kept, once fetched.
pub fn media_sha(app: &App, media_id: &str) -> Option<String> {
    app.store.kv_get::<Seen>(Kv::WaSeen, format!("media:{media_id}").as_bytes()).ok().flatten().map(|s| s.note)
}
