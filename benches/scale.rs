//! A year at the hub: seeds `BENCH_CASES` (100,000) open reports into a fresh node over the real
//! API (HTTPS, 32 clients), then measures what the console and the wall board ask of it:
//! the queue's first page, page 100, a filtered page, a text search, a phone search and the board
//! (median of 5 each), the node's RSS before and after those queries, and the store's bytes per
//! report.
//!
//!     cargo bench --bench scale
//!     BENCH_CASES=20000 cargo bench --bench scale
//!     BENCH_BASELINE_BIN=/path/to/older/banpol cargo bench --bench scale   # before and after, same run
//!
//! Targets (issue 12) on a 2-core machine: queue pages <= 100 ms, searches <= 300 ms, board
//! <= 200 ms, RSS after the queries <= 150 MiB, <= 2,000 bytes per report.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CATEGORIES: [&str; 3] = ["information", "feedback", "appreciation"];
const WORDS: [&str; 8] = ["SKCK", "SIM", "KTP", "patroli", "banjir", "pelayanan", "antrean", "lalu lintas"];
const REGENCIES: [&str; 4] =
    ["Kota Palembang", "Kabupaten Ogan Komering Ilir", "Kabupaten Banyuasin", "Kota Prabumulih"];
const PASSWORD: &str = "bench-operator-password-1";

fn body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "category": CATEGORIES[i % CATEGORIES.len()],
        "description": format!(
            "Laporan nomor {i}: pertanyaan tentang {} di kantor polisi sektor {}, mohon dibantu petugas piket.",
            WORDS[i % WORDS.len()], i % 211
        ),
        "reporter": {"name": format!("Warga {i}"), "phone": format!("+62812{:08}", 10_000_000 + i)},
        "location": {
            "regency": REGENCIES[i % REGENCIES.len()],
            "address": format!("Jl. Contoh No. {i}"),
            "lat": -2.9 - (i % 100) as f64 / 1000.0,
            "lon": 104.7 + (i % 97) as f64 / 1000.0
        }
    })
}

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn rss_mib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = s
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Apparent size of every file under `dir`.
fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let m = match e.metadata() {
            Ok(m) => m,
            Err(_) => continue,
        };
        total += if m.is_dir() { dir_bytes(&e.path()) } else { m.len() };
    }
    total
}

/// One binary's figures.
#[derive(Default)]
struct Figures {
    seed_s: f64,
    rows: Vec<(&'static str, f64, u64)>,
    rss_before: f64,
    rss_after: f64,
    bytes_per_report: f64,
    /// (tree, entries, key and value bytes) after a clean stop
    trees: Vec<(String, usize, u64)>,
}

/// GET with one retry: a keep-alive connection the server closed after a slow answer fails at
/// once on reuse (connection reset), before the request is even sent.
async fn get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    match client.get(url).send().await {
        Ok(r) => r,
        Err(e) if e.is_request() || e.is_connect() => client.get(url).send().await.unwrap(),
        Err(e) => panic!("{url}: {e}"),
    }
}

fn add_operator(bin: &str, data: &std::path::Path) {
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["--node-code", "PLG", "user", "add", "op", "--role", "operator", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            writeln!(c.stdin.take().unwrap(), "{PASSWORD}")?;
            c.wait()
        })
        .expect("banpol user add");
    assert!(out.success(), "user add failed");
}

