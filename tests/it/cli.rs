use crate::support::*;
use reqwest::StatusCode;

/// Admin commands work through the serving node's socket and on the store directly when the
/// node is stopped; disabling and password changes take effect at once.
#[tokio::test]
async fn user_commands_work_with_the_node_running_or_stopped() {
    let mut node = TestNode::spawn();
    // running: through the admin socket
    let pw = node.add_user("op", "operator", None);
    let out = node.cli(&["user", "list"], None);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listing.contains("op") && listing.contains("operator") && listing.contains("admin"), "{listing}");
    node.login("op").await;

    let out = node.cli(&["user", "add", "plg9", "--role", "unit_officer"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --unit"));
    let out = node.cli(&["user", "add", "x1", "--role", "sheriff"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("role \"sheriff\" is unknown"));
    let out = node.cli(&["user", "add", "op", "--role", "operator"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // a generated password is printed once and works
    let out = node.cli(&["user", "add", "ka", "--role", "ka_siaga"], None);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let generated = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password for ka: "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    node.passwords.insert("ka".into(), generated);
    node.login("ka").await;

    let out = node.cli(&["user", "disable", "op"], None);
    assert!(out.status.success());
    assert_eq!(node.try_login("op", &pw).await.status(), StatusCode::UNAUTHORIZED);

    // stopped: directly on the store
    assert!(node.stop().success());
    let out = node.cli(&["user", "passwd", "op", "--password-stdin"], Some("a-brand-new-password"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = node.cli(&["user", "enable", "op"], None);
    assert!(
        out.status.success(),
        "a reset keeps op disabled; enabling is its own step: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.add_user("walkin", "operator", None);
    node.start();
    node.passwords.insert("op".into(), "a-brand-new-password".into());
    node.login("op").await;
    node.login("walkin").await;
    assert_eq!(node.try_login("op", &pw).await.status(), StatusCode::UNAUTHORIZED, "the old password no longer works");
}

/// Config mistakes stop the node with a message that names them.
#[test]
fn config_mistakes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = cli_in(&data, &["check-config"], None);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("node PLG"));

    let cfg = dir.path().join("banpol.toml");
    std::fs::write(&cfg, "node_kode = \"OKI\"\n").unwrap();
    let cfgs = cfg.display().to_string();
    for args in [vec!["--config", &cfgs, "check-config"], vec!["--config", &cfgs, "serve"]] {
        let out = cli_in(&data, &args, None);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unknown field `node_kode`"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = std::process::Command::new(BIN)
        .args(["--data-dir", &data.display().to_string(), "check-config"])
        .env("BANPOL_LISTN", "x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting BANPOL_LISTN"));
    let out = cli_in(&data, &["--node-code", "XYZ", "check-config"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the units directory"));
}

/// tik_admin manages accounts over the API too: add (the password is shown once), reset,
/// disable; nobody else may; the last active tik_admin cannot lock everyone out.
#[tokio::test]
async fn accounts_over_the_api() {
    let mut node = TestNode::spawn();
    node.add_user("tik", "tik_admin", None);
    node.add_user("op", "operator", None);
    let tik = node.login("tik").await;
    let (s, v) = tik
        .post("/api/v1/users", &serde_json::json!({"username": "plg7", "role": "unit_officer", "unit": "PLG"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let pw = v["password"].as_str().unwrap().to_owned();
    assert_eq!((v["role"].as_str(), v["unit"].as_str()), (Some("unit_officer"), Some("PLG")));
    assert_eq!(node.try_login("plg7", &pw).await.status(), StatusCode::FORBIDDEN, "a ka_siaga confirms it first");
    node.add_user("ka", "ka_siaga", None);
    let (s, _) = node.login("ka").await.post("/api/v1/users/plg7/confirm", &serde_json::json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(node.try_login("plg7", &pw).await.status(), StatusCode::OK);
    let (s, list) = tik.get("/api/v1/users").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().all(|u| u.get("password").is_none() && u.get("password_hash").is_none()));
    let (s, v) = tik.post("/api/v1/users/plg7/password", &serde_json::json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(node.try_login("plg7", &pw).await.status(), StatusCode::UNAUTHORIZED, "the old password is gone");
    let (s, _) = tik.post("/api/v1/users/plg7/disable", &serde_json::json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(node.try_login("plg7", v["password"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);
    let op = node.login("op").await;
    let (s, _) = op.get("/api/v1/users").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only tik_admin manages accounts");
    // the first admin made at start and "tik" are both active: disabling one is fine, not both
    let (s, _) = tik.post("/api/v1/users/admin/disable", &serde_json::json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // the last active tik_admin is the one asking: no one disables their own account
    let (s, v) = tik.post("/api/v1/users/tik/disable", &serde_json::json!({})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("self_disable")));
}

/// Two nodes left at the default `sync_listen` (on demand) start side by side on one machine:
/// neither holds a sync port while it has no child and no open invitation.
#[tokio::test]
async fn two_nodes_with_default_sync_settings_start_side_by_side() {
    let default = || Options { default_sync: true, ..Default::default() };
    let a = TestNode::spawn_with(default());
    let b = TestNode::spawn_with(default());
    for n in [&a, &b] {
        assert!(n.sync_url.is_empty(), "no sync listener without children: {}", n.sync_url);
        let r = n.client().get(n.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

/// An on-demand sync listener opens when `node invite` runs on the serving node (through the
/// admin socket), and at every start while an invitation is open or a child is enrolled.
#[tokio::test]
async fn node_invite_opens_the_sync_listener_on_demand() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut hub = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "SUMSEL".into(), "--sync-listen".into(), format!("on-demand:{addr}")],
        ..Default::default()
    });
    assert!(hub.sync_url.is_empty(), "closed until needed: {}", hub.sync_url);
    assert!(std::net::TcpStream::connect(&addr).is_err(), "nothing listens on {addr} yet");

    let out = hub.cli(&["node", "invite", "PLG"], None);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "invite: {}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("banpol1.PLG.") && said.contains(&format!("serves sync at https://{addr}")), "{said}");
    assert!(std::net::TcpStream::connect(&addr).is_ok(), "the invite opened {addr}");
    // the CA the child pins is served there
    let probe = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let ca = probe.get(format!("https://{addr}/sync/v1/ca")).send().await.unwrap().text().await.unwrap();
    assert!(ca.contains("BEGIN CERTIFICATE"), "{ca}");

    let out = hub.cli(&["node", "invite", "OKI"], None);
    assert!(out.status.success(), "a second invite: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("serves sync at https://{addr}")));

    // an open invitation keeps it open across a restart
    assert!(hub.stop().success());
    hub.start();
    assert_eq!(hub.sync_url, format!("https://{addr}"));
}

/// A command that would create a new store refuses under the default node code: naming the
/// node (flag or config) is the only way to make one from the CLI.
#[test]
fn cli_commands_do_not_create_a_store_under_the_default_node_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("x.banpolbak");
    for args in [
        vec!["user", "add", "op", "--role", "operator", "--password-stdin"],
        vec!["user", "list"],
        vec!["verify"],
        vec!["node", "invite", "OKI"],
        vec!["node", "new-epoch"],
        vec!["backup", backup.to_str().unwrap()],
    ] {
        let out = cli_in(&data, &args, Some("a-long-enough-password"));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} made a store");
        assert!(err.contains("holds no store yet") && err.contains("--node-code"), "{args:?}: {err}");
        assert!(!data.join("store").exists() && !data.join("sync-ca-key.pem").exists(), "{args:?}");
    }
    assert!(!backup.exists());

    let out = cli_in(&data, &["--node-code", "OKI", "user", "add", "op", "--role", "operator"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(data.join("store").exists());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700, "owner only from the start");
    // the store exists now: commands that only use it work
    let out = cli_in(&data, &["--node-code", "OKI", "user", "list"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("op"));

    // a config file naming the node is as good as the flag
    let other = dir.path().join("other");
    let cfg = dir.path().join("banpol.toml");
    std::fs::write(&cfg, "node_code = \"BAS\"\n").unwrap();
    let out = cli_in(&other, &["--config", cfg.to_str().unwrap(), "user", "add", "op", "--role", "operator"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(other.join("store").exists());
}
