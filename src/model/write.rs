//! Who may write an event onto a case (the write rule, ARCHITECTURE.md "Sync"). Every node
//! checks it for each event another node sends it, before anything is stored; a node's own
//! writes meet it by construction (`Case::decide_at`, escalation on owned cases only, intake
//! at the ticket's node).

use super::case::Case;
use super::event::{Event, EventKind};
use super::ids::NodeCode;

/// What the receiving node knows of the federation's tree.
pub struct Tree<'a> {
    /// the root of the tree (the Polda hub): it sees every case and may take any back
    pub root: &'a NodeCode,
    /// whether `a` is known here to be above `b` (an ancestor on `b`'s way to the root)
    pub above: &'a dyn Fn(&NodeCode, &NodeCode) -> bool,
}

/// Why an event may not be written onto its case by its origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteRefusal {
    #[error("{writer} may not report case {case}: only its ticket's node {reporter} may")]
    NotReporter { writer: NodeCode, case: String, reporter: NodeCode },
    #[error("{writer} may not take case {case} over: only the root node may")]
    NotRoot { writer: NodeCode, case: String },
    #[error("{writer} never held case {case} and may not write {kind} onto it")]
    NotHolder { writer: NodeCode, case: String, kind: &'static str },
    #[error("{writer} may not write {kind} onto case {case}, whose report is not here")]
    Unknown { writer: NodeCode, case: String, kind: &'static str },
}

/// Whether `ev` may be written onto `case` (as this node holds it, `None` when its report is
/// not here yet) by the node that wrote it:
/// - `reported`: only by the node the ticket names (`PLG-…` by PLG);
/// - a takeover (`dispatched` with `takeover`): only by the root;
/// - anything else: by the root, or by a holder (a node that holds or held the case: its owner
///   when it wrote, or an owner overtaken by a concurrent dispatch, whose event the fold keeps
///   as a conflict); and a `noted` or `duplicate_linked`, which a node may write on any case it
///   sees, also by a node above a holder.
///
/// Without the case, the ticket's node stands in for its holders (it is the first).
pub fn may_write(case: Option<&Case>, ev: &Event, tree: &Tree<'_>) -> Result<(), WriteRefusal> {
    let writer = &ev.id.origin;
    let reporter = ev.case.origin();
    let kind = ev.kind.name();
    let refuse =
        |f: fn(NodeCode, String, &'static str) -> WriteRefusal| Err(f(writer.clone(), ev.case.to_string(), kind));
    match &ev.kind {
        EventKind::Reported(_) if writer != &reporter => {
            return Err(WriteRefusal::NotReporter { writer: writer.clone(), case: ev.case.to_string(), reporter })
        }
        EventKind::Reported(_) => return Ok(()),
        EventKind::Dispatched { takeover: true, .. } if writer != tree.root => {
            return Err(WriteRefusal::NotRoot { writer: writer.clone(), case: ev.case.to_string() })
        }
        _ => {}
    }
    if writer == tree.root {
        return Ok(());
    }
    let seen_by_others = matches!(ev.kind, EventKind::Noted { .. } | EventKind::DuplicateLinked { .. });
    let holders: Vec<&NodeCode> = match case {
        Some(c) => c.holders.iter().chain(std::iter::once(&reporter)).collect(),
        None => vec![&reporter],
    };
    if holders.contains(&writer) || (seen_by_others && holders.iter().any(|h| (tree.above)(writer, h))) {
        return Ok(());
    }
    match case {
        Some(_) => refuse(|writer, case, kind| WriteRefusal::NotHolder { writer, case, kind }),
        None => refuse(|writer, case, kind| WriteRefusal::Unknown { writer, case, kind }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Actor, Channel, Location, ReportedCase, Reporter};
    use crate::model::ids::{EventId, Phone, Ticket, UnitCode};
    use crate::model::prank::Assessment;
    use crate::model::sop::{Category, Priority};
    use crate::model::time::Hlc;

    fn node(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn ev(origin: &str, ticket: &str, kind: EventKind) -> Event {
        Event {
            id: EventId { origin: node(origin), seq: 1 },
            hlc: Hlc::new(1_000_000, 0),
            case: Ticket::parse(ticket).unwrap(),
            actor: Actor::System { node: node(origin) },
            sop_version: "draft-2022-12".into(),
            prev_hash: [0; 32],
            kind,
            checked: Vec::new(),
            drill: None,
        }
    }

    fn reported() -> EventKind {
        EventKind::Reported(Box::new(ReportedCase {
            category: Category::Crime,
            priority: Priority::Normal,
            description: "Pencurian motor di pasar".into(),
            reporter: Reporter { name: "Budi".into(), phone: Phone::parse("081234567890").unwrap() },
            location: Location { regency: "Kota Palembang".into(), address: "Pasar 16".into(), ..Default::default() },
            channel: Channel::Web,
            token_hash: "00".into(),
            suggested_unit: None,
            assessment: Assessment::default(),
            attachments: Vec::new(),
        }))
    }

    fn dispatch(to: &str, takeover: bool) -> EventKind {
        EventKind::Dispatched { unit: UnitCode::parse(to).unwrap(), node: node(to), note: String::new(), takeover }
    }

    fn note() -> EventKind {
        EventKind::Noted { text: "catatan".into(), public: false }
    }

    /// A case reported at PLGA (a node below PLG), dispatched to PLG, then to BAS.
    fn case() -> Case {
        let mut c = Case::open(&ev("PLGA", "PLGA-261128-0001", reported())).unwrap();
        c.holders.extend([node("PLG"), node("BAS")]);
        c
    }

    /// The tree as SUMSEL sees it: PLGA below PLG, OKIA below OKI.
    fn above(a: &NodeCode, b: &NodeCode) -> bool {
        matches!((a.as_str(), b.as_str()), ("PLG", "PLGA") | ("OKI", "OKIA"))
    }

    #[test]
    fn the_write_rule() {
        let root = node("SUMSEL");
        let tree = Tree { root: &root, above: &above };
        let known = case();
        let ack = || EventKind::Acknowledged { note: String::new() };
        let esc = || EventKind::Escalated {
            step: crate::model::sop::Step::Acknowledge,
            rung: 1,
            to_role: "ka_siaga".into(),
            due: crate::model::time::Millis(0),
        };
        let linked = || EventKind::DuplicateLinked { duplicate: Ticket::parse("OKI-261128-0002").unwrap() };
        // (writer, ticket, kind, the case is here, allowed)
        type Row = (&'static str, &'static str, EventKind, bool, Result<(), &'static str>);
        let table: Vec<Row> = vec![
            // reports: only by the ticket's node
            ("PLGA", "PLGA-261128-0001", reported(), false, Ok(())),
            ("PLG", "PLGA-261128-0001", reported(), false, Err("not_reporter")),
            ("SUMSEL", "PLGA-261128-0001", reported(), true, Err("not_reporter")),
            // takeovers: only the root
            ("SUMSEL", "PLGA-261128-0001", dispatch("SUMSEL", true), true, Ok(())),
            ("BAS", "PLGA-261128-0001", dispatch("BAS", true), true, Err("not_root")),
            ("PLG", "PLGA-261128-0001", dispatch("PLG", true), true, Err("not_root")),
            // holders: the reporter, the nodes dispatched to; the root writes anything
            ("BAS", "PLGA-261128-0001", ack(), true, Ok(())),
            ("PLG", "PLGA-261128-0001", dispatch("BAS", false), true, Ok(())),
            ("PLGA", "PLGA-261128-0001", esc(), true, Ok(())),
            ("SUMSEL", "PLGA-261128-0001", note(), true, Ok(())),
            ("SUMSEL", "PLGA-261128-0001", esc(), true, Ok(())),
            // never a holder: refused, whatever the kind
            ("OKI", "PLGA-261128-0001", ack(), true, Err("not_holder")),
            ("OKI", "PLGA-261128-0001", dispatch("OKI", false), true, Err("not_holder")),
            ("OKI", "PLGA-261128-0001", esc(), true, Err("not_holder")),
            ("OKI", "PLGA-261128-0001", note(), true, Err("not_holder")),
            ("OKIA", "PLGA-261128-0001", linked(), true, Err("not_holder")),
            // notes and duplicate links also by a node above a holder
            ("PLG", "PLGA-261128-0001", note(), true, Ok(())),
            ("PLG", "PLGA-261128-0001", linked(), true, Ok(())),
            ("OKI", "OKIA-261128-0001", note(), false, Ok(())),
            // the report is not here yet: the ticket's node stands for the holders
            ("PLGA", "PLGA-261128-0001", ack(), false, Ok(())),
            ("PLG", "PLGA-261128-0001", note(), false, Ok(())),
            ("PLG", "PLGA-261128-0001", ack(), false, Err("unknown")),
            ("BAS", "PLGA-261128-0001", note(), false, Err("unknown")),
            ("SUMSEL", "PLGA-261128-0001", note(), false, Ok(())),
        ];
        for (i, (writer, ticket, kind, here, want)) in table.into_iter().enumerate() {
            let e = ev(writer, ticket, kind);
            let got = may_write(here.then_some(&known), &e, &tree).map_err(|r| match r {
                WriteRefusal::NotReporter { .. } => "not_reporter",
                WriteRefusal::NotRoot { .. } => "not_root",
                WriteRefusal::NotHolder { .. } => "not_holder",
                WriteRefusal::Unknown { .. } => "unknown",
            });
            assert_eq!(got, want, "row {i}: {writer} writes {} onto {ticket}", e.kind.name());
        }
    }
}
