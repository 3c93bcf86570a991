//! CSV for exports (RFC 4180): every cell quoted, quotes doubled, lines end in CRLF. A cell that
//! a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) gets a leading `'`, so an exported log cannot run anything when it is opened.

/// One cell, quoted and made formula-safe.
pub fn cell(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let mut out = String::with_capacity(s.len() + 3);
    out.push('"');
    if risky {
        out.push('\'');
    }
    for ch in s.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// One line of cells, ended by CRLF.
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut l = cells.iter().map(|c| cell(c.as_ref())).collect::<Vec<_>>().join(",");
    l.push_str("\r\n");
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formula_safe() {
        for (raw, want) in [
            ("plain", r#""plain""#),
            ("", r#""""#),
            ("a,b", r#""a,b""#),
            ("say \"hi\"", r#""say ""hi""""#),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(\"x\")", r#""'=HYPERLINK(""x"")""#),
            ("+62812", r#""'+62812""#),
            ("-1+1", r#""'-1+1""#),
            ("@SUM(A1)", r#""'@SUM(A1)""#),
            ("\tx", "\"'\tx\""),
            ("a=b", r#""a=b""#),
        ] {
            assert_eq!(cell(raw), want, "{raw:?}");
        }
        assert_eq!(line(&["a", "=b"]), "\"a\",\"'=b\"\r\n");
    }
}
