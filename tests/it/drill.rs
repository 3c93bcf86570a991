//! Latihan (drills): a scripted trainee scored exactly against the SOP (and a perfect run at
//! 100 %), a drill that survives a restart and pauses, the exclusion of drill cases from every
//! real figure, record and outbox, and bad input (a scenario, a role).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;

/// 2026-12-02 09:00 WIB.
const T0: u64 = 1_796_176_800_000;
const MIN: u64 = 60_000;

struct Clock(PathBuf);
impl Clock {
    /// Moves the clock to `T0 + ms` (written beside, then renamed).
    fn at(&self, ms: u64) {
        let next = self.0.with_extension("next");
        std::fs::write(&next, (T0 + ms).to_string()).unwrap();
        std::fs::rename(&next, &self.0).unwrap();
    }
}

fn frozen_node() -> (TestNode, Clock) {
    let dir = tempfile::tempdir().unwrap().keep();
    let clock = Clock(dir.join("clock"));
    std::fs::write(&clock.0, T0.to_string()).unwrap();
    let cfg = dir.join("banpol.toml");
    std::fs::write(&cfg, "scheduler_tick_ms = 50\n").unwrap();
    let mut env = Options::unlimited().env;
    env.push(("BANPOL_TEST_CLOCK".into(), clock.0.display().to_string()));
    let mut node = TestNode::spawn_with(Options {
        args: vec!["--config".into(), cfg.display().to_string()],
        env,
        ..Default::default()
    });
    for (u, r) in [("ka", "ka_siaga"), ("op", "operator"), ("op2", "operator"), ("tik", "tik_admin")] {
        node.add_user(u, r, None);
    }
    node.add_user("unit", "unit_officer", Some("PLG"));
    (node, clock)
}

