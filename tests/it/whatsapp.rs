//! WhatsApp Banpol end to end, against a local stand-in for the Graph API that follows its
//! documented request and response format (`POST /{version}/{phone_number_id}/messages`,
//! `GET /{version}/{media_id}`, the media download) and can fail on demand.

use crate::support::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "app-secret-for-tests";
const VERIFY: &str = "verify-token-for-tests";
const TOKEN: &str = "graph-access-token";
const PNID: &str = "109876543210";
const PHOTO: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes all the same";

/// Media ids the stand-in answers specially: a photo whose size it declares as 64 MiB, one it
/// declares small but serves 64 MiB of, and a PDF.
pub const MEDIA_BIG: &str = "MEDIABIG1";
pub const MEDIA_LIAR: &str = "MEDIALIAR1";
pub const MEDIA_PDF: &str = "MEDIAPDF1";
pub const HUGE: usize = 64 << 20;

#[derive(Default)]
struct Graph {
    sent: Vec<Value>,
    down: bool,
    refused_while_down: u32,
    /// bytes of media files handed to the connection, by media id
    served: std::collections::HashMap<String, usize>,
}

/// The Graph API stand-in, on its own thread and port.
pub struct Stand {
    url: String,
    state: Arc<Mutex<Graph>>,
}

impl Stand {
    pub fn start() -> Stand {
        let state = Arc::new(Mutex::new(Graph::default()));
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let (s, u) = (state.clone(), url.clone());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let data = web::Data::new((s, u));
                HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/v21.0/{pnid}/messages", web::post().to(messages))
                        .route("/v21.0/{media}", web::get().to(media_info))
                        .route("/files/{media}", web::get().to(media_file))
                })
                .workers(1)
                .listen(l)
                .unwrap()
                .run()
                .await
                .unwrap()
            })
        });
        Stand { url, state }
    }

    fn sent(&self) -> Vec<Value> {
        self.state.lock().unwrap().sent.clone()
    }

    /// How many bytes of the media file were produced for the connection so far.
    pub fn served(&self, media: &str) -> usize {
        self.state.lock().unwrap().served.get(media).copied().unwrap_or(0)
    }

    pub fn texts_to(&self, wa_id: &str) -> Vec<String> {
        self.sent()
            .iter()
            .filter(|m| m["to"] == wa_id)
            .map(|m| {
                m["text"]["body"]
                    .as_str()
                    .or(m["template"]["components"][0]["parameters"][0]["text"].as_str())
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }

    fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }
}

type Shared = web::Data<(Arc<Mutex<Graph>>, String)>;

fn authorized(req: &HttpRequest) -> bool {
    req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn messages(req: HttpRequest, path: web::Path<String>, body: web::Json<Value>, data: Shared) -> HttpResponse {
    let mut g = data.0.lock().unwrap();
    if g.down {
        g.refused_while_down += 1;
        return HttpResponse::ServiceUnavailable()
            .json(json!({"error": {"code": 2, "message": "Service temporarily unavailable"}}));
    }
    if !authorized(&req) || path.as_str() != PNID {
        return HttpResponse::Unauthorized()
            .json(json!({"error": {"code": 190, "message": "Invalid OAuth access token"}}));
    }
    if body["messaging_product"] != "whatsapp" || !matches!(body["type"].as_str(), Some("text" | "template")) {
        return HttpResponse::BadRequest().json(json!({"error": {"code": 100, "message": "Invalid parameter"}}));
    }
    g.sent.push(body.0.clone());
    let id = format!("wamid.TEST{}", g.sent.len());
    HttpResponse::Ok().json(json!({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}], "messages": [{"id": id}]}))
}

async fn media_info(req: HttpRequest, path: web::Path<String>, data: Shared) -> HttpResponse {
    if !authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let (mime, size) = match path.as_str() {
        MEDIA_BIG => ("image/jpeg", HUGE),
        MEDIA_PDF => ("application/pdf", PHOTO.len()),
        _ => ("image/jpeg", PHOTO.len()),
    };
    HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/files/{}", data.1, path.as_str()),
        "mime_type": mime,
        "sha256": "",
        "file_size": size.to_string(),
        "id": path.as_str()
    }))
}

