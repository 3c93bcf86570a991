//! The layering of ARCHITECTURE.md, checked: a test that fails when an import crosses it.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        if d.is_file() {
            out.push((d.display().to_string(), std::fs::read_to_string(&d).unwrap()));
            continue;
        }
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() || p.extension().is_some_and(|x| x == "rs") {
                stack.push(p);
            }
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

fn forbid(dir: &str, needles: &[&str]) {
    for (path, text) in sources(dir) {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in needles {
                assert!(
                    !code.contains(needle),
                    "{path}:{}: `{needle}` crosses a layer boundary (see ARCHITECTURE.md)",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn imports_respect_the_layers() {
    forbid(
        "model",
        &[
            "sled",
            "actix",
            "tokio",
            "rand::",
            "crate::store",
            "crate::service",
            "crate::http",
            "std::fs",
            "std::net",
            "SystemTime",
        ],
    );
    forbid("store", &["actix", "crate::service", "crate::http", "crate::sync", "reqwest"]);
    forbid("service", &["actix", "sled::", "crate::http", "crate::sync", "crate::channel", "reqwest"]);
    // handlers are adapters: they call service functions, never the store
    forbid("http", &["sled::", ".store", "crate::store", "crate::sync"]);
    forbid("config.rs", &["sled", "actix"]);
    // channels are adapters too: they keep and read their state through service functions
    forbid("channel", &["actix", "sled::", "crate::http", "crate::sync", ".store", "crate::store"]);
    // sync is an outer adapter like http: its own listener and client, use cases in service;
    // it reaches the store only through service::sync, and decides retries on typed errors
    forbid("sync", &["sled::", "crate::http", "crate::channel", ".store.", "anyhow"]);
    // updates sit beside http and channel: they may use service, store and model, never actix or sled
    forbid("update", &["actix", "sled::", "crate::http", "crate::channel"]);
    // the export to PostgreSQL is an outer adapter like sync: the database driver is used there
    // only, the store is reached through service::export, retries are decided on typed errors
    forbid(
        "export",
        &["sled::", "actix", "crate::http", "crate::channel", "crate::sync", ".store.", "crate::store", "anyhow"],
    );
    for dir in ["model", "store", "service", "http", "sync", "channel", "update"] {
        forbid(dir, &["tokio_postgres", "postgres::"]);
    }
    forbid("metrics.rs", &["actix", "sled", "tokio", "crate::"]);
    // the file writer is a leaf: std, libc and rand
    forbid("fsx.rs", &["actix", "sled", "tokio", "crate::"]);
    // only http, sync and channel may read the update state... and lib.rs; service never imports update
    forbid("service", &["crate::update"]);
}

/// Bodies are read only by our extractors (JSON 413s, the route's `BodyLimit`), and only after the
/// extractor that authorizes the request: actix polls a handler's extractors in argument order.
#[test]
fn bodies_are_read_after_authorization_and_only_by_our_extractors() {
    forbid(
        "http",
        &[": web::Bytes,", ": web::Bytes)", ": Bytes,", "web::Json<", "web::Form<", "PayloadConfig", "JsonConfig"],
    );
    let routes = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/routes.rs")).unwrap();
    let mut checked = 0;
    for sig in routes.split("pub async fn ").skip(1) {
        let sig = &sig[..sig.find('{').unwrap_or(sig.len())];
        let name = sig.split('(').next().unwrap_or("");
        let body = [": JsonBody<", ": Body,", ": Body)", ": web::Payload", ": ReportBody"]
            .iter()
            .filter_map(|b| sig.find(b))
            .min();
        let guard = [": Authed<", "Gate,", "Gate)"].iter().filter_map(|g| sig.find(g)).min();
        if let (Some(b), Some(g)) = (body, guard) {
            assert!(g < b, "{name}: the body extractor comes before the one that authorizes the request");
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} handlers with a guard and a body found: has routes.rs changed shape?");
}

/// Files are written through `fsx` only (ARCHITECTURE.md, "No file is written in place"):
/// outside `fsx.rs` and unit tests, nothing creates or truncates a file by path.
#[test]
fn files_are_written_through_fsx_only() {
    for (path, text) in sources("") {
        if path.ends_with("fsx.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("").replace("NewFile::create(", "NewFile::make(");
            for needle in ["fs::write(", "File::create(", "OpenOptions", ".create(true)", "with_extension(\"tmp\")"] {
                assert!(!line.contains(needle), "{path}:{}: `{needle}`: write files with crate::fsx", n + 1);
            }
        }
    }
}

/// Environment variables are read in `config` only (`Layer::from_process_env`) and passed down
/// (`Config::supervision` for the supervisor's own variables); `update` keeps its state in `App`,
/// never in a `static`.
#[test]
fn environment_is_read_in_config_only_and_update_keeps_no_static_state() {
    let mut checked = 0;
    for (path, text) in sources("") {
        if path.ends_with("src/config.rs") {
            continue;
        }
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(!code.contains("env::var"), "{path}:{}: read the environment in config.rs only", n + 1);
        }
    }
    assert!(checked > 20, "only {checked} source files found");
    for (path, text) in sources("update") {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("").trim_start();
            let decl = ["static ", "pub static ", "pub(crate) static ", "pub(super) static "];
            let global = ["thread_local!", "OnceLock", "LazyLock", "lazy_static", "OnceCell"];
            assert!(
                !decl.iter().any(|d| code.starts_with(d)) && !global.iter().any(|g| code.contains(g)),
                "{path}:{}: no global state in update/: carry it in `App` or pass it down",
                n + 1
            );
        }
    }
}
