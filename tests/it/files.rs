//! Files holding secrets (the TLS key, the sync keys, backups) are 0600, written under an
//! unpredictable name in their own directory and renamed into place: a symlink planted at the
//! target or at any name the node used to write through is never followed.

use crate::support::*;
use reqwest::StatusCode;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).map(|m| m.file_type().is_symlink()).unwrap_or(false)
}

/// A file outside the data directory that a planted link points at; it must stay as it is.
struct Victim(PathBuf);

impl Victim {
    fn new(dir: &Path, name: &str) -> Victim {
        let p = dir.join(name);
        std::fs::write(&p, format!("victim {name}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        Victim(p)
    }

    fn plant_at(&self, link: &Path) {
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(&self.0, link).unwrap();
    }

    fn untouched(&self) {
        let name = self.0.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(std::fs::read_to_string(&self.0).unwrap(), format!("victim {name}\n"), "{name} was written through");
        assert_eq!(mode(&self.0), 0o644, "{name} was chmodded through a link");
    }
}

/// No temporary file is left behind in `dir`.
fn no_leftovers(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left in {}: {left:?}", dir.display());
}

const KEYS: [&str; 3] = ["tls-key.pem", "sync-ca-key.pem", "sync-server-key.pem"];
const CERTS: [&str; 3] = ["tls-cert.pem", "sync-ca-cert.pem", "sync-server-cert.pem"];

/// The keys a node makes at start are 0600 in a 0700 directory. Made again over planted links
/// (at the key's own name and at the fixed `.tmp` names the node used to write through), they
/// replace the links and leave the link targets alone.
#[tokio::test]
async fn keys_are_0600_and_planted_links_are_not_followed() {
    let mut node = TestNode::spawn();
    let data = node.data_dir();
    assert_eq!(mode(&data), 0o700);
    for k in KEYS {
        assert_eq!(mode(&data.join(k)), 0o600, "{k}");
    }
    assert!(node.stop().success());

    let outside = tempfile::tempdir().unwrap();
    let mut victims = Vec::new();
    for (k, c) in KEYS.iter().zip(CERTS) {
        std::fs::remove_file(data.join(c)).unwrap();
        let v = Victim::new(outside.path(), k);
        v.plant_at(&data.join(k));
        for old_tmp in [k.replace(".pem", ".tmp"), c.replace(".pem", ".tmp")] {
            let v = Victim::new(outside.path(), &old_tmp);
            v.plant_at(&data.join(&old_tmp));
            victims.push(v);
        }
        victims.push(v);
    }
    node.start();
    for v in &victims {
        v.untouched();
    }
    for k in KEYS {
        let p = data.join(k);
        assert!(!is_link(&p), "{k} is a file of its own again");
        assert_eq!(mode(&p), 0o600, "{k}");
        assert!(std::fs::read_to_string(&p).unwrap().contains("PRIVATE KEY"), "{k}");
    }
    no_leftovers(&data);
    // the new certificate and key serve
    let r = node.client().get(node.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// `banpol backup FILE` writes a 0600 file (it holds password hashes and every report), through
/// the running node and directly on a stopped one; links planted at the old predictable
/// `FILE.partial` and at FILE itself are not followed, and nothing is left behind.
#[tokio::test]
async fn a_backup_is_0600_and_planted_links_are_not_followed() {
    let mut node = TestNode::spawn_demo();
    let out_dir = node.dir.path().join("backups");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let victims = tempfile::tempdir().unwrap();

    for (round, serving) in [(1, true), (2, false)] {
        if !serving {
            assert!(node.stop().success());
        }
        let file = out_dir.join(format!("plg-{round}.banpolbak"));
        let partial = Victim::new(victims.path(), &format!("partial-{round}"));
        partial.plant_at(&file.with_extension("partial"));
        let target = Victim::new(victims.path(), &format!("target-{round}"));
        target.plant_at(&file);

        let out = node.cli(&["backup", file.to_str().unwrap()], None);
        assert!(out.status.success(), "backup (serving: {serving}): {}", String::from_utf8_lossy(&out.stderr));
        partial.untouched();
        target.untouched();
        assert!(!is_link(&file), "the backup replaced the link at its name");
        assert_eq!(mode(&file), 0o600, "backup (serving: {serving})");
        assert!(std::fs::metadata(&file).unwrap().len() > 1000, "a real backup");
        no_leftovers(&out_dir);
    }
}

/// `release keygen` writes the private key 0600 and never over an existing file or link.
#[test]
fn the_release_key_is_0600_and_never_written_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let keygen =
        |out: &Path| std::process::Command::new(BIN).args(["release", "keygen", "--out"]).arg(out).output().unwrap();
    let out = keygen(&dir.path().join("bidtik"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mode(&dir.path().join("bidtik.key")), 0o600);

    let victim = Victim::new(dir.path(), "victim");
    victim.plant_at(&dir.path().join("planted.key"));
    let out = keygen(&dir.path().join("planted"));
    assert!(!out.status.success(), "a key is never written over an existing name");
    assert!(String::from_utf8_lossy(&out.stderr).contains("must not exist yet"));
    victim.untouched();
    no_leftovers(dir.path());
}

/// A post's sync identity (`node join`) is 0600; links planted at the key's name and at the old
/// fixed temporary name are not followed. The hub's CA key is 0600.
#[tokio::test]
async fn the_sync_keys_of_a_joined_post_are_0600() {
    let hub = TestNode::spawn_with(Options { args: vec!["--node-code".into(), "SUMSEL".into()], ..Default::default() });
    let post = TestNode::spawn();
    let out = hub.cli(&["node", "invite", "PLG"], None);
    assert!(out.status.success(), "invite: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let token = said.lines().find(|l| l.starts_with("banpol1.")).expect("a token line").trim().to_owned();

    let outside = tempfile::tempdir().unwrap();
    let victim = Victim::new(outside.path(), "client-key");
    victim.plant_at(&post.data_dir().join("sync-client-key.pem"));
    // the fixed name the key used to be written through
    let old_tmp = Victim::new(outside.path(), "client-key-tmp");
    old_tmp.plant_at(&post.data_dir().join("sync-client-key.tmp"));
    let out = post.cli(&["node", "join", &hub.sync_url, &token], None);
    assert!(out.status.success(), "join: {}", String::from_utf8_lossy(&out.stderr));
    victim.untouched();
    old_tmp.untouched();
    let key = post.data_dir().join("sync-client-key.pem");
    assert!(!is_link(&key));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&hub.data_dir().join("sync-ca-key.pem")), 0o600);
    no_leftovers(&post.data_dir());
}
