//! Signed updates: refused archives change nothing; a release that fails probation is rolled
//! back and the post keeps serving its data; a good release passes; a downgrade below the
//! minimum version is refused. The test plays systemd: it restarts the process after exit 75.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A key pair made with `banpol release keygen`: (private key file, public key hex).
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let out = Command::new(BIN).args(["release", "keygen", "--out"]).arg(dir.join(name)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap().trim().to_owned();
    (dir.join(format!("{name}.key")), public)
}

/// A .tar.gz holding `banpol` (the given bytes), unsigned.
pub fn pack(dir: &Path, name: &str, binary: &[u8]) -> PathBuf {
    let stage = dir.join(format!("stage-{name}"));
    std::fs::create_dir_all(&stage).unwrap();
    let bin = stage.join("banpol");
    std::fs::write(&bin, binary).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let st = Command::new("tar").arg("czf").arg(&archive).arg("-C").arg(&stage).arg("banpol").status().unwrap();
    assert!(st.success());
    archive
}

/// `banpol release sign` with a version and minimum version.
fn sign(archive: &Path, key: &Path, version: &str, min_version: &str) {
    let out = Command::new(BIN)
        .args(["release", "sign"])
        .arg(archive)
        .arg("--key")
        .arg(key)
        .args(["--version", version, "--min-version", min_version])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn release(dir: &Path, key: &Path, version: &str, min_version: &str, binary: &[u8]) -> PathBuf {
    let a = pack(dir, version, binary);
    sign(&a, key, version, min_version);
    a
}

pub fn state(node: &TestNode) -> Value {
    match std::fs::read(node.data_dir().join("update-state.json")) {
        Ok(b) => serde_json::from_slice(&b).unwrap(),
        Err(_) => Value::Null,
    }
}

fn node_with_key(public: &str, probation: &str) -> TestNode {
    TestNode::spawn_with(Options {
        env: vec![
            ("BANPOL_TEST_TRUSTED_KEY".into(), public.into()),
            ("BANPOL_UPDATE_PROBATION".into(), probation.into()),
        ],
        ..Default::default()
    })
}

fn update(node: &TestNode, archive: &Path) -> (bool, String) {
    let out = node.cli_env(&["update", "--from-file", archive.to_str().unwrap()]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

async fn healthy(node: &TestNode) {
    let r = node.client().get(node.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the node serves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_tampered_and_untrusted_archives_are_refused_and_change_nothing() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "bidtik");
    let (stranger, _) = keygen(keys.path(), "stranger");
    let node = node_with_key(&public, "30s");
    let script = b"#!/bin/sh\nexit 0\n";

    let unsigned = pack(keys.path(), "0.5.0", script);
    let (ok, text) = update(&node, &unsigned);
    assert!(!ok && text.contains("no zipsign signature"), "an unsigned archive is refused: {text}");

    let good = release(keys.path(), &key, "0.5.1", "0.1.0", script);
    let mut bytes = std::fs::read(&good).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    let tampered = keys.path().join("tampered.tar.gz");
    std::fs::write(&tampered, &bytes).unwrap();
    let (ok, text) = update(&node, &tampered);
    assert!(!ok && text.contains("refused"), "a tampered archive is refused: {text}");

    let foreign = release(keys.path(), &stranger, "0.5.2", "0.1.0", script);
    let (ok, text) = update(&node, &foreign);
    assert!(!ok && text.contains("not from a trusted key"), "a stranger's release is refused: {text}");

    // without the test key only the compiled-in keys count; with none compiled in: refuse, never skip
    let out = node.cli(&["update", "--from-file", good.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&out.stderr);
    let compiled = include_str!("../../packaging/release-keys.pub");
    let none_compiled = compiled.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    let expect = if none_compiled { "no trusted release key" } else { "not from a trusted key" };
    assert!(!out.status.success() && text.contains(expect), "refused without the test key: {text}");

    assert_eq!(state(&node), Value::Null, "nothing was installed");
    assert!(!node.data_dir().join("bin").exists());
    healthy(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_that_fail_probation_are_rolled_back_and_the_post_keeps_serving_its_data() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "bidtik");
    let mut node = node_with_key(&public, "3s");
    let client = node.client();
    let (ticket, token) = node.report(&client, "crime", "Motor dicuri di depan pasar sebelum pembaruan").await;

    // 1. a release that exits at start
    let crash = release(keys.path(), &key, "0.9.0", "0.9.0", b"#!/bin/sh\necho 'bad build' >&2\nexit 1\n");
    let (ok, text) = update(&node, &crash);
    assert!(ok, "{text}");
    assert!(text.contains("installed"), "{text}");
    assert_eq!(node.wait_exit(20).code(), Some(75), "the node stops cleanly to restart into the release");
    node.start(); // systemd's part: the packaged binary tries 0.9.0, sees it fail, and serves again
    let st = state(&node);
    assert_eq!(st["current"], Value::Null, "back on the packaged binary: {st}");
    assert_eq!(st["rejected"][0]["version"], "0.9.0");
    let reason = st["last_rollback"]["reason"].as_str().unwrap();
    assert!(reason.contains("exited during probation"), "{reason}");
    let r = node.client().get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the post serves its data after the rollback");
    let (ok, text) = update(&node, &crash);
    assert!(!ok && text.contains("rejected on this node before"), "a rejected version is never tried again: {text}");

    // 2. a release that starts but never proves itself (no HTTP): killed at the deadline
    let hang = release(keys.path(), &key, "0.9.1", "0.9.1", b"#!/bin/sh\nexec sleep 120\n");
    let (ok, text) = update(&node, &hang);
    assert!(ok, "{text}");
    assert_eq!(node.wait_exit(20).code(), Some(75));
    node.start();
    let st = state(&node);
    assert_eq!(st["current"], Value::Null, "{st}");
    assert_eq!(st["rejected"][1]["version"], "0.9.1");
    let reason = st["last_rollback"]["reason"].as_str().unwrap();
    assert!(reason.contains("within 3 s"), "{reason}");
    let r = node.client().get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let status = node.cli_env(&["update", "--status"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["last_rollback"]["version"], "0.9.1", "{status}");
    assert!(node.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_release_passes_probation_and_a_downgrade_below_its_minimum_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "bidtik");
    let mut node = node_with_key(&public, "60s");
    let client = node.client();
    let (ticket, token) = node.report(&client, "crime", "Laporan sebelum pembaruan ke versi baru").await;

    // the real executable, published as 0.2.0
    let good = release(keys.path(), &key, "0.2.0", "0.2.0", &std::fs::read(BIN).unwrap());
    let (ok, text) = update(&node, &good);
    assert!(ok, "{text}");
    assert_eq!(node.wait_exit(20).code(), Some(75));
    node.start();
    let st = eventually(30, || async {
        let st = state(&node);
        (st["current"]["passed_probation"] == true).then_some(st)
    })
    .await;
    assert_eq!(st["current"]["version"], "0.2.0");
    assert_eq!(st["floor"], "0.2.0", "the minimum version rises once it passed");
    let r = node.client().get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let status: Value = serde_json::from_slice(&node.cli_env(&["update", "--status"]).stdout).unwrap();
    assert_eq!((status["running"].as_str(), status["on_probation"].as_bool()), (Some("0.2.0"), Some(false)));
    let metrics = node.client().get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("running=\"0.2.0\""), "{metrics}");

    let old = release(keys.path(), &key, "0.1.5", "0.1.0", b"#!/bin/sh\nexit 0\n");
    let (ok, text) = update(&node, &old);
    assert!(!ok && text.contains("below the minimum version 0.2.0"), "downgrade refused: {text}");
    assert_eq!(state(&node)["current"]["version"], "0.2.0");

    // SIGTERM reaches the release through the supervisor: a clean stop, not a rollback
    assert!(node.stop().success());
    assert_eq!(state(&node)["rejected"], serde_json::json!([]));

    // an executable changed in the data directory is never started: only signed ones run
    std::fs::write(node.data_dir().join("bin/banpol-0.2.0"), b"#!/bin/sh\nexit 0\n").unwrap();
    node.start();
    let st = state(&node);
    assert_eq!(st["current"], Value::Null, "{st}");
    assert!(st["last_rollback"]["reason"].as_str().unwrap().contains("do not verify"), "{st}");
    let r = node.client().get(node.url(&format!("/api/v1/reports/{ticket}?token={token}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(node.stop().success());
}
