//! First start: the first `admin` account, and for a demo post a few accounts and cases that
//! show every state of the workflow.

use super::auth::{add_user, generate_password, Staff};
use super::{cases, intake, App, ServiceError};
use crate::model::event::Channel;
use crate::model::report::RawReport;
use crate::model::{Actor, CaseAction, Command, Priority, Role, UnitCode};
use CaseAction as A;

/// An account made at first start, with the password to print once.
pub struct FirstLogin {
    pub username: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub password: String,
}

/// Makes the first admin when the store has no accounts, and the demo data when asked and the
/// store has no cases. Returns the accounts made (their passwords are not stored anywhere else).
pub async fn first_start(app: &App, demo: bool) -> Result<Vec<FirstLogin>, ServiceError> {
    let mut made = Vec::new();
    if app.store.users()?.is_empty() {
        made.push(make(app, "admin", Role::TikAdmin, None)?);
        if demo {
            let own_unit = app.units.units.iter().find(|u| u.node == app.node).map(|u| u.code.clone());
            made.push(make(app, "operator", Role::Operator, None)?);
            made.push(make(app, "pasiaga", Role::PaSiaga, None)?);
            made.push(make(app, "kasiaga", Role::KaSiaga, None)?);
            if let Some(u) = &own_unit {
                made.push(make(
                    app,
                    &format!("unit.{}", u.as_str().to_lowercase()),
                    Role::UnitOfficer,
                    Some(u.as_str()),
                )?);
            }
            made.push(make(app, "auditor", Role::Auditor, None)?);
        }
        app.store.flush_now()?;
    }
    if demo && app.store.case_count() == 0 {
        seed_cases(app).await?;
    }
    Ok(made)
}

fn make(app: &App, name: &str, role: Role, unit: Option<&str>) -> Result<FirstLogin, ServiceError> {
    let password = generate_password();
    let u = add_user(&app.store, &app.units, name, role, unit, &password, false)?;
    Ok(FirstLogin { username: u.username, role, unit: u.unit, password })
}

struct DemoCase {
    category: &'static str,
    description: &'static str,
    name: &'static str,
    phone: &'static str,
    address: &'static str,
    priority: Option<Priority>,
    /// workflow steps to play after intake
    steps: &'static [CaseAction],
}

const DEMO: &[DemoCase] = &[
    DemoCase {
        category: "crime",
        description: "Sepeda motor Honda Beat hitam saya dicuri di parkiran pasar pagi ini, pelaku dua orang.",
        name: "Rahmat Hidayat",
        phone: "0812-7311-0001",
        address: "Pasar 16 Ilir, Jl. Masjid Lama",
        priority: Some(Priority::High),
        steps: &[],
    },
    DemoCase {
        category: "information",
        description: "Bagaimana cara memperpanjang SIM C yang sudah habis masa berlakunya dua bulan?",
        name: "Siti Aminah",
        phone: "0813-6700-0002",
        address: "Jl. Demang Lebar Daun No. 12",
        priority: None,
        steps: &[A::Verify],
    },
    DemoCase {
        category: "crime",
        description: "Terjadi perkelahian antar pemuda di depan minimarket, satu orang terluka.",
        name: "Andi Saputra",
        phone: "0821-7700-0003",
        address: "Jl. Jenderal Sudirman KM 4",
        priority: Some(Priority::Emergency),
        steps: &[A::Verify, A::Dispatch],
    },
    DemoCase {
        category: "feedback",
        description: "Pelayanan pembuatan SKCK di Polrestabes sangat lama, antrean tidak teratur.",
        name: "Dewi Lestari",
        phone: "0852-6600-0004",
        address: "Jl. Kapten Rivai No. 5",
        priority: None,
        steps: &[A::Verify, A::Dispatch, A::Acknowledge, A::Progress],
    },
    DemoCase {
        category: "appreciation",
        description: "Terima kasih kepada petugas patroli yang membantu mendorong mobil saya yang mogok saat banjir.",
        name: "Hendra Wijaya",
        phone: "0811-7800-0005",
        address: "Jl. Angkatan 45",
        priority: None,
        steps: &[A::Verify, A::Dispatch, A::Acknowledge, A::Progress, A::Resolve],
    },
    // a repeat prankster: three hoaxes rejected as pranks get the number blocked; the fourth
    // report shows its score and reasons in the queue (and still reaches it: it is a crime report)
    DemoCase {
        category: "crime",
        description: "Ada bom di sekolah, cepat datang sekarang juga!!! hahaha",
        name: "Anonim",
        phone: "0899-0000-0006",
        address: "Sekolah",
        priority: None,
        steps: &[A::Reject],
    },
    DemoCase {
        category: "crime",
        description: "Ada perampokan bank di pusat kota, pelaku bawa senjata api, cepat!!",
        name: "Anonim",
        phone: "0899-0000-0006",
        address: "Pusat kota",
        priority: None,
        steps: &[A::Reject],
    },
    DemoCase {
        category: "information",
        description: "tes tes tes tes tes tes",
        name: "Anonim",
        phone: "0899-0000-0006",
        address: "Rumah",
        priority: None,
        steps: &[A::Reject],
    },
    DemoCase {
        category: "crime",
        description: "Ada bom di mall Palembang Indah, cepat datang!!! hahaha",
        name: "Anonim",
        phone: "0899-0000-0006",
        address: "Mall",
        priority: None,
        steps: &[],
    },
];