pub(crate) async fn start(s: &Session, scenario: &str, speed: f64) -> String {
    let (st, v) = s.post("/api/v1/drills", &json!({"scenario": scenario, "speed": speed})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn drill(s: &Session, id: &str) -> Value {
    let (st, v) = s.get(&format!("/api/v1/drills/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

/// Waits until inject `n` (1-based) has come; its ticket.
pub(crate) async fn inject(s: &Session, id: &str, n: usize) -> String {
    eventually(20, || async move { drill(s, id).await["tickets"][n - 1].as_str().map(str::to_owned) }).await
}

pub(crate) async fn ok(s: &Session, t: &str, body: Value) {
    let (st, v) = s.act(t, body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{body} on {t}: {v}");
}

pub(crate) async fn finished(s: &Session, id: &str) -> Value {
    eventually(20, || async move { Some(drill(s, id).await).filter(|d| d["state"] == "finished") }).await
}

/// The "Done when": an embedded scenario on the real binary, a scripted trainee making
/// chosen mistakes, the exact score and misses; then a perfect run scores 100 %.
#[tokio::test]
async fn a_scripted_trainee_gets_the_exact_score_and_a_perfect_run_gets_100() {
    let (node, clock) = frozen_node();
    let (ka, op, op2) = (node.login("ka").await, node.login("op").await, node.login("op2").await);
    let (st, list) = ka.get("/api/v1/drills/scenarios").await;
    assert_eq!(st, StatusCode::OK);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    for want in ["malam-iseng", "curanmor-duplikat", "lakalantas-korban", "propam-keluhan"] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }

    // --- the mistakes: a downgraded emergency verified before dispatch, dispatched late; the
    // duplicate linked right; a real theft rejected as unverifiable
    let id = start(&ka, "lakalantas-korban", 1.0).await;
    let t1 = inject(&ka, &id, 1).await;
    assert!(t1.starts_with("LAT-PLG-"), "{t1}");
    clock.at(MIN);
    ok(&op, &t1, json!({"action": "verify", "method": "callback_confirmed", "priority": "high"})).await;
    clock.at(2 * MIN);
    let t2 = inject(&ka, &id, 2).await;
    clock.at(3 * MIN);
    ok(&op2, &t2, json!({"action": "link_duplicate", "original": t1})).await;
    clock.at(5 * MIN);
    ok(&op, &t1, json!({"action": "dispatch", "unit": "PLG", "note": "Lakalantas"})).await;
    clock.at(6 * MIN);
    let t3 = inject(&ka, &id, 3).await;
    assert_eq!(drill(&ka, &id).await["state"], "running");
    clock.at(8 * MIN);
    ok(&op, &t3, json!({"action": "reject", "reason": "unverifiable", "note": "tidak bisa dihubungi"})).await;
    let d = finished(&ka, &id).await;
    let sc = &d["scorecard"];
    assert_eq!((sc["points"].as_u64(), sc["max_points"].as_u64()), (Some(6), Some(13)), "{sc:#}");
    assert_eq!(sc["score_percent"], 46, "6 of 13 points");
    let misses: Vec<(u64, &str)> = sc["misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["inject"].as_u64().unwrap(), m["check"].as_str().unwrap()))
        .collect();
    assert_eq!(
        misses,
        [
            (1, "priority"),
            (1, "dispatch_first"),
            (1, "dispatch_time"),
            (3, "decision"),
            (3, "priority"),
            (3, "unit"),
            (3, "dispatch_time")
        ]
    );
    let text = |i: usize| sc["misses"][i]["text"].as_str().unwrap().to_owned();
    let rule = |i: usize| sc["misses"][i]["rule"].as_str().unwrap().to_owned();
    assert_eq!(text(0), format!("Inject 1 ({t1}): prioritas tinggi, seharusnya darurat"));
    assert!(
        rule(0).starts_with("SOP draft-2026-12, Peristiwa Tindak Pidana, langkah Baru: Verifikasi laporan"),
        "{}",
        rule(0)
    );
    assert!(text(1).contains("darurat diverifikasi dulu baru didisposisikan"), "{}", text(1));
    assert!(rule(1).contains("didisposisikan sebelum verifikasi selesai"), "{}", rule(1));
    assert_eq!(text(2), format!("Inject 1 ({t1}): disposisi 4 menit setelah waktunya mulai, batas 3 menit"));
    assert_eq!(
        rule(2),
        "SOP draft-2026-12, Peristiwa Tindak Pidana: langkah disposisi prioritas darurat paling lambat 3 menit"
    );
    assert_eq!(
        text(3),
        format!(
            "Inject 3 ({t3}): laporan ditolak (tidak dapat diverifikasi), seharusnya diverifikasi dan ditindaklanjuti"
        )
    );
    assert_eq!(text(5), format!("Inject 3 ({t3}): belum didisposisikan (seharusnya ke PLG)"));
    assert_eq!(
        sc["participants"],
        json!([{"user": "op", "points": 4, "max_points": 8}, {"user": "op2", "points": 2, "max_points": 2}])
    );
    // the finished drill's cases left the queue; the drill lane still lists them
    let (_, q) = op.get("/api/v1/cases?status=all").await;
    assert!(!q.to_string().contains("LAT-"), "{q}");
    let (_, lane) = op.get("/api/v1/cases?lane=drill&status=all").await;
    let mut in_lane: Vec<&str> =
        lane["items"].as_array().unwrap().iter().map(|c| c["ticket"].as_str().unwrap()).collect();
    in_lane.sort();
    assert_eq!(in_lane, [t1.as_str(), t2.as_str(), t3.as_str()]);
    assert_eq!(lane["items"][0]["drill"], id.as_str());

    // --- a perfect run of the same scenario: dispatch first, verify as an emergency
    let base = 60 * MIN;
    clock.at(base);
    let id = start(&ka, "lakalantas-korban", 1.0).await;
    let t1 = inject(&ka, &id, 1).await;
    clock.at(base + MIN);
    ok(&op, &t1, json!({"action": "dispatch", "unit": "PLG", "note": "Segera ke lokasi"})).await;
    clock.at(base + 2 * MIN);
    let t2 = inject(&ka, &id, 2).await;
    ok(&op, &t1, json!({"action": "verify", "method": "caller_on_line", "priority": "emergency"})).await;
    clock.at(base + 3 * MIN);
    ok(&op2, &t2, json!({"action": "link_duplicate", "original": t1})).await;
    clock.at(base + 6 * MIN);
    let t3 = inject(&ka, &id, 3).await;
    clock.at(base + 7 * MIN);
    ok(&op, &t3, json!({"action": "verify", "method": "callback_confirmed", "priority": "normal"})).await;
    clock.at(base + 8 * MIN);
    ok(&op, &t3, json!({"action": "dispatch", "unit": "PLG"})).await;
    let d = finished(&ka, &id).await;
    let sc = &d["scorecard"];
    assert_eq!(sc["score_percent"], 100, "{sc:#}");
    assert_eq!(sc["misses"], json!([]));
    assert_eq!(sc["points"], sc["max_points"]);

    // the history per post and per officer
    let (_, all) = ka.get("/api/v1/drills").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, mine) = ka.get("/api/v1/drills?user=op2").await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let (_, none) = ka.get("/api/v1/drills?user=unit").await;
    assert_eq!(none, json!([]));
}

/// A drill's state is in the store: it survives a kill -9; a pause stops its clock.
#[tokio::test]
async fn a_drill_survives_a_restart_and_its_pause_stops_the_clock() {
    let (mut node, clock) = frozen_node();
    let pa = {
        node.add_user("pa", "pa_siaga", None);
        node.login("pa").await
    };
    let id = start(&pa, "curanmor-duplikat", 2.0).await;
    let t1 = inject(&pa, &id, 1).await;
    node.kill9();
    node.start();
    let pa = node.login("pa").await;
    let d = drill(&pa, &id).await;
    assert_eq!((d["state"].as_str(), d["tickets"][0].as_str()), (Some("running"), Some(t1.as_str())));
    // speed 2: inject 2 (t = 10 min) comes after 5 minutes
    clock.at(5 * MIN);
    inject(&pa, &id, 2).await;
    let (st, v) = pa.post(&format!("/api/v1/drills/{id}/actions"), &json!({"action": "pause"})).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("paused")), "{v}");
    clock.at(60 * MIN);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(drill(&pa, &id).await["tickets"][2].is_null(), "paused: inject 3 waits");
    let (st, v) = pa.post(&format!("/api/v1/drills/{id}/actions"), &json!({"action": "pause"})).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::CONFLICT, Some("drill_state")), "{v}");
    let (st, _) = pa.post(&format!("/api/v1/drills/{id}/actions"), &json!({"action": "resume"})).await;
    assert_eq!(st, StatusCode::OK);
    // 7 minutes of drill time later: 2 more real minutes after the resume (14 min at speed 2)
    clock.at(61 * MIN);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(drill(&pa, &id).await["tickets"][2].is_null(), "13 drill minutes: inject 3 (14 min) waits");
    clock.at(62 * MIN);
    inject(&pa, &id, 3).await;
    let (st, v) = pa.post(&format!("/api/v1/drills/{id}/actions"), &json!({"action": "abort"})).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("aborted")), "{v}");
}