async fn media_file(req: HttpRequest, path: web::Path<String>, data: Shared) -> HttpResponse {
    if !authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let media = path.into_inner();
    if media != MEDIA_BIG && media != MEDIA_LIAR {
        data.0.lock().unwrap().served.insert(media, PHOTO.len());
        return HttpResponse::Ok().content_type("image/jpeg").body(PHOTO);
    }
    // 64 MiB of "jpeg", made 64 KiB at a time as the connection takes it, without a length
    let state = data.0.clone();
    let chunks = futures_util::stream::iter(0..HUGE / (64 << 10)).map(move |i| {
        let mut chunk = vec![0u8; 64 << 10];
        if i == 0 {
            chunk[..4].copy_from_slice(b"\xff\xd8\xff\xe0");
        }
        *state.lock().unwrap().served.entry(media.clone()).or_default() += chunk.len();
        Ok::<_, actix_web::Error>(web::Bytes::from(chunk))
    });
    HttpResponse::Ok().content_type("image/jpeg").streaming(chunks)
}

pub fn node(stand: &Stand) -> TestNode {
    let mut o = Options::unlimited();
    o.env.extend(env(stand));
    TestNode::spawn_with(o)
}

/// The environment of a node whose WhatsApp channel talks to `stand`.
pub fn env(stand: &Stand) -> Vec<(String, String)> {
    vec![
        ("BANPOL_WHATSAPP_VERIFY_TOKEN".into(), VERIFY.into()),
        ("BANPOL_WHATSAPP_APP_SECRET".into(), SECRET.into()),
        ("BANPOL_WHATSAPP_ACCESS_TOKEN".into(), TOKEN.into()),
        ("BANPOL_WHATSAPP_PHONE_NUMBER_ID".into(), PNID.into()),
        ("BANPOL_WHATSAPP_GRAPH_URL".into(), stand.url.clone()),
    ]
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// One message as Meta sends it.
pub fn msg(from: &str, id: &str, content: Value) -> Value {
    let mut m = json!({"from": from, "id": id, "timestamp": now_s().to_string()});
    for (k, v) in content.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

pub fn text(body: &str) -> Value {
    json!({"type": "text", "text": {"body": body}})
}

/// A delivery: one entry, one change, these messages (contacts named after their numbers).
fn delivery(messages: Vec<Value>) -> Value {
    let contacts: Vec<Value> = messages
        .iter()
        .map(|m| json!({"profile": {"name": format!("Warga {}", m["from"].as_str().unwrap())}, "wa_id": m["from"]}))
        .collect();
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281370002110", "phone_number_id": PNID},
        "contacts": contacts,
        "messages": messages
    }}]}]})
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post(node: &TestNode, c: &reqwest::Client, payload: &Value) -> StatusCode {
    let body = serde_json::to_vec(payload).unwrap();
    c.post(node.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(&body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

pub async fn say(node: &TestNode, c: &reqwest::Client, from: &str, id: &str, content: Value) {
    assert_eq!(post(node, c, &delivery(vec![msg(from, id, content)])).await, StatusCode::OK);
}

/// Waits until the stand-in got `n` messages for `wa_id`; returns their texts.
pub async fn replies(stand: &Stand, wa_id: &str, n: usize) -> Vec<String> {
    eventually(20, || async {
        let t = stand.texts_to(wa_id);
        (t.len() >= n).then_some(t)
    })
    .await
}

pub fn ticket_in(text: &str) -> String {
    text.split_whitespace().find(|w| w.starts_with("PLG-")).unwrap().trim_end_matches(['.', ',']).to_owned()
}

/// The handshake, the signature check, and the whole conversation to a filed case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_conversation_files_a_case_and_replies_with_the_ticket() {
    let stand = Stand::start();
    let mut n = node(&stand);
    let c = n.client();
    let hs = c
        .get(
            n.url(&format!("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(hs.status(), StatusCode::OK);
    assert_eq!(hs.text().await.unwrap(), "1158201444");
    let bad = c
        .get(n.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);

    // bad or missing signature: 401 and nothing stored
    let body = serde_json::to_vec(&delivery(vec![msg("6281200000001", "wamid.BAD1", text("4"))])).unwrap();
    for sig in [None, Some("sha256=00ff".to_owned()), Some(sign(b"another body"))] {
        let mut r = c.post(n.url("/webhooks/whatsapp")).header("content-type", "application/json").body(body.clone());
        if let Some(s) = sig {
            r = r.header("x-hub-signature-256", s);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "bad_signature");
    }

    let who = "6281277770001";
    say(&n, &c, who, "wamid.A1", text("Selamat malam")).await;
    assert!(replies(&stand, who, 1).await[0].contains("Balas dengan angka"), "the menu");
    say(&n, &c, who, "wamid.A2", text("4")).await;
    assert!(replies(&stand, who, 2).await[1].contains("110"));
    say(&n, &c, who, "wamid.A3", text("Dompet saya dicopet di bus Trans Musi tadi sore")).await;
    say(&n, &c, who, "wamid.A4", text("Halte Ampera, Palembang")).await;
    assert!(replies(&stand, who, 4).await[3].contains("Kota Palembang"), "the confirmation names the regency");
    say(&n, &c, who, "wamid.A5", text("YA")).await;
    let texts = replies(&stand, who, 5).await;
    let ticket = ticket_in(&texts[4]);
    assert!(texts[4].contains("Nomor tiket"), "{}", texts[4]);

    n.add_user("op", "operator", None);
    let op = n.login("op").await;
    let case = op.case(&ticket).await;
    assert_eq!(case["channel"], "whatsapp");
    assert_eq!(case["reporter_phone"], format!("+{who}"));
    assert_eq!(case["reporter_name"], format!("Warga {who}"), "the WhatsApp profile name");
    assert_eq!(case["category"], "crime");
    assert_eq!(case["regency"], "Kota Palembang");

    // CEK answers the status to the reporter's own number only
    say(&n, &c, who, "wamid.A6", text(&format!("CEK {ticket}"))).await;
    assert!(replies(&stand, who, 6).await[5].contains("Baru"));
    assert!(stand.texts_to("6281200000001").is_empty(), "the unsigned deliveries were never stored or processed");
    say(&n, &c, "6281299990000", "wamid.X1", text(&format!("cek {ticket}"))).await;
    assert!(replies(&stand, "6281299990000", 1).await[0].contains("tidak ditemukan"));

    // the SOP's notices: verified and dispatched reach the reporter, once each
    op.act(&ticket, json!({"action": "verify", "method": "callback_confirmed"})).await;
    op.act(&ticket, json!({"action": "dispatch", "unit": "PLG"})).await;
    let texts = replies(&stand, who, 8).await;
    assert!(
        texts.iter().any(|t| t.contains("Terverifikasi")) && texts.iter().any(|t| t.contains("Didisposisi")),
        "{texts:?}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(stand.texts_to(who).len(), 8, "each notice once");
    // the recap counts them: two notices to the reporter of today's case, both sent
    n.add_user("lead", "leader", None);
    let lead = n.login("lead").await;
    let figures = eventually(10, || async {
        let (_, r) = lead.get("/api/v1/rekap").await;
        (r["notices_sent"] == 2).then_some(r)
    })
    .await;
    assert_eq!((figures["notices_failed"].clone(), figures["notices_pending"].clone()), (json!(0), json!(0)));
    let (_, r) = lead.get("/api/v1/rekap?category=information").await;
    assert_eq!(r["notices_sent"], 0, "only the notices of the cases the recap covers");

    // conversation state survives a restart
    say(&n, &c, who, "wamid.B1", text("2")).await;
    replies(&stand, who, 9).await;
    n.stop();
    n.start();
    let c = n.client();
    say(&n, &c, who, "wamid.B2", text("Pelayanan SKCK lambat sekali, mohon diperbaiki")).await;
    assert!(replies(&stand, who, 10).await[9].contains("Di mana kejadiannya"), "the flow went on where it was");
}

/// Meta retries: the same delivery twice makes one case; one payload with three messages
/// from two senders is handled whole; statuses update our outbound messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_deduplicated_and_every_message_is_handled() {
    let stand = Stand::start();
    let mut n = node(&stand);
    let c = n.client();
    let (a, b) = ("6281311110001", "6281322220002");
    for (i, t) in ["4", "Ada pencurian helm di parkiran masjid", "Masjid Agung, Palembang"].iter().enumerate() {
        say(&n, &c, a, &format!("wamid.P{i}"), text(t)).await;
        replies(&stand, a, i + 1).await;
    }
    let yes = delivery(vec![msg(a, "wamid.P9", text("ya"))]);
    assert_eq!(post(&n, &c, &yes).await, StatusCode::OK);
    assert_eq!(post(&n, &c, &yes).await, StatusCode::OK, "Meta retries the same delivery");
    let texts = replies(&stand, a, 4).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(stand.texts_to(a).len(), 4, "one ticket reply, not two");
    n.add_user("op", "operator", None);
    let op = n.login("op").await;
    let (_, q) = op.get(&format!("/api/v1/cases?q=%2B{a}")).await;
    assert_eq!(q["total"], 1, "one case");
    let ticket = ticket_in(&texts[3]);

    // three messages from two senders in one payload, plus a status for our reply
    let three = delivery(vec![
        msg(b, "wamid.M1", text("halo")),
        msg(a, "wamid.M2", text(&format!("CEK {ticket}"))),
        msg(b, "wamid.M3", text("1")),
    ]);
    assert_eq!(post(&n, &c, &three).await, StatusCode::OK);
    let tb = replies(&stand, b, 2).await;
    assert!(tb[0].contains("Balas dengan angka") && tb[1].contains("Informasi"), "{tb:?}");
    assert!(replies(&stand, a, 5).await[4].contains(&ticket));
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID},
        "statuses": [{"id": "wamid.TEST1", "status": "read", "timestamp": now_s().to_string(), "recipient_id": a}]
    }}]}]});
    assert_eq!(post(&n, &c, &status).await, StatusCode::OK);
    n.add_user("tik", "tik_admin", None);
    let tik = n.login("tik").await;
    let outbox = eventually(10, || async {
        let (_, o) = tik.get("/api/v1/whatsapp/outbox").await;
        (o["read"] == 1).then_some(o)
    })
    .await;
    assert_eq!(outbox["pending"], 0, "{outbox}");
    // the same message twice inside one payload is one message
    let twice = delivery(vec![
        msg("6281344440004", "wamid.TWICE", text("halo")),
        msg("6281344440004", "wamid.TWICE", text("halo")),
    ]);
    assert_eq!(post(&n, &c, &twice).await, StatusCode::OK);
    replies(&stand, "6281344440004", 1).await;
    // a delivery for another business number is ignored
    let mut other = delivery(vec![msg("6281333330003", "wamid.O1", text("halo"))]);
    other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("999");
    assert_eq!(post(&n, &c, &other).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(stand.texts_to("6281333330003").is_empty());
    assert_eq!(stand.texts_to("6281344440004").len(), 1, "one reply to a message seen twice");
}