async fn seed_cases(app: &App) -> Result<(), ServiceError> {
    let regency = app
        .units
        .units
        .iter()
        .find(|u| u.node == app.node && u.regency.is_some())
        .and_then(|u| u.regency.clone())
        .unwrap_or_else(|| app.units.regencies().next().unwrap_or_default().to_owned());
    let unit =
        app.units.units.iter().find(|u| u.node == app.node).map(|u| u.code.clone()).ok_or(ServiceError::NoDemoUnit)?;
    let desk = Staff { username: "operator".into(), role: Role::Operator, unit: None, csrf: String::new() };
    let officer = Staff {
        username: format!("unit.{}", unit.as_str().to_lowercase()),
        role: Role::UnitOfficer,
        unit: Some(unit.clone()),
        csrf: String::new(),
    };
    for d in DEMO {
        let raw = RawReport {
            category: Some(d.category.into()),
            description: Some(d.description.into()),
            reporter_name: Some(d.name.into()),
            reporter_phone: Some(d.phone.into()),
            regency: Some(regency.clone()),
            district: None,
            village: None,
            address: Some(d.address.into()),
            lat: None,
            lon: None,
            priority: d.priority.map(|p| p.as_str().to_owned()),
        };
        let channel = if d.priority.is_some() { Channel::Phone } else { Channel::Web };
        let actor = if d.priority.is_some() {
            Actor::Staff { user: desk.username.clone(), role: Role::Operator, unit: None }
        } else {
            Actor::Citizen
        };
        let receipt = intake::submit(app, raw, channel, actor).await?;
        for step in d.steps {
            let (who, cmd) = match *step {
                A::Verify => (&desk, Command::Verify { method: "callback_confirmed".into(), priority: None }),
                A::Reject => (
                    &desk,
                    Command::Reject {
                        reason: "prank".into(),
                        note: "Nomor tidak dapat dihubungi kembali; sekolah dicek, aman.".into(),
                    },
                ),
                A::Dispatch => {
                    (&desk, Command::Dispatch { unit: unit.clone(), note: "Mohon segera ditindaklanjuti.".into() })
                }
                A::Acknowledge => (&officer, Command::Acknowledge { note: String::new() }),
                A::Progress => (&officer, Command::Progress { note: "Personel menuju lokasi.".into(), public: false }),
                A::Resolve => (
                    &officer,
                    Command::Resolve { summary: "Terima kasih, apresiasi telah disampaikan kepada personel.".into() },
                ),
                A::Close => (&desk, Command::Close { note: String::new() }),
                A::Reopen => (&desk, Command::Reopen { reason: "Pelapor menyampaikan kejadian berulang.".into() }),
                A::Note => (&desk, Command::Note { text: "Catatan demo.".into(), public: false }),
            };
            cases::act(app, who, &receipt.ticket, cmd).await?;
        }
    }
    Ok(())
}
