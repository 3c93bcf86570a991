use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Intake under concurrent load, SIGKILL mid-flight, restart: every report that got a 201 is
/// there with its content, the store opens and the hash chains verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_reports_survive_kill_9() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("itwasda", "auditor", None);
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut tasks = Vec::new();
    for worker in 0..24 {
        let client = node.client();
        let url = node.url("/api/v1/reports");
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let description = format!("Laporan uji beban pekerja {worker} nomor {i}: pencurian di pasar");
                let phone = format!("0812{worker:02}{i:06}");
                let r = client.post(&url).json(&report_from(&phone, "crime", &description)).send().await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let v: Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => return,
                        };
                        acked.lock().unwrap().push((v["ticket"].as_str().unwrap().to_owned(), description));
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    node.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "the load ran: {} reports acknowledged", acked.len());
    let unique: HashSet<_> = acked.iter().map(|(t, _)| t).collect();
    assert_eq!(unique.len(), acked.len(), "tickets are unique");

    node.start();
    let aud = node.login("itwasda").await;
    for (ticket, description) in &acked {
        let (s, c) = aud.get(&format!("/api/v1/cases/{ticket}")).await;
        assert_eq!(s, StatusCode::OK, "acknowledged report {ticket} survived");
        assert_eq!(c["description"], description.as_str());
        assert_eq!(c["status"], "new");
    }
    let (s, v) = aud.get("/api/v1/integrity").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["ok"], true, "hash chains verify after the crash: {v}");
    let out = node.cli(&["verify"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("chain ok"));
    eprintln!("crash test: {} acknowledged reports, all present after kill -9", acked.len());
}