/// A shared location, a photo (fetched and kept content-addressed), and a type we cannot use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locations_photos_and_unknown_types() {
    let stand = Stand::start();
    let mut n = node(&stand);
    let c = n.client();
    let who = "6281355550005";
    say(&n, &c, who, "wamid.L1", text("4")).await;
    say(&n, &c, who, "wamid.L2", json!({"type": "sticker", "sticker": {"id": "st1", "mime_type": "image/webp"}})).await;
    let t = replies(&stand, who, 2).await;
    assert!(t[1].contains("belum dapat kami terima"), "a polite reply: {}", t[1]);
    say(
        &n,
        &c,
        who,
        "wamid.L3",
        json!({"type": "image", "image": {"id": "MEDIA777", "mime_type": "image/jpeg", "sha256": "x"}}),
    )
    .await;
    say(&n, &c, who, "wamid.L4", text("Tabrak lari di simpang lima, korban dibawa ke rumah sakit")).await;
    say(&n, &c, who, "wamid.L5", json!({"type": "location", "location": {"latitude": -2.9911, "longitude": 104.7567, "name": "Simpang Lima DPRD", "address": "Jl. POM IX"}})).await;
    assert!(replies(&stand, who, 5).await[4].contains("Kota Palembang"));
    say(&n, &c, who, "wamid.L6", text("ya")).await;
    let ticket = ticket_in(&replies(&stand, who, 6).await[5]);
    n.add_user("op", "operator", None);
    let op = n.login("op").await;
    let case = eventually(10, || async {
        let c = op.case(&ticket).await;
        c["attachments"][0]["sha256"].is_string().then_some(c)
    })
    .await;
    assert_eq!((case["lat"].as_f64(), case["lon"].as_f64()), (Some(-2.9911), Some(104.7567)));
    assert_eq!(case["attachments"][0]["media_id"], "MEDIA777");
    let want = hex::encode(<Sha256 as sha2::Digest>::digest(PHOTO));
    assert_eq!(case["attachments"][0]["sha256"], want.as_str(), "kept under its SHA-256");
}