fn measure(bin: &str, cases: usize) -> Figures {
    let node =
        common::Node::start(bin, &[("BANPOL_INTAKE_LIMIT_PER_IP", "off"), ("BANPOL_INTAKE_LIMIT_PER_PHONE", "off")]);
    add_operator(bin, &node.data);
    let pid = node.child.id();
    let mut f = Figures::default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
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
        f.seed_s = t.elapsed().as_secs_f64();
        // let sled write out its buffers (it flushes every second) before the sizes are read
        tokio::time::sleep(Duration::from_secs(3)).await;
        f.rss_before = rss_mib(pid);

        let op = node.login("op", PASSWORD).await;
        let phone = "0812-1000-0042";
        for (what, query) in [
            ("queue first page", "page=1&per_page=50".to_owned()),
            ("queue page 100", "page=100&per_page=50".to_owned()),
            ("queue filtered", "category=feedback&per_page=50".to_owned()),
            ("text search", "q=lalu%20lintas&per_page=50".to_owned()),
            ("phone search", format!("q={phone}&per_page=50")),
        ] {
            let mut times = Vec::new();
            let mut total = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let r = get(&op, &format!("{}/api/v1/cases?{query}", node.base)).await;
                assert_eq!(r.status(), 200);
                let v: serde_json::Value = r.json().await.unwrap();
                times.push(t.elapsed());
                total = v["total"].as_u64().unwrap_or(0);
            }
            f.rows.push((what, median_ms(times), total));
            eprintln!("  RSS after {what}: {:.0} MiB", rss_mib(pid));
        }
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let r = get(&op, &format!("{}/api/v1/board", node.base)).await;
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        f.rows.push(("board", median_ms(times), 0));
        f.rss_after = rss_mib(pid);
    });
    // a clean stop (SIGTERM): sled flushed, the journal folded in; then where the bytes are
    let mut node = node;
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = node.child.wait();
    f.bytes_per_report = dir_bytes(&node.data.join("store")) as f64 / cases as f64;
    if let Ok(keep) = std::env::var("BENCH_KEEP_STORE") {
        let _ = Command::new("cp").arg("-a").arg(node.data.join("store")).arg(&keep).status();
    }
    let db = sled::Config::new().path(node.data.join("store")).open().expect("open the stopped node's store");
    for name in db.tree_names() {
        let t = db.open_tree(&name).unwrap();
        let (n, bytes) = t.iter().flatten().fold((0, 0u64), |(n, b), (k, v)| (n + 1, b + (k.len() + v.len()) as u64));
        if n > 0 {
            f.trees.push((String::from_utf8_lossy(&name).into_owned(), n, bytes));
        }
    }
    // the event log file beside sled: its records (length, CRC, the packed event) are its bytes
    let log = std::fs::metadata(node.data.join("store").join("events.log")).map(|m| m.len()).unwrap_or(0);
    if log > 0 {
        f.trees.push(("events.log (file)".into(), 0, log));
    }
    f.trees.sort_by_key(|t| std::cmp::Reverse(t.2));
    f
}

fn main() {
    let cases: usize = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let bin = std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_banpol").to_owned());
    let mut runs = Vec::new();
    if let Ok(base) = std::env::var("BENCH_BASELINE_BIN") {
        runs.push(("baseline", base));
    }
    runs.push(("this build", bin));
    let mut all = Vec::new();
    for (name, bin) in &runs {
        eprintln!("scale: seeding {cases} open reports into {name} ({bin})");
        let f = measure(bin, cases);
        println!("{name}: seeded {cases} open reports in {:.1} s ({:.0}/s)", f.seed_s, cases as f64 / f.seed_s);
        all.push((name, f));
    }
    println!();
    print!("{:<26}", format!("{cases} open reports"));
    for (name, _) in &all {
        print!("{name:>14}");
    }
    println!("   target");
    let targets = ["<= 100 ms", "<= 100 ms", "<= 100 ms", "<= 300 ms", "<= 300 ms", "<= 200 ms"];
    for (i, target) in targets.iter().enumerate() {
        let (what, _, total) = all[0].1.rows[i];
        let label = if total > 0 { format!("{what} ({total})") } else { what.to_owned() };
        print!("{label:<26}");
        for (_, f) in &all {
            print!("{:>11.1} ms", f.rows[i].1);
        }
        println!("   {target}");
    }
    for (label, get, target) in [
        ("RSS before queries", (|f: &Figures| f.rss_before) as fn(&Figures) -> f64, ""),
        ("RSS after queries", |f: &Figures| f.rss_after, "<= 150 MiB"),
    ] {
        print!("{label:<26}");
        for (_, f) in &all {
            print!("{:>10.0} MiB", get(f));
        }
        println!("   {target}");
    }
    print!("{:<26}", "store bytes per report");
    for (_, f) in &all {
        print!("{:>8.0} bytes", f.bytes_per_report);
    }
    println!("   <= 2,000 bytes");
    for (name, f) in &all {
        let logical: u64 = f.trees.iter().map(|t| t.2).sum();
        println!(
            "\n{name}: where the bytes are (sled keys and values, and the event log, per report; {:.0} in all, the files {:.0}):",
            logical as f64 / cases as f64,
            f.bytes_per_report
        );
        for (tree, n, bytes) in &f.trees {
            println!("  {tree:<32}{n:>9} entries {:>8.1} bytes per report", *bytes as f64 / cases as f64);
        }
    }
}
