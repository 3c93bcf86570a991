//! WhatsApp webhook benchmark: starts the release `banpol` binary with the WhatsApp channel on,
//! pointed at a local Graph API stand-in, and posts signed deliveries (one text message each,
//! every one from its own number) from concurrent clients. Prints durable deliveries/s (each 200
//! goes out after the raw payload is flushed), latency, and how long the worker takes to answer
//! every one of them through the outbox.
//!
//!     cargo bench --bench whatsapp            # BENCH_CLIENTS=32 BENCH_SECS=10

use actix_web::{web, App, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use sha2::Sha256;
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-app-secret";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let clients = env_or("BENCH_CLIENTS", 32) as usize;
    let secs = env_or("BENCH_SECS", 10);
    // the Graph API stand-in: counts the replies
    let answered = Arc::new(AtomicU64::new(0));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let graph = format!("http://{}", l.local_addr().unwrap());
    let a = answered.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let a = web::Data::new(a);
            HttpServer::new(move || {
                App::new().app_data(a.clone()).route(
                    "/v21.0/{pnid}/messages",
                    web::post().to(|a: web::Data<Arc<AtomicU64>>| async move {
                        let n = a.fetch_add(1, Ordering::Relaxed) + 1;
                        HttpResponse::Ok().json(serde_json::json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.B{n}")}]}))
                    }),
                )
            })
            .workers(1)
            .listen(l)
            .unwrap()
            .run()
            .await
            .unwrap()
        })
    });

    let node = common::Node::start(
        env!("CARGO_BIN_EXE_banpol"),
        &[
            ("BANPOL_WHATSAPP_VERIFY_TOKEN", "v"),
            ("BANPOL_WHATSAPP_APP_SECRET", SECRET),
            ("BANPOL_WHATSAPP_ACCESS_TOKEN", "t"),
            ("BANPOL_WHATSAPP_PHONE_NUMBER_ID", "1"),
            ("BANPOL_WHATSAPP_GRAPH_URL", &graph),
        ],
    );
    let base = node.base.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (mut lat, ok, elapsed, drained) = rt.block_on(async {
        let client = node.client(clients);
        let url = format!("{base}/webhooks/whatsapp");
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let (mut lat, mut ok) = (Vec::new(), 0u64);
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let from = format!("6281{c:03}{i:06}");
                    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                    let body = serde_json::to_vec(&serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages", "value": {
                        "messaging_product": "whatsapp", "metadata": {"phone_number_id": "1"},
                        "contacts": [{"profile": {"name": "Warga"}, "wa_id": from}],
                        "messages": [{"from": from, "id": format!("wamid.{c}.{i}"), "timestamp": ts.to_string(), "type": "text", "text": {"body": "halo"}}]
                    }}]}]}))
                    .unwrap();
                    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                    mac.update(&body);
                    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
                    let t = Instant::now();
                    let r = client.post(&url).header("content-type", "application/json").header("x-hub-signature-256", sig).body(body).send().await;
                    if matches!(&r, Ok(r) if r.status().is_success()) {
                        ok += 1;
                        lat.push(t.elapsed().as_micros() as u32);
                    }
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                    }
                }
                (lat, ok)
            }));
        }
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = start.elapsed();
        let (mut lat, mut ok) = (Vec::new(), 0);
        for t in tasks {
            let (l, o) = t.await.unwrap();
            lat.extend(l);
            ok += o;
        }
        let deadline = Instant::now() + Duration::from_secs(300);
        while answered.load(Ordering::Relaxed) < ok && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (lat, ok, elapsed, start.elapsed())
    });
    drop(node);
    lat.sort_unstable();
    let p = |q: f64| lat.get(((lat.len().max(1) - 1) as f64 * q) as usize).copied().unwrap_or(0) as f64 / 1000.0;
    println!("whatsapp webhook benchmark: {clients} clients, {secs} s, signed deliveries over HTTPS, one message each");
    println!("  durable deliveries/s : {:.0}", ok as f64 / elapsed.as_secs_f64());
    println!("  latency ms           : p50 {:.2}  p99 {:.2}  max {:.2}", p(0.5), p(0.99), p(1.0));
    println!(
        "  answered             : {} of {ok} menus sent to the Graph API stand-in, all within {:.1} s of the first post ({:.0} messages/s end to end)",
        answered.load(Ordering::Relaxed),
        drained.as_secs_f64(),
        answered.load(Ordering::Relaxed) as f64 / drained.as_secs_f64()
    );
}
