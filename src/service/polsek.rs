//! Each Polres's Polsek and the kecamatan they cover, as its post keeps them. The units file's
//! `[[polsek]]` entries are the default; a `tik_admin` at the post saves its Polres's own list
//! (`save`), checked against the official codes (`Units::with_polsek`) and kept as a numbered
//! version (who, when, where) in `Kv::Polsek`, next to every earlier one. The node works with the
//! units and each Polres's newest list (`App::directory`); sync carries the lists up
//! (`lists_after`, `receive`), so the hub knows every post's Polsek and shows them read-only.

use super::{now, App, ServiceError};
use crate::model::units::{RawPolsek, Units};
use crate::model::wilayah::Level;
use crate::model::{Action, Millis, NodeCode, UnitCode, UnitKind};
use crate::store::{Durable, Kv, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One saved version of a Polres's Polsek list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub polres: String,
    /// 1 for the first list saved; the units file's entries are version 0
    pub version: u64,
    pub by: String,
    pub at: Millis,
    /// the node where it was saved
    pub node: String,
    pub polsek: Vec<RawPolsek>,
}

/// `POLRES` -> its newest version; `POLRES\0version (BE)` -> that version.
fn head_key(polres: &str) -> Vec<u8> {
    polres.as_bytes().to_vec()
}

