//! The export to PostgreSQL (issue 18): how fast a node's event log goes into a real PostgreSQL
//! (Debian's server, started as in `tests/it/pg.rs`), and what the export costs intake.
//!
//! 1. A node without export takes `BENCH_EVENTS` (1,000,000) reports over the real API (HTTPS, 32
//!    clients): intake rate without the export, measured over the first `BENCH_INTAKE` (50,000).
//! 2. The same node restarted with `export_postgres`: the time until PostgreSQL holds every event
//!    (events/s into PostgreSQL, from an empty database).
//! 3. A fresh node with the export on takes `BENCH_INTAKE` reports at full speed: its intake rate
//!    (compare with 1), the export's lag (events, seconds; the most seen and at the end of intake)
//!    sampled while intake runs, and how long after intake every event is in PostgreSQL.
//!
//! Run: `cargo bench --bench export`, or smaller: `BENCH_EVENTS=100000 cargo bench --bench export`.
//!
//! Targets: >= 20,000 events/s into PostgreSQL; intake with the export within 10 % of without.
//! Run it for timing only on an otherwise idle machine (it prints the load average).

mod common;
#[path = "../tests/it/pg.rs"]
mod pg;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CATEGORIES: [&str; 3] = ["information", "feedback", "appreciation"];

fn body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "category": CATEGORIES[i % 3],
        "description": format!("Laporan nomor {i}: pertanyaan tentang layanan SKCK di kantor polisi sektor {}", i % 211),
        "reporter": {"name": format!("Warga {i}"), "phone": format!("+62812{:08}", 10_000_000 + i)},
        "location": {"regency": "Kota Palembang", "address": format!("Jl. Contoh No. {i}"), "lat": -2.97, "lon": 104.76}
    })
}

