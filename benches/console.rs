//! Console speed with a full store: seeds `BENCH_CASES` (10,000) open cases into a fresh node,
//! then measures (a) the queue API (first page, page 100, a category filter, a text search and a
//! phone search) and the board API, and (b) in headless Chromium (`tests/browser/bench.js`): opening the console
//! until the queue is drawn, and a report POSTed on loopback until its row shows in an open
//! console (Server-Sent Events).
//!
//!     cargo bench --bench console
//!     BENCH_CASES=10000 cargo bench --bench console
//!
//! Targets (issue 4): the queue usable within 1 s with 10,000 open cases; a new report in an open
//! console within 500 ms.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> String {
    std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_banpol").to_owned())
}

const CATEGORIES: [&str; 3] = ["information", "feedback", "appreciation"];
const WORDS: [&str; 8] = ["SKCK", "SIM", "KTP", "patroli", "banjir", "pelayanan", "antrean", "lalu lintas"];

fn body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "category": CATEGORIES[i % CATEGORIES.len()],
        "description": format!("Laporan nomor {i}: pertanyaan tentang {} di kantor polisi, mohon dibantu petugas.", WORDS[i % WORDS.len()]),
        "reporter": {"name": format!("Warga {i}"), "phone": format!("+62812{:08}", 10_000_000 + i)},
        "location": {"regency": "Kota Palembang", "address": format!("Jl. Contoh No. {i}"), "lat": -2.9 - (i % 100) as f64 / 1000.0, "lon": 104.7 + (i % 97) as f64 / 1000.0}
    })
}

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    let cases: usize = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let node =
        common::Node::start(&bin(), &[("BANPOL_INTAKE_LIMIT_PER_IP", "off"), ("BANPOL_INTAKE_LIMIT_PER_PHONE", "off")]);
    let password = "bench-operator-password-1";
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(&node.data)
        .args(["user", "add", "op", "--role", "operator", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            writeln!(c.stdin.take().unwrap(), "{password}")?;
            c.wait()
        })
        .expect("banpol user add");
    assert!(out.success(), "user add failed");

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        // seed
        let client = node.client(32);
        let t = Instant::now();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (client, base, next) = (client.clone(), node.base.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= cases {
                        break;
                    }
                    let r = client.post(format!("{base}/api/v1/reports")).json(&body(i)).send().await.unwrap();
                    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        println!("seeded {cases} open cases in {:.1} s", t.elapsed().as_secs_f64());

        // the queue API, as the console calls it
        let op = node.login("op", password).await;
        let phone = "0812-1000-0042";
        for (what, query) in [
            ("first page (50)", "page=1&per_page=50".to_owned()),
            ("page 100", "page=100&per_page=50".to_owned()),
            ("category filter", "category=feedback&per_page=50".to_owned()),
            ("text search", "q=lalu%20lintas&per_page=50".to_owned()),
            ("phone search", format!("q={phone}&per_page=50")),
        ] {
            let mut times = Vec::new();
            let mut total = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let r = op.get(format!("{}/api/v1/cases?{query}", node.base)).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let v: serde_json::Value = r.json().await.unwrap();
                times.push(t.elapsed());
                total = v["total"].as_u64().unwrap_or(0);
            }
            println!("queue API {what:<16} {:>7.1} ms median of 5 ({total} matching)", median_ms(times));
        }
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let r = op.get(format!("{}/api/v1/board", node.base)).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        println!("board API {:<16} {:>7.1} ms median of 5", "(all cases)", median_ms(times));
    });

    // the console in headless Chromium
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("browser");
    if !dir.join("node_modules").join("playwright-core").exists() {
        let s = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status().expect("npm");
        assert!(s.success(), "npm ci in tests/browser");
    }
    let status = Command::new("node")
        .arg("bench.js")
        .current_dir(&dir)
        .env("BANPOL_BASE", &node.base)
        .env("BANPOL_LOGINS", format!("{{\"op\": \"{password}\"}}"))
        .status()
        .expect("node tests/browser/bench.js");
    assert!(status.success(), "the browser measurements failed");
}