fn version_key(polres: &str, version: u64) -> Vec<u8> {
    let mut k = polres.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// Every saved version by Polres, oldest first.
pub fn history(store: &Store) -> Result<BTreeMap<String, Vec<Saved>>, ServiceError> {
    let mut out: BTreeMap<String, Vec<Saved>> = BTreeMap::new();
    for (k, v) in store.kv_scan::<serde_json::Value>(Kv::Polsek, b"", usize::MAX)? {
        if !k.contains(&0) {
            continue;
        }
        let s: Saved = serde_json::from_value(v).map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
        out.entry(s.polres.clone()).or_default().push(s);
    }
    Ok(out)
}

/// The newest saved list of each Polres that has one.
pub fn latest(store: &Store) -> Result<BTreeMap<String, Saved>, ServiceError> {
    Ok(history(store)?.into_iter().filter_map(|(p, mut v)| v.pop().map(|s| (p, s))).collect())
}

/// The units with each Polres's newest saved list in place of the file's entries. A saved list
/// the units no longer take (the units file changed since) is left out, with a warning: the
/// file's entries stand for that Polres until the post saves again.
pub fn directory_of(store: &Store, file: &Units) -> Result<Units, ServiceError> {
    let mut units = file.clone();
    for (polres, s) in latest(store)? {
        let Ok(code) = UnitCode::parse(&polres) else { continue };
        match units.with_polsek(&code, &s.polsek) {
            Ok(next) => units = next,
            Err(e) => {
                tracing::warn!(%polres, version = s.version, error = %e, "a saved Polsek list no longer fits the units")
            }
        }
    }
    Ok(units)
}

/// The Polres whose list this node edits: those whose node it is (a post has one; the hub none).
pub fn editable(file: &Units, node: &NodeCode) -> Vec<UnitCode> {
    file.units
        .iter()
        .filter(|u| matches!(u.kind, UnitKind::Polres | UnitKind::Polrestabes) && &u.node == node)
        .map(|u| u.code.clone())
        .collect()
}

/// Stages the next version of `polres`'s list (the entries' `polres` is set from it). Refused
/// unless this node is that Polres's post, when an entry does not fit the official codes (the
/// error names it), or when `base` is given and is not the newest version (someone saved in
/// between). A refusal stages nothing.
pub fn save(
    store: &Store,
    file: &Units,
    by: &str,
    polres: &str,
    base: Option<u64>,
    mut entries: Vec<RawPolsek>,
) -> Result<(Saved, Units, Durable), ServiceError> {
    let node = store.node().clone();
    let code = UnitCode::parse(polres)
        .ok()
        .filter(|c| editable(file, &node).contains(c))
        .ok_or_else(|| ServiceError::PolsekNotHere(polres.to_owned()))?;
    for e in &mut entries {
        e.polres = code.to_string();
        e.name = e.name.trim().to_owned();
        e.example = false;
    }
    let next = directory_of(store, file)?.with_polsek(&code, &entries)?;
    let at = now();
    let (saved, d) = store.write(at, |tx| -> Result<Saved, ServiceError> {
        let held: u64 = tx.kv_get(Kv::Polsek, &head_key(polres))?.unwrap_or(0);
        if let Some(b) = base.filter(|b| *b != held) {
            return Err(ServiceError::PolsekStale { base: b, held });
        }
        let s = Saved {
            polres: code.to_string(),
            version: held + 1,
            by: by.to_owned(),
            at,
            node: node.to_string(),
            polsek: entries,
        };
        tx.kv_put(Kv::Polsek, &version_key(polres, s.version), Some(&s));
        tx.kv_put(Kv::Polsek, &head_key(polres), Some(&s.version));
        Ok(s)
    })?;
    Ok((saved, next, d))
}

/// The newest version this node holds of `polres`'s list (0: none saved).
pub fn held(store: &Store, polres: &str) -> Result<u64, ServiceError> {
    Ok(store.kv_get::<u64>(Kv::Polsek, &head_key(polres))?.unwrap_or(0))
}

/// Saves a list from the web (`tik_admin` of the post), waits until it is durable, puts it in
/// force on this node and logs it (`polsek_save`).
pub async fn put(
    app: &App,
    who: &super::auth::Staff,
    polres: &str,
    base: Option<u64>,
    entries: Vec<RawPolsek>,
    from: &str,
) -> Result<Saved, ServiceError> {
    if !who.role.may(Action::ManageUsers) {
        return Err(ServiceError::RoleMayNot { role: who.role, action: "edit the Polsek list" });
    }
    let (saved, next, d) = save(&app.store, &app.units, &who.username, polres, base, entries)?;
    app.store.durable(d).await?;
    app.set_directory(next);
    let what = format!("{} v{}", saved.polres, saved.version);
    app.store.log_access(now(), &who.username, "polsek_save", &what, from)?;
    Ok(saved)
}

/// Puts the saved lists in force again (after the admin socket saved one).
pub fn reload(app: &App) -> Result<(), ServiceError> {
    app.set_directory(directory_of(&app.store, &app.units)?);
    Ok(())
}

/// What `GET /api/v1/polsek` shows: each Polres of this node (at the hub, every Polres) with its
/// list in force, where it came from and its versions.
pub struct Book {
    /// the Polres whose list this node may edit (none at the hub)
    pub editable: Vec<UnitCode>,
    pub polres: Vec<PolresList>,
}

pub struct PolresList {
    pub polres: crate::model::Unit,
    /// the list in force: the newest saved version, else the units file's entries (version 0)
    pub polsek: Vec<crate::model::Unit>,
    pub current: Option<Saved>,
    pub versions: Vec<Saved>,
}

pub fn book(app: &App) -> Result<Book, ServiceError> {
    let editable = editable(&app.units, &app.node);
    let dir = app.directory();
    let mut all = history(&app.store)?;
    let polres = dir
        .units
        .iter()
        .filter(|u| matches!(u.kind, UnitKind::Polres | UnitKind::Polrestabes))
        .filter(|u| editable.is_empty() || editable.contains(&u.code))
        .map(|u| {
            let versions = all.remove(u.code.as_str()).unwrap_or_default();
            PolresList {
                polres: u.clone(),
                polsek: dir.polsek_of(&u.code).cloned().collect(),
                current: versions.last().cloned(),
                versions,
            }
        })
        .collect();
    Ok(Book { editable, polres })
}

/// The newest list of each Polres this node holds above `sent` (what the parent has taken):
/// the child's own and those its own children sent it.
pub fn lists_after(app: &App, sent: &BTreeMap<String, u64>) -> Result<Vec<Saved>, ServiceError> {
    Ok(latest(&app.store)?.into_values().filter(|s| sent.get(&s.polres).is_none_or(|v| s.version > *v)).collect())
}

/// Takes lists a child sent up: each must be of a Polres whose post is the child or below it,
/// fit the units here, and be newer than the version held (older ones are skipped). Returns how
/// many were new; a refusal names the list and keeps the ones before it.
pub async fn receive(app: &App, child: &NodeCode, lists: Vec<Saved>) -> Result<usize, ServiceError> {
    let mut taken = 0;
    for s in lists {
        let unit = UnitCode::parse(&s.polres).ok().and_then(|c| app.units.get(&c).cloned());
        let Some(unit) = unit.filter(|u| matches!(u.kind, UnitKind::Polres | UnitKind::Polrestabes)) else {
            return Err(ServiceError::PolsekNotHere(s.polres));
        };
        if !super::sync::may_send(app, child, &unit.node) {
            return Err(ServiceError::PolsekNotHere(s.polres));
        }
        if s.version <= held(&app.store, &s.polres)? {
            continue;
        }
        let next = app.directory().with_polsek(&unit.code, &s.polsek)?;
        let (_, d) = app.store.write(now(), |tx| -> Result<(), ServiceError> {
            tx.kv_put(Kv::Polsek, &version_key(&s.polres, s.version), Some(&s));
            tx.kv_put(Kv::Polsek, &head_key(&s.polres), Some(&s.version));
            Ok(())
        })?;
        app.store.durable(d).await?;
        app.set_directory(next);
        let what = format!("{} v{} ({})", s.polres, s.version, s.by);
        app.store.log_access(now(), child.as_str(), "polsek_received", &what, "sync")?;
        taken += 1;
    }
    Ok(taken)
}

/// `banpol polsek show`: each Polres's list in force (one Polres's with `polres`), where it came
/// from, and its versions.
pub fn show(store: &Store, file: &Units, polres: Option<&str>) -> Result<String, ServiceError> {
    let dir = directory_of(store, file)?;
    let mut all = history(store)?;
    let mut lines = Vec::new();
    let wib = |m: Millis| m.rfc3339(crate::model::time::WIB);
    for p in dir.units.iter().filter(|u| matches!(u.kind, UnitKind::Polres | UnitKind::Polrestabes)) {
        if polres.is_some_and(|want| want != p.code.as_str()) {
            continue;
        }
        let versions = all.remove(p.code.as_str()).unwrap_or_default();
        let list: Vec<_> = dir.polsek_of(&p.code).collect();
        if list.is_empty() && versions.is_empty() && polres.is_none() {
            continue;
        }
        lines.push(match versions.last() {
            Some(s) => format!(
                "{} {}: version {}, saved by {} at {} on {}",
                p.code,
                p.name,
                s.version,
                s.by,
                wib(s.at),
                s.node
            ),
            None => format!("{} {}: the units file's entries (version 0)", p.code, p.name),
        });
        for u in list {
            let names: Vec<String> = u
                .districts
                .iter()
                .map(|d| format!("{d} {}", file.areas.get(Level::District, d).map(|a| a.name.as_str()).unwrap_or("?")))
                .collect();
            let example = if u.example { " (example)" } else { "" };
            lines.push(format!("  {:<12} {}{example}: {}", u.code.as_str(), u.name, names.join(", ")));
        }
        for s in versions.iter().rev().skip(1) {
            lines.push(format!(
                "  earlier: version {} by {} at {} ({} Polsek)",
                s.version,
                s.by,
                wib(s.at),
                s.polsek.len()
            ));
        }
    }
    if lines.is_empty() {
        lines.push("no Polsek listed".to_owned());
    }
    Ok(lines.join("\n"))
}

impl App {
    /// The units with each Polres's newest saved Polsek list (the units file's `[[polsek]]`
    /// where none was saved): what dispatch, accounts and unit names use.
    pub fn directory(&self) -> Arc<Units> {
        self.directory.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_directory(&self, units: Units) {
        *self.directory.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(units);
    }
}
