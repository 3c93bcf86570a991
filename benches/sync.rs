//! Sync benchmark: a post holding a backlog of 10,000 cases (about 50,000 events: each case is
//! reported, verified, dispatched, acknowledged and progressed) drains it to the hub over
//! mutual TLS on loopback. A byte-counting TCP proxy sits between them. Prints events/s, bytes
//! on the wire per event and the time to converge; then replicates the same 10,000 cases as
//! documents with PouchDB into pouchdb-server (benches/pouchdb, installed with `npm ci`) and
//! prints the ratios.
//!
//!     cargo bench --bench sync
//!     BENCH_CASES=2000 BENCH_POUCHDB=0 cargo bench --bench sync
//!
//! Targets: >= 20,000 events/s, >= 20x PouchDB's documents/s, bytes per event <= half of
//! PouchDB's bytes per document.

mod common;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn bin() -> String {
    std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_banpol").to_owned())
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const UNLIMITED: [(&str, &str); 2] = [("BANPOL_INTAKE_LIMIT_PER_IP", "off"), ("BANPOL_INTAKE_LIMIT_PER_PHONE", "off")];

fn cli(data: &Path, node: &str, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut c = Command::new(bin())
        .arg("--data-dir")
        .arg(data)
        .args(["--node-code", node])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        writeln!(c.stdin.as_mut().unwrap(), "{s}").unwrap();
    }
    drop(c.stdin.take());
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "banpol {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn add_user(data: &Path, node: &str, name: &str, role: &str, unit: Option<&str>) -> String {
    let pw = format!("bench-{name}-0123456789");
    let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
    if let Some(u) = unit {
        args.extend(["--unit", u]);
    }
    cli(data, node, &args, Some(&pw));
    pw
}

fn client(data: &Path) -> reqwest::Client {
    let pem = std::fs::read(data.join("tls-cert.pem")).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .tls_built_in_root_certs(false)
        .cookie_store(true)
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

struct Session {
    c: reqwest::Client,
    base: String,
    csrf: String,
}

async fn login(data: &Path, base: &str, user: &str, pw: &str) -> Session {
    let c = client(data);
    let r = c.post(format!("{base}/api/v1/session")).json(&json!({"username": user, "password": pw})).send().await;
    let v: Value = r.unwrap().json().await.unwrap();
    Session { c, base: base.to_owned(), csrf: v["csrf_token"].as_str().unwrap().to_owned() }
}

impl Session {
    async fn act(&self, ticket: &str, body: Value) {
        let r = self
            .c
            .post(format!("{}/api/v1/cases/{ticket}/actions", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{ticket}: {}", r.text().await.unwrap_or_default());
    }

    async fn get(&self, path: &str) -> Value {
        self.c.get(format!("{}{path}", self.base)).send().await.unwrap().json().await.unwrap()
    }
}

/// Forwards loopback TCP to `target`, counting the bytes in both directions.
async fn counting_proxy(target: String, bytes: Arc<AtomicU64>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((a, _)) = l.accept().await {
            let Ok(b) = tokio::net::TcpStream::connect(&target).await else { continue };
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let (ar, aw) = a.into_split();
                let (br, bw) = b.into_split();
                tokio::join!(pump(ar, bw, bytes.clone()), pump(br, aw, bytes));
            });
        }
    });
    url
}

async fn pump(mut r: tokio::net::tcp::OwnedReadHalf, mut w: tokio::net::tcp::OwnedWriteHalf, bytes: Arc<AtomicU64>) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 || w.write_all(&buf[..n]).await.is_err() {
            break;
        }
        bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = w.shutdown().await;
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn stop(child: &mut std::process::Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

fn events_of(data: &Path, node: &str, origin: &str) -> u64 {
    cli(data, node, &["verify"], None)
        .lines()
        .find(|l| l.split_whitespace().next() == Some(origin))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let cases = env_or("BENCH_CASES", 10_000) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run(cases));
}

