//! Intake benchmark: starts the release `banpol` binary on a loopback port and fires concurrent
//! report POSTs over HTTPS, each acknowledged only after its write is flushed (durable).
//! Prints durable reports/s, latency percentiles, RSS and binary size.
//!
//!     cargo bench --bench intake
//!     BENCH_CLIENTS=64 BENCH_SECS=10 cargo bench --bench intake
//!
//! Targets on the 2-core reference machine (load generator included): >= 5,000 reports/s with
//! p99 <= 50 ms at 64 clients; idle RSS <= 40 MiB; release binary <= 30 MiB.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The binary under test; `BENCH_BIN` measures another build (e.g. one with symbols, for perf).
fn bin() -> String {
    std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_banpol").to_owned())
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    // `cargo bench` passes --bench; accept and ignore libtest-style arguments
    let clients = env_or("BENCH_CLIENTS", 64) as usize;
    let secs = env_or("BENCH_SECS", 10);
    // one load generator on one address: measure the store, not the rate limiter
    let node =
        common::Node::start(&bin(), &[("BANPOL_INTAKE_LIMIT_PER_IP", "off"), ("BANPOL_INTAKE_LIMIT_PER_PHONE", "off")]);
    let (pid, base) = (node.child.id(), node.base.clone());
    let binary_mib = std::fs::metadata(bin()).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss = rss_kib(pid);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (lat, ok, errors, elapsed, server_cpu) = rt.block_on(async {
        let client = node.client(clients);
        let url = format!("{base}/api/v1/reports");
        let body = serde_json::json!({
            "category": "crime",
            "description": "Sepeda motor dicuri di parkiran pasar, pelaku dua orang memakai helm hitam",
            "reporter": {"name": "Budi Santoso", "phone": "PHONE"},
            "location": {"regency": "Kota Palembang", "address": "Pasar 16 Ilir", "lat": -2.99, "lon": 104.76}
        })
        .to_string();
        // warm up connections and caches
        let warm_until = Instant::now() + Duration::from_secs(1);
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (client, url, body, stop, measuring) =
                (client.clone(), url.clone(), body.clone(), stop.clone(), measuring.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(16_384);
                let (mut ok, mut errors) = (0u64, 0u64);
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    // every report from its own number, as in real intake; same story, same
                    // regency: the near-duplicate check does its full (bounded) work each time
                    n += 1;
                    let one = body.replace("PHONE", &format!("0812{c:02}{n:06}"));
                    let t = Instant::now();
                    let r = client.post(&url).header("content-type", "application/json").body(one).send().await;
                    let good = matches!(&r, Ok(r) if r.status().as_u16() == 201);
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                    }
                    if measuring.load(Ordering::Relaxed) {
                        if good {
                            ok += 1;
                            lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        } else {
                            errors += 1;
                        }
                    }
                }
                (lat, ok, errors)
            }));
        }
        tokio::time::sleep_until(warm_until.into()).await;
        measuring.store(true, Ordering::Relaxed);
        let start = Instant::now();
        let cpu0 = cpu_secs(pid);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        measuring.store(false, Ordering::Relaxed);
        let elapsed = start.elapsed();
        let server_cpu = cpu_secs(pid) - cpu0;
        stop.store(true, Ordering::Relaxed);
        let (mut lat, mut ok, mut errors) = (Vec::new(), 0, 0);
        for t in tasks {
            let (l, o, e) = t.await.unwrap();
            lat.extend(l);
            ok += o;
            errors += e;
        }
        (lat, ok, errors, elapsed, server_cpu)
    });
    let loaded_rss = rss_kib(pid);
    drop(node);
    let mut lat = lat;
    lat.sort_unstable();
    let rate = ok as f64 / elapsed.as_secs_f64();
    println!("intake benchmark: {clients} clients, {secs} s, HTTPS keep-alive, every 201 flushed to disk");
    println!("  durable reports/s : {rate:.0}");
    println!(
        "  latency ms        : p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&lat, 0.50),
        percentile(&lat, 0.90),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!("  reports ok/errors : {ok} / {errors}");
    println!(
        "  server CPU        : {:.0}% of one core, {:.0} us per report (the rest of the 2 cores is the load generator)",
        100.0 * server_cpu / elapsed.as_secs_f64(),
        1e6 * server_cpu / ok.max(1) as f64
    );
    println!(
        "  RSS MiB           : idle {:.1}  after load {:.1}",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0
    );
    println!("  binary MiB        : {binary_mib:.1}");
}
