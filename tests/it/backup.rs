//! Backup under write load and restore: every report acknowledged before the backup started is
//! in the restored store, the chains verify, the node's epoch is new and the node serves.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_write_load_and_restore_round_trip() {
    let mut opts = Options::unlimited();
    // an export configured (to a database that is not there): the node makes the pseudonym key,
    // a file of its data dir that the backup carries
    opts.env.push(("BANPOL_EXPORT_POSTGRES".into(), "postgres://banpol:pw@127.0.0.1:9/none".into()));
    let mut node = TestNode::spawn_with(opts);
    node.add_user("itwasda", "auditor", None);
    let key_file = node.data_dir().join("export-pseudonym.key");
    eventually(20, || async { key_file.exists().then_some(()) }).await;
    let key = std::fs::read(&key_file).unwrap();
    // a partner key lives in its own tree: the backup carries it and the restore takes it back
    let out = node.cli(&["open311", "key", "add", "mitra-cadangan"], None);
    assert!(out.status.success(), "open311 key add: {}", String::from_utf8_lossy(&out.stderr));
    let acked: Arc<Mutex<Vec<(String, String, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, url, acked, stop) = (node.client(), node.url("/api/v1/reports"), acked.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let description = format!("Laporan saat backup, pekerja {worker} nomor {i}: pencurian di pasar");
                let phone = format!("0813{worker:02}{i:06}");
                let r = client.post(&url).json(&report_from(&phone, "crime", &description)).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                let v: Value = r.json().await.unwrap();
                acked.lock().unwrap().push((v["ticket"].as_str().unwrap().to_owned(), description, Instant::now()));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let file = node.dir.path().join("plg.banpolbak");
    let started = Instant::now();
    let out = {
        let data = node.data_dir();
        let f = file.clone();
        tokio::task::spawn_blocking(move || cli_in(&data, &["backup", f.to_str().unwrap()], None)).await.unwrap()
    };
    let took = started.elapsed();
    assert!(out.status.success(), "backup: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("events"), "{said}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let before: Vec<_> = acked.iter().filter(|(_, _, at)| *at < started).collect();
    let during = acked.iter().filter(|(_, _, at)| *at >= started && *at < started + took).count();
    assert!(before.len() > 50, "the load ran before the backup: {}", before.len());
    assert!(during > 0, "writers were acknowledged while the backup ran ({took:?})");
    eprintln!("backup: {} reports before, {during} during the backup ({took:?}); {said}", before.len());

    assert!(node.stop().success());
    let data = node.data_dir();
    let out = cli_in(&data, &["restore", file.to_str().unwrap()], None);
    assert!(!out.status.success(), "a restore does not overwrite a store without --force");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    // the machine is lost with its data dir: the key comes back with the restore, 0600
    std::fs::remove_file(&key_file).unwrap();
    let out = cli_in(&data, &["restore", file.to_str().unwrap(), "--force"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "restore: {}{text}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("chain ok") && text.contains("new epoch"), "{text}");
    let epochs: Vec<&str> = text.split("new epoch ").nth(1).unwrap().split(" (was ").collect();
    let (new, old) = (epochs[0], epochs[1].split(')').next().unwrap());
    assert_ne!(new, old, "the node's log takes a new epoch so sync resends in full");
    assert_eq!(std::fs::read(&key_file).unwrap(), key, "the pseudonym key is restored");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);

    node.start();
    let aud = node.login("itwasda").await;
    for (ticket, description, _) in &before {
        let (s, c) = aud.get(&format!("/api/v1/cases/{ticket}")).await;
        assert_eq!(s, StatusCode::OK, "report {ticket}, acknowledged before the backup, is restored");
        assert_eq!(c["description"], description.as_str());
    }
    let (s, v) = aud.get("/api/v1/integrity").await;
    assert_eq!((s, v["ok"].clone()), (StatusCode::OK, Value::Bool(true)), "{v}");
    let out = node.cli(&["verify"], None);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("chain ok"));
    let (s, queue) = aud.get("/api/v1/cases?status=new").await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    let total = queue["total"].as_u64().unwrap() as usize;
    assert!(total >= before.len(), "the status index is rebuilt from the events: {total} new cases");
    let keys = String::from_utf8(node.cli(&["open311", "key", "list"], None).stdout).unwrap();
    assert!(keys.contains("mitra-cadangan"), "the Open311 key is restored: {keys}");
    let (t, _) = node.report(&node.client(), "crime", "Laporan baru setelah pemulihan").await;
    assert!(t.starts_with("PLG-"), "the restored node takes reports");
}
