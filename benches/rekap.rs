//! A year at the hub for the recaps (issue 15): seeds `BENCH_CASES` (200,000) cases with six
//! events each (reported, verified, dispatched, acknowledged, progressed, resolved: 1,200,000
//! events; resolved, so the scheduler has nothing to escalate while the figures are timed) over
//! the 365 days before 2026-11-01 WIB straight through the store's write path (the same staged writes the node makes, so
//! the recap rows are kept as the events are), then starts the built binary on that store and
//! times over HTTPS: a month's recap, a year's, the year's CSV and XLSX exports (median of 3),
//! and prints the store's size and the recap rows' share of it.
//!
//!     cargo bench --bench rekap
//!     BENCH_CASES=20000 cargo bench --bench rekap
//!
//! Targets on a 2-core machine: month <= 1 s, year <= 3 s.

mod common;

use banpol::model::event::{Channel, Location, ReportedCase, Reporter};
use banpol::model::{Actor, Case, Category, EventKind, Millis, NodeCode, Phone, Priority, Sop, Ticket, UnitCode};
use banpol::store::Store;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-leader-password-1";
/// 2025-11-01 00:00 WIB
const YEAR_START: u64 = 1_761_930_000_000;
const DAY: u64 = 86_400_000;
const REGENCIES: [&str; 4] =
    ["Kota Palembang", "Kabupaten Ogan Komering Ilir", "Kabupaten Banyuasin", "Kota Prabumulih"];
const CATS: [Category; 4] = [Category::Crime, Category::Information, Category::Feedback, Category::Appreciation];

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(m) = e.metadata() else { continue };
        total += if m.is_dir() { dir_bytes(&e.path()) } else { m.len() };
    }
    total
}

fn seed(data: &std::path::Path, cases: u64) -> (f64, u64, (u64, u64)) {
    let node = NodeCode::parse("SUMSEL").unwrap();
    let store = Store::open(data, &node, 256 << 20).unwrap();
    let sop = Arc::new(Sop::parse(banpol::config::DEFAULT_SOP).unwrap());
    let mut sops = std::collections::HashMap::new();
    sops.insert(sop.version.clone(), sop.clone());
    store.register_sops(&sops, &sop);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let t = Instant::now();
    let step = 365 * DAY / cases;
    let staff = |u: &str| Actor::Staff { user: u.into(), role: banpol::model::Role::Operator, unit: None };
    let unit = UnitCode::parse("PLG").unwrap();
    let mut events = 0u64;
    for i in 0..cases {
        let at = YEAR_START + i * step;
        let cat = CATS[(i % 4) as usize];
        let day = Millis(at).yymmdd(banpol::model::time::WIB);
        let (ticket, _) = store
            .write(Millis(at), |tx| -> Result<Ticket, banpol::store::StoreError> {
                let n = tx.next_counter(&format!("ticket:{day}"))?;
                let t = Ticket::new(&node, &day, n);
                let ev = tx.append(
                    &t,
                    Actor::Citizen,
                    &sop.version,
                    EventKind::Reported(Box::new(ReportedCase {
                        category: cat,
                        priority: Priority::Normal,
                        description: format!("Laporan nomor {i} tentang pelayanan di kantor polisi sektor {}", i % 211),
                        reporter: Reporter {
                            name: format!("Warga {i}"),
                            phone: Phone::parse(&format!("0812{:08}", 10_000_000 + i)).unwrap(),
                        },
                        location: Location {
                            regency: REGENCIES[(i % 4) as usize].into(),
                            address: format!("Jl. Contoh No. {i}"),
                            lat: None,
                            lon: None,
                            ..Default::default()
                        },
                        channel: if i % 3 == 0 { Channel::Phone } else { Channel::Web },
                        token_hash: "00".into(),
                        suggested_unit: None,
                        assessment: Default::default(),
                        attachments: Vec::new(),
                    })),
                );
                let case = Case::open(ev).unwrap();
                tx.put_case(case)?;
                Ok(t)
            })
            .unwrap();
        events += 1;
        let later: [(u64, EventKind, &str); 5] = [
            (
                (5 + i % 20) * 60_000,
                EventKind::Verified { method: "callback_confirmed".into(), priority: Priority::Normal },
                "op1",
            ),
            (
                (20 + i % 40) * 60_000,
                EventKind::Dispatched { unit: unit.clone(), node: node.clone(), note: String::new(), takeover: false },
                "op2",
            ),
            ((50 + i % 90) * 60_000, EventKind::Acknowledged { note: String::new() }, "unit1"),
            (
                (200 + i % 600) * 60_000,
                EventKind::Progressed { note: "ditindaklanjuti".into(), public: false },
                "unit1",
            ),
            ((900 + i % 3000) * 60_000, EventKind::Resolved { summary: "selesai".into() }, "unit1"),
        ];
        let mut last = None;
        for (off, kind, who) in later {
            let (_, d) = store
                .write(Millis(at + off), |tx| -> Result<(), banpol::store::StoreError> {
                    let mut c = tx.case(&ticket)?.unwrap();
                    let ev = tx.append(&ticket, staff(who), &sop.version, kind);
                    c.apply(ev);
                    tx.put_case(c)
                })
                .unwrap();
            events += 1;
            last = Some(d);
        }
        if i % 2000 == 1999 {
            rt.block_on(store.durable(last.unwrap())).unwrap();
        }
    }
    store.flush_now().unwrap();
    let recap = store.recap_bytes().unwrap();
    store.close();
    (t.elapsed().as_secs_f64(), events, recap)
}

