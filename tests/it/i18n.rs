//! One language at a time, complete: every error `code` the API can return has its own text in
//! both tables of `web/assets/i18n.js`, so the UI never shows the server's English message; and
//! no text of the UI names a CLI flag, an endpoint or the README.
//!
//! The codes are derived from the Rust source, not typed here: every place an `ApiError` or a
//! `FieldError` is built names its code as a string literal (`ApiError::new(status, "code", ..)`,
//! `ApiError::field("code", ..)`, `.with_code("code")`, `FieldError { code: "code", .. }`). A
//! constructor whose code is not a literal fails the test, so no code escapes it. A new code
//! therefore needs only its two texts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code at the start of `rest` (a call's argument list after the skipped arguments): a string
/// literal, or `None` with what is there instead.
fn literal(rest: &str) -> Result<String, String> {
    let rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix('"') {
        let end = r.find('"').unwrap();
        return Ok(r[..end].to_owned());
    }
    Err(rest.chars().take_while(|c| !matches!(c, ',' | ')' | '\n')).collect())
}

/// Skips `n` top-level arguments of a call whose argument list starts at `s`.
fn skip_args(s: &str, n: usize) -> &str {
    let (mut depth, mut seen) = (0i32, 0usize);
    if n == 0 {
        return s;
    }
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                seen += 1;
                if seen == n {
                    return &s[i + 1..];
                }
            }
            _ => {}
        }
    }
    panic!("a call with fewer than {n} arguments: {}", &s[..s.len().min(80)]);
}

/// Every error code the API can answer with, read from the Rust source of the layers that build
/// API errors (`http`, `service`, `model`; the node-to-node sync protocol has its own codes).
pub fn api_error_codes() -> BTreeSet<String> {
    // (what precedes the code, how many arguments come before it)
    const SITES: [(&str, usize); 7] = [
        ("ApiError::new(", 1),
        ("Self::new(", 1),
        ("ApiError::field(", 0),
        ("Self::field(", 0),
        (".with_code(", 0),
        ("code: \"", 0),
        // the table in `http/error.rs` that maps each service error to (status, code)
        ("(S::", 1),
    ];
    // constructors that pass on a code already counted where it was written
    const PASSED_ON: [&str; 2] = ["code", "f.code"];
    let mut files = Vec::new();
    for layer in ["http", "service", "model"] {
        rust_files(&root().join("src").join(layer), &mut files);
    }
    let mut codes = BTreeSet::new();
    let mut escaped = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // test modules build errors of their own to check them; they add no code
        let text = text.split("#[cfg(test)]").next().unwrap();
        for (site, before) in SITES {
            for (at, _) in text.match_indices(site) {
                let rest = &text[at + site.len()..];
                let found =
                    if site.ends_with('"') { literal(&format!("\"{rest}")) } else { literal(skip_args(rest, before)) };
                match found {
                    Ok(code) => {
                        codes.insert(code);
                    }
                    Err(other) if PASSED_ON.contains(&other.trim()) => {}
                    // a definition, e.g. `pub fn new(status: StatusCode, code: &'static str, ..)`
                    Err(other) if other.contains(':') => {}
                    Err(other) => escaped.push(format!("{}: {site}{other}", f.display())),
                }
            }
        }
    }
    assert!(escaped.is_empty(), "error codes that are not string literals escape this test:\n{}", escaped.join("\n"));
    codes
}

/// The keys of the Indonesian and the English table of `i18n.js`.
fn tables() -> (String, String) {
    let js = std::fs::read_to_string(root().join("web/assets/i18n.js")).unwrap();
    let id_at = js.find("const id = {").expect("the Indonesian table");
    let en_at = js.find("const en = {").expect("the English table");
    let end = js[en_at..].find("\n};").expect("the end of the English table") + en_at;
    (js[id_at..en_at].to_owned(), js[en_at..end].to_owned())
}

#[test]
fn every_api_error_code_has_an_indonesian_and_an_english_text() {
    let codes = api_error_codes();
    // the scan finds codes of every kind of site
    for known in [
        "not_found",
        "csrf_mismatch",
        "missing_field",
        "invalid_phone",
        "last_admin",
        "self_disable",
        "bad_origin",
        "too_many_photos",
    ] {
        assert!(codes.contains(known), "the scan misses {known}: {codes:?}");
    }
    let (id, en) = tables();
    let mut missing = Vec::new();
    for code in &codes {
        let key = format!("'code.{code}':");
        for (lang, table) in [("id", &id), ("en", &en)] {
            if !table.contains(&key) {
                missing.push(format!("{lang} {code}"));
            }
        }
    }
    assert!(missing.is_empty(), "error codes without a text in web/assets/i18n.js ('code.<code>'): {missing:?}");
}

#[test]
fn no_text_of_the_ui_names_a_cli_flag_an_endpoint_or_the_readme() {
    let (id, en) = tables();
    let mut html = String::new();
    for e in std::fs::read_dir(root().join("web")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "html") {
            // the visible text: attributes (script and link addresses) left out
            let page = std::fs::read_to_string(&p).unwrap();
            let mut text = String::new();
            let mut in_tag = false;
            for c in page.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        text.push(' ');
                    }
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            html.push_str(&text);
        }
    }
    for (what, texts) in
        [("the Indonesian table", values(&id)), ("the English table", values(&en)), ("the pages", vec![html])]
    {
        for bad in [" --", "(--", "/api/", "README", "POST ", "GET ", "unit_officer", "tik_admin"] {
            let hits: Vec<&String> = texts.iter().filter(|v| v.contains(bad)).collect();
            assert!(hits.is_empty(), "{what} names {bad:?}: {hits:?}");
        }
    }
}

/// The texts of a table (its single-quoted strings that are not keys), comments left out.
fn values(table: &str) -> Vec<String> {
    let code: String = table.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut out = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => s.extend(chars.next()),
                '\'' => break,
                c => s.push(c),
            }
        }
        while chars.peek().is_some_and(|c| *c == ' ') {
            chars.next();
        }
        if chars.peek() != Some(&':') {
            out.push(s);
        }
    }
    out
}

/// Every access-log action the node writes (a string literal at each `log_access` call) has its
/// name in both tables (`aa.<action>`), so the audit page never shows a raw `read_photo`.
#[test]
fn every_audit_action_has_an_indonesian_and_an_english_name() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut actions = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap();
        for (at, _) in text.match_indices("log_access(") {
            if let Ok(a) = literal(skip_args(&text[at + "log_access(".len()..], 2)) {
                actions.insert(a);
            }
        }
    }
    for known in ["read_case", "user_add", "read_photo"] {
        assert!(actions.contains(known), "the scan misses {known}: {actions:?}");
    }
    let (id, en) = tables();
    let missing: Vec<String> = actions
        .iter()
        .flat_map(|a| [("id", &id), ("en", &en)].map(|(l, t)| (l, t.contains(&format!("'aa.{a}':")), a)))
        .filter(|(_, has, _)| !has)
        .map(|(l, _, a)| format!("{l} {a}"))
        .collect();
    assert!(missing.is_empty(), "audit actions without a name in web/assets/i18n.js ('aa.<action>'): {missing:?}");
}