/// Files reports `from..to` with 32 clients; returns the seconds taken.
async fn intake(node: &common::Node, from: usize, to: usize) -> f64 {
    let client = node.client(32);
    let next = Arc::new(AtomicUsize::new(from));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, base, next) = (client.clone(), node.base.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= to {
                    break;
                }
                loop {
                    match client.post(format!("{base}/api/v1/reports")).json(&body(i)).send().await {
                        Ok(r) if r.status() == 201 => break,
                        Ok(r) => panic!("report {i}: {}", r.status()),
                        Err(e) if e.is_connect() || e.is_request() => continue,
                        Err(e) => panic!("report {i}: {e}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    t.elapsed().as_secs_f64()
}

/// Events in the database, by the export's cursors (one origin, one epoch here: its last seq is
/// the count). Polled often: a `count(*)` over a million rows would cost PostgreSQL a scan each
/// time and slow the export it measures; `counted` checks the figure once at the end.
async fn exported(db: &tokio_postgres::Client) -> i64 {
    db.query_one("SELECT coalesce(sum(last_seq), 0)::bigint FROM banpol.export_cursor", &[])
        .await
        .map(|r| r.get(0))
        .unwrap_or(0)
}

async fn counted(db: &tokio_postgres::Client) -> i64 {
    db.query_one("SELECT count(*) FROM banpol.events", &[]).await.map(|r| r.get(0)).unwrap_or(0)
}

fn status(bin: &str, data: &std::path::Path) -> serde_json::Value {
    let out = std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["export", "status", "--json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The export's own lag (`banpol export status`: flushed events not yet in PostgreSQL, measured
/// after each batch is written), sampled every 250 ms until `done`: the most seen (events,
/// seconds) and how many samples had an export running.
fn watch(
    bin: &str,
    data: &std::path::Path,
    done: &Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(u64, f64, u32)> {
    let (done, bin, data) = (done.clone(), bin.to_owned(), data.to_owned());
    std::thread::spawn(move || {
        let (mut max_events, mut max_s, mut samples) = (0u64, 0f64, 0u32);
        while !done.load(Ordering::Relaxed) {
            let s = status(&bin, &data);
            if s["state"].is_string() {
                samples += 1;
                max_events = max_events.max(s["lag_events"].as_u64().unwrap_or(0));
                max_s = max_s.max(s["lag_seconds"].as_f64().unwrap_or(0.0));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        (max_events, max_s, samples)
    })
}

fn main() {
    let events: usize = std::env::var("BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let sample: usize = std::env::var("BENCH_INTAKE").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000).min(events);
    let bin = std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_banpol").to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    println!("load average at start: {}", load());
    let pg = pg::Postgres::start();
    let limits = [("BANPOL_INTAKE_LIMIT_PER_IP", "off"), ("BANPOL_INTAKE_LIMIT_PER_PHONE", "off")];
    rt.block_on(async {
        // 1. intake without the export
        let mut node = common::Node::start(&bin, &limits);
        // the same observer as in step 3 (it costs a little CPU: both runs pay it)
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let observer = watch(&bin, &node.data, &done);
        let plain_s = intake(&node, 0, sample).await;
        done.store(true, Ordering::Relaxed);
        observer.join().unwrap();
        let plain = sample as f64 / plain_s;
        println!("intake without export: {sample} reports in {plain_s:.1} s ({plain:.0}/s)");
        let rest = intake(&node, sample, events).await;
        println!("seeded {events} reports in all ({:.1} s more)", rest);

        // 2. the same store exported from scratch
        let url = pg.create_db("bench").await;
        let _ = node.child.kill();
        let _ = node.child.wait();
        let mut env = limits.to_vec();
        env.push(("BANPOL_EXPORT_POSTGRES", &url));
        let (child, base, _) = common::spawn(&bin, &node.data, &["--sync-listen", "off"], &env);
        node.child = child;
        node.base = base;
        let db = pg.client("bench").await;
        let t = Instant::now();
        while (exported(&db).await as usize) < events {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(t.elapsed() < Duration::from_secs(3600), "the export did not finish within an hour");
        }
        let export_s = t.elapsed().as_secs_f64();
        assert_eq!(counted(&db).await as usize, events, "every event once in banpol.events");
        println!(
            "export: {events} events into PostgreSQL in {export_s:.1} s ({:.0} events/s; target >= 20,000)",
            events as f64 / export_s
        );
        drop(node);
        // a quiet database for step 3, as step 1 had: without this, PostgreSQL's autovacuum
        // works through step 2's million rows while step 3 measures intake
        drop(db);
        let admin = pg.client("postgres").await;
        admin.batch_execute("DROP DATABASE bench WITH (FORCE)").await.unwrap();
        admin.batch_execute("CHECKPOINT").await.unwrap();

        // 3. intake with the export running
        let url2 = pg.create_db("bench_live").await;
        let mut env = limits.to_vec();
        env.push(("BANPOL_EXPORT_POSTGRES", &url2));
        let live = common::Node::start(&bin, &env);
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = watch(&bin, &live.data, &done);
        let with_s = intake(&live, 0, sample).await;
        let ended = Instant::now();
        done.store(true, Ordering::Relaxed);
        let at_end = status(&bin, &live.data);
        let (lag_events, lag_s, samples) = sampler.join().unwrap();
        let with = sample as f64 / with_s;
        let db2 = pg.client("bench_live").await;
        while (exported(&db2).await as usize) < sample {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let catch_up = ended.elapsed().as_secs_f64();
        println!("intake with export: {sample} reports in {with_s:.1} s ({with:.0}/s, {:+.1} % against without; target within 10 %)", (with / plain - 1.0) * 100.0);
        println!(
            "export lag while intake ran ({samples} samples): at most {lag_events} events, {lag_s:.1} s; at the end of intake {} events, {:.1} s; every event in PostgreSQL {catch_up:.1} s after intake ended",
            at_end["lag_events"].as_u64().unwrap_or(0),
            at_end["lag_seconds"].as_f64().unwrap_or(0.0),
        );
    });
    println!("load average at end: {}", load());
}