fn main() {
    let cases: u64 = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let bin = env!("CARGO_BIN_EXE_banpol");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (seed_s, events, (rows, recap_bytes)) = seed(&data, cases);
    let store_bytes = dir_bytes(&data.join("store"));
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["--node-code", "SUMSEL", "user", "add", "lead", "--role", "leader", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            writeln!(c.stdin.take().unwrap(), "{PASSWORD}")?;
            c.wait()
        })
        .unwrap();
    assert!(out.success(), "user add");
    let (mut child, base, _) = common::spawn(bin, &data, &["--node-code", "SUMSEL", "--sync-listen", "off"], &[]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut rows_out = Vec::new();
    rt.block_on(async {
        let client = common::login(&data, &base, "lead", PASSWORD).await;
        for (what, q) in [
            ("month (June), JSON", "from=2026-06-01&to=2026-06-30&group_by=category"),
            ("year, JSON", "from=2025-11-01&to=2026-10-31&group_by=category"),
            ("year, CSV", "from=2025-11-01&to=2026-10-31&group_by=regency&format=csv"),
            ("year, XLSX", "from=2025-11-01&to=2026-10-31&group_by=regency&format=xlsx"),
        ] {
            let mut times = Vec::new();
            let mut size = 0;
            let mut received = 0;
            for _ in 0..3 {
                let t = Instant::now();
                let r = client.get(format!("{base}/api/v1/rekap?{q}")).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let b = r.bytes().await.unwrap();
                times.push(t.elapsed());
                size = b.len();
                if q.contains("group_by=category") && !q.contains("format") {
                    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
                    received = v["total"]["received"].as_u64().unwrap();
                }
            }
            rows_out.push((what, median(times), size, received));
        }
    });
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    println!("rekap bench: {cases} cases, {events} events seeded through the store in {seed_s:.1} s");
    println!(
        "store: {:.1} MiB on disk; recap rows: {rows} entries, {:.1} MiB of keys and values ({:.0} B per case)",
        store_bytes as f64 / 1048576.0,
        recap_bytes as f64 / 1048576.0,
        recap_bytes as f64 / rows.max(1) as f64
    );
    for (what, s, size, received) in rows_out {
        let target = if what.starts_with("month") {
            " (target <= 1 s)"
        } else if what == "year, JSON" {
            " (target <= 3 s)"
        } else {
            ""
        };
        let rec = if received > 0 { format!(", {received} cases") } else { String::new() };
        println!("{what:>22}: {s:.3} s{target}, {size} bytes{rec}");
    }
}
