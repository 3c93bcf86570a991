//! Taking a report: from the public form, a call-taker, or (later) WhatsApp.

use super::whatsapp::StoredMedia;
use super::{sha256_hex, App, ServiceError};
use crate::model::event::{Channel, ReportedCase};
use crate::model::photo;
use crate::model::report::{check, RawReport};
use crate::model::{Actor, Case, EventKind, State, Ticket};
use crate::store::Kv;
use base64::Engine;
use rand::Rng;

/// What the reporter gets back: the ticket to quote and the token that unlocks tracking.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub ticket: Ticket,
    pub token: String,
    pub status: State,
}

/// Unambiguous characters for tokens read aloud or typed on a phone (no 0/O, 1/I/L, U).
const TOKEN_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const TOKEN_LEN: usize = 8;

pub fn new_token() -> String {
    let mut rng = rand::thread_rng();
    (0..TOKEN_LEN).map(|_| TOKEN_ALPHABET[rng.gen_range(0..TOKEN_ALPHABET.len())] as char).collect()
}

/// Checks and records a new report; returns once it is on disk.
pub async fn submit(app: &App, raw: RawReport, channel: Channel, actor: Actor) -> Result<Receipt, ServiceError> {
    submit_with(app, raw, channel, actor, Vec::new(), |_, _, _| Ok(())).await
}

/// Like `submit`, with photos sent with the report (the web form): all are checked (number,
/// size, type by content) before anything is kept, then each is kept under its SHA-256 in
/// `Kv::WaMedia`, where WhatsApp photos are, in the same write as the report. A refused photo
/// refuses the whole request, so the reporter sends the text again without it: nothing half-filed.
pub async fn submit_with_photos(
    app: &App,
    raw: RawReport,
    channel: Channel,
    actor: Actor,
    photos: Vec<Vec<u8>>,
) -> Result<Receipt, ServiceError> {
    let types = photo::check(&photos.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
    let kept: Vec<(String, StoredMedia)> = photos
        .iter()
        .zip(types)
        .map(|(bytes, ty)| {
            let sha = hex::encode(crate::model::event::hash_bytes(bytes));
            (
                sha,
                StoredMedia {
                    mime_type: ty.mime().to_owned(),
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                },
            )
        })
        .collect();
    let refs = kept.iter().map(|(sha, _)| photo::attachment_ref(sha)).collect();
    submit_with(app, raw, channel, actor, refs, |tx, _, _| {
        for (sha, blob) in &kept {
            tx.kv_put(Kv::WaMedia, sha.as_bytes(), Some(blob));
        }
        Ok(())
    })
    .await
}

/// Like `submit`, with photos, and with `also` staging more writes (a channel's conversation
/// state, its reply) in the same transaction as the report: both land, or neither.
#[tracing::instrument(skip_all, err(level = "debug"), fields(channel = channel.as_str()))]
pub async fn submit_with(
    app: &App,
    raw: RawReport,
    channel: Channel,
    actor: Actor,
    attachments: Vec<String>,
    also: impl FnOnce(&mut crate::store::Txn, &Ticket, &str) -> Result<(), ServiceError>,
) -> Result<Receipt, ServiceError> {
    settled(app, file(app, raw, channel, actor, attachments, also, None)?).await
}

/// Latihan: a drill's inject through the same intake, with the drill id on its events, a `LAT-`
/// ticket of its own counter, no rate limit and a prank score from drill cases only.
pub async fn submit_drill(
    app: &App,
    raw: RawReport,
    channel: Channel,
    drill: &str,
    also: impl FnOnce(&mut crate::store::Txn, &Ticket, &str) -> Result<(), ServiceError>,
) -> Result<Receipt, ServiceError> {
    settled(app, file(app, raw, channel, Actor::Citizen, Vec::new(), also, Some(drill))?).await
}

/// Waits until a filed report is on disk, then tells the live views. Intake's work is
/// synchronous up to this wait (`file`), so the future held across it holds only the receipt.
async fn settled(app: &App, (receipt, durable): (Receipt, crate::store::Durable)) -> Result<Receipt, ServiceError> {
    app.store.durable(durable).await?;
    app.changed(&receipt.ticket);
    Ok(receipt)
}

/// Checks and stages a new report; durable once `Durable` is.
fn file(
    app: &App,
    raw: RawReport,
    channel: Channel,
    actor: Actor,
    attachments: Vec<String>,
    also: impl FnOnce(&mut crate::store::Txn, &Ticket, &str) -> Result<(), ServiceError>,
    drill: Option<&str>,
) -> Result<(Receipt, crate::store::Durable), ServiceError> {
    let report = check(raw, channel, &app.sop(), &app.units)?;
    let now = super::now();
    if drill.is_none() && matches!(channel, Channel::Web | Channel::Whatsapp | Channel::Open311) {
        if let Some(l) = &app.limit_per_phone {
            l.take(report.reporter.phone.as_str(), now)
                .map_err(|s| ServiceError::RateLimited { what: "phone number", retry_after_s: s })?;
        }
    }
    let (assessment, trigrams) = super::prank::assess_in(app, &report, now, drill.is_some())?;
    let token = new_token();
    let suggested_unit = app.units.unit_for_regency(&report.location.regency).map(|u| u.code.clone());
    let reported = ReportedCase {
        category: report.category,
        priority: report.priority,
        description: report.description,
        reporter: report.reporter,
        location: report.location,
        channel: report.channel,
        token_hash: sha256_hex(&token),
        suggested_unit,
        assessment,
        attachments,
    };
    let sop = app.sop();
    let (ticket, durable) = app.store.write(now, |tx| -> Result<Ticket, ServiceError> {
        let day = tx.now().yymmdd(sop.offset);
        let kind = EventKind::Reported(Box::new(reported));
        let (ticket, ev) = match drill {
            None => {
                let n = tx.next_counter(&format!("ticket:{day}"))?;
                let ticket = Ticket::new(&app.node, &day, n);
                let ev = tx.append(&ticket, actor, &sop.version, kind);
                (ticket, ev)
            }
            Some(d) => {
                let n = tx.next_counter(&format!("drill-ticket:{day}"))?;
                let ticket = Ticket::drill(&app.node, &day, n);
                let ev = tx.append_drill_report(&ticket, actor, &sop.version, kind, d);
                (ticket, ev)
            }
        };
        let case = Case::open(ev).expect("a reported event opens a case");
        tx.put_case(case)?;
        also(tx, &ticket, &token)?;
        Ok(ticket)
    })?;
    app.store.remember_trigrams(&ticket, trigrams);
    Ok((Receipt { ticket, token, status: State::New }, durable))
}