/// The Graph API down for a while: replies wait in the outbox and each arrives once when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_waits_out_an_outage_and_sends_each_message_once() {
    let stand = Stand::start();
    let n = node(&stand);
    let c = n.client();
    stand.set_down(true);
    let senders: Vec<String> = (0..5).map(|i| format!("628137777{i:04}")).collect();
    for (i, s) in senders.iter().enumerate() {
        say(&n, &c, s, &format!("wamid.D{i}"), text("halo")).await;
    }
    eventually(10, || async { (stand.state.lock().unwrap().refused_while_down >= 5).then_some(()) }).await;
    assert!(stand.sent().is_empty());
    tokio::time::sleep(Duration::from_secs(2)).await;
    stand.set_down(false);
    for s in &senders {
        replies(&stand, s, 1).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for s in &senders {
        assert_eq!(stand.texts_to(s).len(), 1, "delivered exactly once to {s}");
    }
    assert!(stand.state.lock().unwrap().refused_while_down >= 5, "it did retry while the API was down");
}

/// More than 24 hours after the reporter's last message, the configured template is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_window_the_template_is_used() {
    let stand = Stand::start();
    let n = node(&stand);
    let c = n.client();
    let who = "6281388880008";
    let mut old = msg(who, "wamid.W1", text("halo"));
    old["timestamp"] = json!((now_s() - 25 * 3600).to_string());
    assert_eq!(post(&n, &c, &delivery(vec![old])).await, StatusCode::OK);
    eventually(10, || async { (!stand.sent().is_empty()).then_some(()) }).await;
    let m = &stand.sent()[0];
    assert_eq!(m["type"], "template");
    assert_eq!(m["template"]["name"], "banpol_status");
    assert_eq!(m["template"]["language"]["code"], "id");
    say(&n, &c, who, "wamid.W2", text("1")).await;
    eventually(10, || async { (stand.sent().len() >= 2).then_some(()) }).await;
    assert_eq!(stand.sent()[1]["type"], "text", "a fresh message reopens the window");
}

/// 1,000 webhook posts in a burst: all stored before their 200, all processed, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_deliveries_is_processed_whole() {
    let stand = Stand::start();
    let n = node(&stand);
    let c = n.client();
    let mut tasks = Vec::new();
    for w in 0..20 {
        let (c, url) = (c.clone(), n.url("/webhooks/whatsapp"));
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                let p = delivery(vec![msg(&format!("6281{w:02}{i:07}"), &format!("wamid.BURST{w}-{i}"), text("halo"))]);
                let body = serde_json::to_vec(&p).unwrap();
                let r = c
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", sign(&body))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let sent = eventually(60, || async {
        let s = stand.sent();
        (s.len() >= 1000).then_some(s)
    })
    .await;
    let mut to: Vec<&str> = sent.iter().map(|m| m["to"].as_str().unwrap()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 1000, "every sender got its menu");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(stand.sent().len(), 1000, "and only one");
}

/// With no WhatsApp configuration the channel is off and the webhook answers 404.
#[tokio::test]
async fn without_configuration_the_webhook_is_off() {
    let n = TestNode::spawn();
    let c = n.client();
    let r =
        c.get(n.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c.post(n.url("/webhooks/whatsapp")).body("{}").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
