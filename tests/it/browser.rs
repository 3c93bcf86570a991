//! The web UI in a real browser: `tests/browser/*.js` (playwright-core driving Debian's Chromium)
//! against a demo post started from the built executable. Screenshots land in
//! `target/screenshots/`. Without `/usr/bin/chromium`, node or npm this test fails: install them
//! (`apt-get install chromium`, as `.ci/run` does; Node.js with npm comes with the machine).

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One Chromium at a time: the flows measure delays, and the machine is small.
static CHROMIUM_RUN: Mutex<()> = Mutex::new(());

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("browser")
}

/// Runs a command and fails the test with its output when it does not succeed.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: could not start it ({e}); is it installed?"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({}):\n{text}", out.status);
    text
}

/// Installs playwright-core from the lock file when `node_modules` is missing.
fn npm_ci() {
    let dir = browser_dir();
    // every package the suite imports (board2.js: jsqr and pdfjs-dist decode the STPL's QR code)
    if ["playwright-core", "jsqr", "pdfjs-dist"].iter().any(|p| !dir.join("node_modules").join(p).exists()) {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir), "npm ci in tests/browser");
    }
}

fn chromium_present() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the browser tests need Debian's Chromium (apt-get install -y --no-install-recommends chromium)"
    );
}

/// Every flow of issue 4 in headless Chromium: a citizen files and tracks a report; an operator
/// sees one arrive live, verifies and dispatches it; the unit acknowledges; a 110 call is taken
/// from the keyboard; the board's counts change; a script payload stays text; accounts.
#[test]
fn the_web_ui_works_in_headless_chromium() {
    let node = TestNode::spawn_demo();
    run_suite(&node, "");
}

/// Sessions that fit a shift (`tests/browser/session.js`), on a demo post whose sessions last
/// 20 s: the warning, "stay signed in", and the re-login in place that keeps the open case and
/// the typed note.
#[test]
fn a_session_ends_and_is_taken_up_again_in_place_in_chromium() {
    let node = TestNode::spawn_with(Options {
        demo: true,
        env: vec![("BANPOL_SESSION_TTL".into(), "20s".into())],
        ..Default::default()
    });
    run_suite(&node, "session");
}

/// The wall board's alarms (`wall` in `tests/browser/board2.js`), on a demo post whose SOP gives
/// an information report 2 s to verify: an overdue, escalated case blinks until handled.
#[test]
fn overdue_cases_blink_on_the_wall_board_in_chromium() {
    let (node, _dir) = crate::wall::fast_verify_node(true);
    run_suite(&node, "wall");
}

/// Latihan at the hub (`hub` in `tests/browser/drill.js`): a hub with PLG enrolled; the head of
/// shift starts a drill for PLG from /latihan and the hub's page shows PLG's part and score.
#[test]
fn the_hub_starts_a_drill_for_a_post_in_chromium() {
    let sync = format!("127.0.0.1:{}", free_port());
    let mut hub = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "SUMSEL".into(), "--sync-listen".into(), sync],
        ..Default::default()
    });
    let plg = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), "PLG".into(), "--sync-listen".into(), "off".into()],
        ..Default::default()
    });
    enroll(&hub, &plg, "PLG");
    hub.add_user("kasiaga", "ka_siaga", None);
    run_suite(&hub, "latihan-hub");
}

fn run_suite(node: &TestNode, suite: &str) {
    chromium_present();
    let _one = CHROMIUM_RUN.lock().unwrap_or_else(|e| e.into_inner());
    npm_ci();
    let logins = serde_json::to_string(&node.passwords).unwrap();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    let out = run(
        Command::new("node")
            .arg("run.js")
            // TEST_BROWSER_FILTER=citizen2 runs only the tests whose name contains it
            .args(std::env::var("TEST_BROWSER_FILTER").ok())
            .current_dir(browser_dir())
            .env("BANPOL_BASE", &node.base)
            .env("BANPOL_LOGINS", logins)
            .env("BANPOL_SCREENSHOTS", &shots)
            .env("BANPOL_CHROMIUM", CHROMIUM)
            .env("BANPOL_SUITE", suite),
        "the browser tests (tests/browser/run.js)",
    );
    println!("{out}");
    assert!(out.contains("all browser tests passed"), "{out}");
}