/// Bad scenarios are refused naming the line and field; operators and unit officers may not
/// start a drill; tik_admin may (it reads no real case for it).
#[tokio::test]
async fn bad_scenarios_and_roles_are_refused() {
    let (mut node, _clock) = frozen_node();
    let good = include_str!("../../data/drills/curanmor-duplikat.toml").replace("curanmor-duplikat", "uji-unggah");
    let tik = node.login("tik").await;
    let upload = |text: String| {
        let tik = &tik;
        async move {
            let r = tik
                .client
                .post(format!("{}/api/v1/drills/scenarios", tik.base))
                .header("x-csrf-token", &tik.csrf)
                .header("content-type", "application/toml")
                .body(text)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let line = |needle: &str| good.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for (from, to, field) in [
        ("channel = \"whatsapp\"", "channel = \"sms\"", "inject[2].channel"),
        ("unit = \"PLG\"", "unit = \"NOWHERE\"", "inject[1].expect.unit"),
        ("category = \"information\"", "category = \"rumor\"", "inject[3].category"),
        ("t = \"14m\"", "t = \"-1m\"", "inject[3].t"),
        ("duplicate_of = 1", "duplicate_of = 3", "inject[2].expect.duplicate_of"),
    ] {
        let (s, v) = upload(good.replacen(from, to, 1)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "scenario_invalid");
        assert_eq!((v["field"].as_str(), v["line"].as_u64()), (Some(field), Some(line(from) as u64)), "{from}: {v}");
    }
    let (s, v) = upload(good.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // the drills list past an uploaded scenario (they share a tree): it once read it as a drill
    let (s, v) = tik.get("/api/v1/drills").await;
    assert_eq!((s, v), (StatusCode::OK, json!([])));
    let (s, v) = upload(include_str!("../../data/drills/curanmor-duplikat.toml").to_owned()).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("scenario_exists")));

    for who in ["op", "unit"] {
        let s = node.login(who).await;
        let (st, v) = s.post("/api/v1/drills", &json!({"scenario": "uji-unggah"})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}: {v}");
        let (st, _) = s.get("/api/v1/drills/scenarios").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}: the trainees see their score on the trainer's screen");
    }
    let id = start(&tik, "uji-unggah", 1.0).await;
    let t1 = inject(&tik, &id, 1).await;
    let (st, v) = tik.post("/api/v1/drills", &json!({"scenario": "malam-iseng"})).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::CONFLICT, Some("drill_running")), "one drill at a time");
    // tik_admin reads drill cases (no real personal data) through the case API, never a real one
    let (st, v) = tik.get(&format!("/api/v1/cases/{t1}")).await;
    assert_eq!((st, v["ticket"].as_str(), v["drill"].as_str()), (StatusCode::OK, Some(t1.as_str()), Some(id.as_str())));
    assert_eq!(v["allowed_actions"], json!([]), "reading only: {v}");
    let (st, v) = tik.get("/api/v1/cases?lane=drill").await;
    assert_eq!((st, v["items"][0]["ticket"].as_str()), (StatusCode::OK, Some(t1.as_str())), "{v}");
    let (real, _) = node.report(&node.client(), "crime", "Motor saya dicuri di depan Pasar 16 Ilir tadi pagi").await;
    for path in [format!("/api/v1/cases/{real}"), "/api/v1/cases".into(), "/api/v1/cases?lane=all".into()] {
        let (st, v) = tik.get(&path).await;
        assert_eq!((st, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_may_not")), "{path}: {v}");
    }
    let (st, v) = tik.get("/api/v1/cases?lane=drill").await;
    let tickets: Vec<&str> = v["items"].as_array().unwrap().iter().map(|c| c["ticket"].as_str().unwrap()).collect();
    assert_eq!((st, tickets), (StatusCode::OK, vec![t1.as_str()]), "the drill lane holds no real case");
    let (st, v) = tik.post("/api/v1/drills", &json!({"scenario": "nope"})).await;
    assert_eq!((st, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scenario")), "{v}");
    // a node holding an uploaded scenario and a drill starts again (loading the drills once read
    // the scenario as a drill and refused to start)
    drop(tik);
    node.kill9();
    node.start();
    let (st, v) = node.login("tik").await.get(&format!("/api/v1/drills/{id}")).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("running")), "{v}");
}

/// Today's date in WIB (`YYYY-MM-DD`).
fn today_wib() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 7 * 3600;
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

const REAL: &str = "0812-3456-7890";

/// A scenario whose prankster uses a real reporter's number, and a WhatsApp report.
fn exclusion_scenario() -> String {
    let prank = |t: &str, channel: &str, text: &str| {
        format!(
            "[[inject]]\nt = \"{t}\"\nchannel = \"{channel}\"\ncategory = \"crime\"\ntext = \"{text}\"\n\
             reporter = {{ name = \"Iseng\", phone = \"{REAL}\" }}\n\
             place = {{ regency = \"Kota Palembang\", address = \"Mal Palembang Icon\" }}\n\
             expect = {{ decision = \"reject\", reason = \"prank\" }}\n\n"
        )
    };
    let mut s = String::from(
        "id = \"uji-eksklusi\"\ntitle = \"Uji: latihan tidak bercampur\"\nsop_version = \"draft-2026-12\"\n\n",
    );
    s += &prank("0m", "web", "Ada bom di mal, cepat datang sekarang juga");
    s += &prank("1m", "whatsapp", "Ada perampokan bersenjata di mal, cepat");
    s += &prank("2m", "web", "Ada penculikan di parkiran mal, cepat kejar");
    s += "[[inject]]\nt = \"3m\"\nchannel = \"whatsapp\"\ncategory = \"crime\"\n\
          text = \"Tas saya dijambret di depan Pasar Cinde, pelaku naik motor ke arah Sudirman\"\n\
          reporter = { name = \"Lina\", phone = \"0813-5566-7700\" }\n\
          place = { regency = \"Kota Palembang\", address = \"Depan Pasar Cinde\" }\n\
          chat = [\"Pak tolong\"]\nexpect = { decision = \"verify\", priority = \"high\", unit = \"PLG\" }\n";
    s
}

/// Everything a drill must leave as it was: the board's figures, today's recap, the case figures
/// and outbox of `/metrics`, the blocklist, the real number's record, the WhatsApp outbox.
async fn real_figures(node: &TestNode, op: &Session, lead: &Session, aud: &Session) -> Value {
    let (_, board) = op.get("/api/v1/board").await;
    let day = today_wib();
    let (_, rekap) = lead.get(&format!("/api/v1/rekap?from={day}&to={day}")).await;
    let metrics = node.client().get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let figures: Vec<&str> = metrics
        .lines()
        .filter(|l| ["banpol_cases_", "banpol_step_within", "banpol_outbox_"].iter().any(|p| l.starts_with(p)))
        .collect();
    assert!(figures.iter().any(|l| l.starts_with("banpol_cases_total")), "{metrics}");
    let (_, blocklist) = op.get("/api/v1/blocklist").await;
    let (_, reporter) = lead.get("/api/v1/reporters/+6281234567890").await;
    let (_, outbox) = aud.get("/api/v1/whatsapp/outbox").await;
    let (_, prank) = lead.get("/api/v1/stats/prank").await;
    json!({
        "board": [board["reported_today"], board["today_by_status"], board["today_by_category"], board["open"],
                  board["units"], board["points"].as_array().map(|p| p.len()), board["open_by_district"]],
        "rekap": rekap["totals"].clone(),
        "rekap_steps": rekap["steps"].clone(),
        "metrics": figures,
        "blocklist": blocklist,
        "reporter": [reporter["record"].clone(), reporter["cases"].as_array().map(|c| c.len()), reporter["blocks"].clone()],
        "outbox": outbox,
        "prank": prank,
    })
}

/// The exclusion test: during and after a drill whose prankster uses a real reporter's
/// number (three pranks: a real number would be blocked), every real figure and record is exactly
/// as without it; the number's rate limit is untouched; no WhatsApp message leaves; public
/// tracking of a drill ticket is 404; drill cases sort below real ones of the same priority.
#[tokio::test]
async fn a_drill_leaves_every_real_figure_record_and_outbox_as_it_was() {
    let stand = crate::whatsapp::Stand::start();
    let mut o = Options::default();
    o.env.extend(crate::whatsapp::env(&stand));
    o.env.push(("BANPOL_INTAKE_LIMIT_PER_PHONE".into(), "3/1h".into()));
    o.env.push(("BANPOL_INTAKE_LIMIT_PER_IP".into(), "off".into()));
    let mut node = TestNode::spawn_with(o);
    for (u, r) in [("op", "operator"), ("lead", "leader"), ("aud", "auditor"), ("tik", "tik_admin")] {
        node.add_user(u, r, None);
    }
    let (op, lead, aud, tik) =
        (node.login("op").await, node.login("lead").await, node.login("aud").await, node.login("tik").await);
    let citizen = node.client();
    let (real, _) = node.report(&citizen, "crime", "Motor saya dicuri di depan Pasar 16 Ilir tadi pagi").await;
    ok(&op, &real, json!({"action": "verify", "method": "callback_confirmed", "priority": "high"})).await;
    let before = real_figures(&node, &op, &lead, &aud).await;
    assert_eq!(before["board"][0], 1, "{before:#}");

    let r = tik
        .client
        .post(format!("{}/api/v1/drills/scenarios", tik.base))
        .header("x-csrf-token", &tik.csrf)
        .header("content-type", "application/toml")
        .body(exclusion_scenario())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let id = start(&tik, "uji-eksklusi", 60.0).await;
    let mut t = Vec::new();
    for n in 1..=4 {
        t.push(inject(&tik, &id, n).await);
    }
    for p in &t[..3] {
        ok(&op, p, json!({"action": "reject", "reason": "prank", "note": "mengaku iseng"})).await;
    }
    ok(&op, &t[3], json!({"action": "verify", "method": "callback_confirmed", "priority": "high"})).await;
    // during: the drill still runs (inject 4 is not dispatched yet)
    assert_eq!(drill(&tik, &id).await["state"], "running");
    assert_eq!(real_figures(&node, &op, &lead, &aud).await, before, "during the drill");
    // the drill case sorts below the real one of the same priority
    let (_, q) = op.get("/api/v1/cases").await;
    let order: Vec<&str> = q["items"].as_array().unwrap().iter().map(|c| c["ticket"].as_str().unwrap()).collect();
    assert_eq!(order, [real.as_str(), t[3].as_str()], "{q}");
    assert_eq!(op.case(&t[3]).await["drill"], id.as_str());
    assert!(op.case(&real).await.get("drill").is_none());
    ok(&op, &t[3], json!({"action": "dispatch", "unit": "PLG"})).await;
    finished(&tik, &id).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(real_figures(&node, &op, &lead, &aud).await, before, "after the drill");
    assert!(stand.texts_to("6281355667700").is_empty() && stand.texts_to("6281234567890").is_empty());
    let d = drill(&tik, &id).await;
    let chat: Vec<&str> = d["chat"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap()).collect();
    assert!(chat.contains(&format!("Laporan {}: Didisposisi.", t[3]).as_str()), "the simulated panel: {chat:?}");
    assert_eq!(d["scorecard"]["score_percent"], 100);

    // public tracking of a drill ticket, with a real-looking token: 404
    for p in &t {
        let r = citizen.get(node.url(&format!("/api/v1/reports/{p}?token=ABCDEFGH"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{p}");
    }
    // the real number's rate limit is untouched: two more reports of three, then the limit
    for i in 0..2 {
        let r = citizen
            .post(node.url("/api/v1/reports"))
            .json(&report_body("crime", &format!("Laporan nyata ke-{i} setelah latihan, mohon dicek")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "real report {i} after the drill");
    }
    let r = citizen
        .post(node.url("/api/v1/reports"))
        .json(&report_body("crime", "Laporan keempat dalam satu jam dari nomor yang sama"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the limit is on: the drill did not use it");
    node.stop();
}