async fn run(cases: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let (hub_data, post_data) = (tmp.path().join("hub"), tmp.path().join("post"));
    let (mut hub, hub_base, hub_sync) =
        common::spawn(&bin(), &hub_data, &["--node-code", "SUMSEL", "--sync-listen", "127.0.0.1:0"], &UNLIMITED);
    let pantau_pw = add_user(&hub_data, "SUMSEL", "pantau", "pa_siaga", None);
    let wire = Arc::new(AtomicU64::new(0));
    let proxy = counting_proxy(hub_sync.trim_start_matches("https://").to_owned(), wire.clone()).await;
    let post_args = ["--node-code", "PLG", "--sync-listen", "off", "--upstream", proxy.as_str()];
    let (mut post, post_base, _) = common::spawn(&bin(), &post_data, &post_args, &UNLIMITED);
    let op_pw = add_user(&post_data, "PLG", "op", "operator", None);
    let unit_pw = add_user(&post_data, "PLG", "unit.plg", "unit_officer", Some("PLG"));

    // the backlog: every case goes through five steps
    let seeding = Instant::now();
    let op = Arc::new(login(&post_data, &post_base, "op", &op_pw).await);
    let unit = Arc::new(login(&post_data, &post_base, "unit.plg", &unit_pw).await);
    let citizen = client(&post_data);
    let mut tasks = Vec::new();
    for w in 0..32 {
        let (op, unit, citizen, base) = (op.clone(), unit.clone(), citizen.clone(), post_base.clone());
        tasks.push(tokio::spawn(async move {
            let mut tickets = Vec::new();
            for i in (w..cases).step_by(32) {
                let body = json!({
                    "category": if i % 3 == 0 { "crime" } else { "information" },
                    "description": format!("Laporan {i}: pencurian sepeda motor di sekitar Pasar 16 Ilir, pelaku dua orang ({:x})", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                    "reporter": {"name": "Budi Santoso", "phone": format!("0812{:08}", 10_000_000 + i)},
                    "location": {"regency": "Kota Palembang", "address": format!("Jl. Merdeka No. {i}"), "lat": -2.97, "lon": 104.76}
                });
                let v: Value =
                    citizen.post(format!("{base}/api/v1/reports")).json(&body).send().await.unwrap().json().await.unwrap();
                let t = v["ticket"].as_str().unwrap().to_owned();
                op.act(&t, json!({"action": "verify", "method": "callback_confirmed"})).await;
                op.act(&t, json!({"action": "dispatch", "unit": "PLG", "note": "Segera ke lokasi"})).await;
                unit.act(&t, json!({"action": "acknowledge", "note": "Diterima piket"})).await;
                unit.act(&t, json!({"action": "progress", "note": "Tim menuju lokasi"})).await;
                tickets.push(t);
            }
            tickets
        }));
    }
    let mut tickets = Vec::new();
    for t in tasks {
        tickets.extend(t.await.unwrap());
    }
    eprintln!("seeded {} cases in {:.1} s", tickets.len(), seeding.elapsed().as_secs_f64());

    // the documents PouchDB replicates: the same cases, each with its full history
    let docs = tmp.path().join("cases.jsonl");
    export_docs(&op, &tickets, &docs).await;

    stop(&mut post);
    let events = events_of(&post_data, "PLG", "PLG");
    let invite = cli(&hub_data, "SUMSEL", &["node", "invite", "PLG"], None);
    let token = invite.lines().find(|l| l.starts_with("banpol1.")).unwrap().trim().to_owned();
    cli(&post_data, "PLG", &["node", "join", &hub_sync, &token], None);

    let pantau = login(&hub_data, &hub_base, "pantau", &pantau_pw).await;
    let hub_cpu = cpu_secs(hub.id());
    let started = Instant::now();
    let (mut post, _, _) = common::spawn(&bin(), &post_data, &post_args, &UNLIMITED);
    let post_up = started.elapsed().as_secs_f64();
    loop {
        let st = pantau.get("/api/v1/sync/status").await;
        let held = st["peers"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["node"] == "PLG"))
            .and_then(|p| p["held_seq"].as_u64())
            .unwrap_or(0);
        if held >= events {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "no convergence: {held} of {events}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let (hub_cpu, post_cpu) = (cpu_secs(hub.id()) - hub_cpu, cpu_secs(post.id()));
    let bytes = wire.load(Ordering::Relaxed);
    let (eps, bpe) = (events as f64 / secs, bytes as f64 / events as f64);
    println!("sync: {events} events of {} cases, post start to converged at the hub", tickets.len());
    println!("  time to converge    {secs:.2} s (includes the post's start and TLS handshakes)");
    println!("  of which post start {post_up:.2} s (opening its store of {} cases until it serves)", tickets.len());
    println!("  events/s            {eps:.0}   (target >= 20,000)");
    println!("  bytes on the wire   {bytes} ({bpe:.1} per event)");
    println!(
        "  CPU per event       hub {:.1} µs, post {:.1} µs (post includes its start)",
        hub_cpu * 1e6 / events as f64,
        post_cpu * 1e6 / events as f64
    );
    stop(&mut post);
    stop(&mut hub);

    if env_or("BENCH_POUCHDB", 1) == 0 {
        return;
    }
    match pouchdb(&docs, tickets.len()) {
        Ok(p) => {
            let (dps, bpd) = (p["docs_per_s"].as_f64().unwrap_or(0.0), p["bytes_per_doc"].as_f64().unwrap_or(0.0));
            println!(
                "pouchdb {} -> pouchdb-server {}: {} docs in {:.2} s",
                p["pouchdb"],
                p["pouchdb_server"],
                p["docs"],
                p["seconds"].as_f64().unwrap_or(0.0)
            );
            println!("  documents/s         {dps:.0}");
            println!("  bytes per document  {bpd:.1}");
            println!("ratios");
            // the same work: the same 10,000 cases (a case's five events are one PouchDB document)
            let pouch_s = p["seconds"].as_f64().unwrap_or(0.0);
            println!(
                "  same 10,000 cases: pouchdb {pouch_s:.2} s / banpol {secs:.2} s = {:.2}x   (target >= 5x)",
                pouch_s / secs
            );
            println!(
                "  banpol events/s / pouchdb docs/s        {:.1}x   (not like for like: 5 events a doc)",
                eps / dps
            );
            println!("  banpol bytes/event / pouchdb bytes/doc  {:.2}    (target <= 0.5)", bpe / bpd);
        }
        Err(e) => println!("pouchdb: not measured: {e}"),
    }
}

async fn export_docs(s: &Session, tickets: &[String], path: &Path) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for chunk in tickets.chunks(64) {
        let docs = futures_util::future::join_all(chunk.iter().map(|t| s.get_case(t))).await;
        for (t, mut d) in chunk.iter().zip(docs) {
            d["_id"] = json!(t);
            // what the API adds for the reader, not part of the case
            for k in ["allowed_actions", "reporter_record"] {
                d.as_object_mut().unwrap().remove(k);
            }
            writeln!(f, "{d}").unwrap();
        }
    }
}

impl Session {
    async fn get_case(&self, t: &str) -> Value {
        self.get(&format!("/api/v1/cases/{t}")).await
    }
}

fn pouchdb(docs: &Path, n: usize) -> Result<Value, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/pouchdb");
    if !dir.join("node_modules").exists() {
        let ok =
            Command::new("npm").args(["ci", "--silent", "--prefix"]).arg(&dir).status().map_err(|e| e.to_string())?;
        if !ok.success() {
            return Err("npm ci failed in benches/pouchdb".into());
        }
    }
    let out = Command::new("node")
        .arg(dir.join("replicate.mjs"))
        .args(["--docs", &n.to_string(), "--batch-size", "500", "--doc-file"])
        .arg(docs)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).map_err(|e| format!("{e}: {text}"))
}
