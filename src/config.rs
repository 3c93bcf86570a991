//! Typed configuration, layered: built-in defaults < `--config FILE` (TOML) < `BANPOL_*`
//! environment < command-line flags. Unknown keys in the file or unknown `BANPOL_*` variables
//! are errors: a typo must not silently fall back to a default.

use crate::metrics::AllowList;
use crate::model::time::parse_duration;
use crate::model::NodeCode;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_SOP: &str = include_str!("../data/sop-reference.toml");
pub const DEFAULT_UNITS: &str = include_str!("../data/polda-sumsel-units.toml");

#[derive(Debug, Clone)]
pub struct Config {
    pub node_code: NodeCode,
    /// whether a layer named the node code (else it is the default, PLG): the CLI creates no
    /// store under the default
    pub node_code_given: bool,
    pub data_dir: PathBuf,
    pub listen: Vec<SocketAddr>,
    /// seed demo cases and demo accounts into an empty store
    pub demo: bool,
    pub sop_file: Option<PathBuf>,
    pub units_file: Option<PathBuf>,
    /// sled page-cache bound
    pub cache_capacity_mb: u64,
    pub session_ttl_ms: u64,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// how often the deadline scheduler looks for due escalations
    pub scheduler_tick_ms: u64,
    /// public intake limits as (requests, per milliseconds); `None` = off
    pub intake_limit_per_ip: Option<(u32, u64)>,
    pub intake_limit_per_phone: Option<(u32, u64)>,
    /// public tracking lookups per address, as (requests, per milliseconds); `None` = off
    pub tracking_limit_per_ip: Option<(u32, u64)>,
    /// the WhatsApp Banpol channel; off unless configured
    pub whatsapp: Option<WhatsAppConfig>,
    /// the parent's sync URL (`https://HUB:8444`); overrides the one `node join` recorded
    pub upstream: Option<String>,
    /// where and when this node serves sync to its children (mutual TLS)
    pub sync_listen: SyncListen,
    /// how long a newly installed release has to prove itself before it is rolled back
    pub update_probation_ms: u64,
    /// who may read `GET /metrics` (default: loopback only)
    pub metrics_allow: AllowList,
    /// the export of the event log into PostgreSQL (`src/export/`); off unless configured
    pub export: Option<ExportConfig>,
    /// what a release supervisor told this process (not settings: no file key or flag sets them)
    pub supervision: Supervision,
}

/// The variables a release supervisor sets on the child it starts (`update::supervise`), read
/// here like every other variable and passed down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supervision {
    /// `BANPOL_SUPERVISED`: the release version this process was started as, by a supervisor
    pub supervised: Option<String>,
    /// `BANPOL_PROBATION`: the version this process must prove before `update_probation` ends
    pub probation: Option<String>,
    /// `BANPOL_TEST_TRUSTED_KEY`: hex release keys trusted besides the compiled ones; the
    /// variable exists only in `test-hooks` builds (`update::TrustedKeys::load`)
    #[cfg(feature = "test-hooks")]
    pub test_trusted_keys: Option<String>,
    /// `BANPOL_TEST_CLOCK`: a file holding the unix milliseconds `service::now()` answers (a
    /// frozen clock the recap tests move); exists only in `test-hooks` builds
    #[cfg(feature = "test-hooks")]
    pub test_clock: Option<PathBuf>,
}

impl Supervision {
    fn or(self, low: Supervision) -> Supervision {
        Supervision {
            supervised: self.supervised.or(low.supervised),
            probation: self.probation.or(low.probation),
            #[cfg(feature = "test-hooks")]
            test_trusted_keys: self.test_trusted_keys.or(low.test_trusted_keys),
            #[cfg(feature = "test-hooks")]
            test_clock: self.test_clock.or(low.test_clock),
        }
    }
}

/// When a node listens for its children's sync (`sync_listen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncListen {
    /// `off`: never
    Off,
    /// the default (`127.0.0.1:8444`), or `on-demand:ADDR`: bound only while the node has
    /// enrolled children or an open invitation, so nodes that serve no children (most posts,
    /// a second node on one machine) hold no port; `node invite` opens it on a running node
    OnDemand(SocketAddr),
    /// an address set explicitly: bound at start
    Always(SocketAddr),
}

impl SyncListen {
    pub const DEFAULT_ADDR: ([u8; 4], u16) = ([127, 0, 0, 1], 8444);

    fn parse(s: &str) -> Result<SyncListen, ConfigError> {
        let bad = || {
            ConfigError::Invalid(format!(
                "sync_listen: {s:?} is not an address like 0.0.0.0:8444, on-demand, on-demand:ADDRESS, or off"
            ))
        };
        let addr = |a: &str| a.parse::<SocketAddr>().map_err(|_| bad());
        match s.trim() {
            "off" => Ok(SyncListen::Off),
            "on-demand" => Ok(SyncListen::OnDemand(Self::DEFAULT_ADDR.into())),
            t => match t.strip_prefix("on-demand:") {
                Some(a) => Ok(SyncListen::OnDemand(addr(a.trim())?)),
                None => Ok(SyncListen::Always(addr(t)?)),
            },
        }
    }
}

/// Whether this data directory was joined to a parent (`banpol node join`).
pub fn joined(data_dir: &Path) -> bool {
    data_dir.join("sync-upstream.json").exists()
}

/// A secret: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where and how the event log is exported (`export_postgres`, `export_personal_data`).
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// `postgres://user:password@host:port/db?sslmode=...`: holds the password, never logged
    /// (parsed by the export task, which names a malformed URL without repeating it)
    pub url: Secret,
    /// export reporters' phone numbers and names, descriptions and addresses as they are
    /// (default: pseudonymised and left out)
    pub personal_data: bool,
}

#[derive(Debug, Clone)]
pub struct WhatsAppConfig {
    /// what Meta sends in the verification handshake (`hub.verify_token`)
    pub verify_token: Secret,
    /// signs every webhook delivery (`X-Hub-Signature-256`)
    pub app_secret: Secret,
    /// bearer token for the Graph API
    pub access_token: Secret,
    /// the business number's id; deliveries for other numbers are ignored
    pub phone_number_id: String,
    pub graph_url: String,
    pub api_version: String,
    /// the approved template used outside the 24-hour customer-service window
    pub template: String,
    pub template_language: String,
}

/// One layer of settings; every field optional. The same names are used in the TOML file,
/// as `BANPOL_<NAME>` variables and as `--<name>` flags.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub node_code: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<Vec<String>>,
    pub demo: Option<bool>,
    pub sop_file: Option<PathBuf>,
    pub units_file: Option<PathBuf>,
    pub cache_capacity_mb: Option<u64>,
    pub session_ttl: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub scheduler_tick_ms: Option<u64>,
    /// `N/duration` (e.g. `60/1m`) or `off`
    pub intake_limit_per_ip: Option<String>,
    pub intake_limit_per_phone: Option<String>,
    /// `N/duration` (e.g. `30/1m`) or `off`
    pub tracking_limit_per_ip: Option<String>,
    pub whatsapp_verify_token: Option<String>,
    pub whatsapp_app_secret: Option<String>,
    pub whatsapp_access_token: Option<String>,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_graph_url: Option<String>,
    pub whatsapp_api_version: Option<String>,
    pub whatsapp_template: Option<String>,
    pub whatsapp_template_language: Option<String>,
    pub upstream: Option<String>,
    /// an address, or `off`
    pub sync_listen: Option<String>,
    /// e.g. `5m`
    pub update_probation: Option<String>,
    /// `["any"]`, or addresses and CIDRs; default loopback only
    pub metrics_allow: Option<Vec<String>>,
    /// `postgres://…` (file or `BANPOL_EXPORT_POSTGRES`: a flag would show the password in `ps`)
    pub export_postgres: Option<String>,
    pub export_personal_data: Option<bool>,
    /// set from the environment only
    #[serde(skip)]
    pub supervision: Supervision,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {err}")]
    Read { path: String, err: std::io::Error },
    #[error("config file {path}: {err}")]
    Parse { path: String, err: toml::de::Error },
    #[error("{0}")]
    Invalid(String),
}

impl Layer {
    fn over(self, top: Layer) -> Layer {
        Layer {
            node_code: top.node_code.or(self.node_code),
            data_dir: top.data_dir.or(self.data_dir),
            listen: top.listen.or(self.listen),
            demo: top.demo.or(self.demo),
            sop_file: top.sop_file.or(self.sop_file),
            units_file: top.units_file.or(self.units_file),
            cache_capacity_mb: top.cache_capacity_mb.or(self.cache_capacity_mb),
            session_ttl: top.session_ttl.or(self.session_ttl),
            tls_cert: top.tls_cert.or(self.tls_cert),
            tls_key: top.tls_key.or(self.tls_key),
            scheduler_tick_ms: top.scheduler_tick_ms.or(self.scheduler_tick_ms),
            intake_limit_per_ip: top.intake_limit_per_ip.or(self.intake_limit_per_ip),
            intake_limit_per_phone: top.intake_limit_per_phone.or(self.intake_limit_per_phone),
            tracking_limit_per_ip: top.tracking_limit_per_ip.or(self.tracking_limit_per_ip),
            whatsapp_verify_token: top.whatsapp_verify_token.or(self.whatsapp_verify_token),
            whatsapp_app_secret: top.whatsapp_app_secret.or(self.whatsapp_app_secret),
            whatsapp_access_token: top.whatsapp_access_token.or(self.whatsapp_access_token),
            whatsapp_phone_number_id: top.whatsapp_phone_number_id.or(self.whatsapp_phone_number_id),
            whatsapp_graph_url: top.whatsapp_graph_url.or(self.whatsapp_graph_url),
            whatsapp_api_version: top.whatsapp_api_version.or(self.whatsapp_api_version),
            whatsapp_template: top.whatsapp_template.or(self.whatsapp_template),
            whatsapp_template_language: top.whatsapp_template_language.or(self.whatsapp_template_language),
            upstream: top.upstream.or(self.upstream),
            sync_listen: top.sync_listen.or(self.sync_listen),
            update_probation: top.update_probation.or(self.update_probation),
            metrics_allow: top.metrics_allow.or(self.metrics_allow),
            export_postgres: top.export_postgres.or(self.export_postgres),
            export_personal_data: top.export_personal_data.or(self.export_personal_data),
            supervision: top.supervision.or(self.supervision),
        }
    }

    pub fn from_file(path: &Path) -> Result<Layer, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read { path: p.clone(), err })?;
        toml::from_str(&text).map_err(|err| ConfigError::Parse { path: p, err })
    }

    /// This process's `BANPOL_*` variables: the one place the environment is read.
    pub fn from_process_env() -> Result<Layer, ConfigError> {
        Self::from_env(std::env::vars())
    }

    /// Reads `BANPOL_*` variables (except `BANPOL_CONFIG`, the file path itself).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<Layer, ConfigError> {
        let mut l = Layer::default();
        let bad = |k: &str, v: &str, what: &str| ConfigError::Invalid(format!("{k}={v:?}: {what}"));
        for (k, v) in vars {
            let Some(name) = k.strip_prefix("BANPOL_") else {
                continue;
            };
            match name {
                // the file path itself; the package's purge switch
                "CONFIG" | "PURGE_DATA" => {}
                // the supervisor's own variables (an empty probation: none)
                "SUPERVISED" => l.supervision.supervised = Some(v),
                "PROBATION" => l.supervision.probation = Some(v).filter(|v| !v.is_empty()),
                // used by `update::TrustedKeys::load`; exists only in test builds
                #[cfg(feature = "test-hooks")]
                "TEST_TRUSTED_KEY" => l.supervision.test_trusted_keys = Some(v),
                #[cfg(feature = "test-hooks")]
                "TEST_CLOCK" => l.supervision.test_clock = Some(v.into()),
                "NODE_CODE" => l.node_code = Some(v),
                "DATA_DIR" => l.data_dir = Some(v.into()),
                "LISTEN" => l.listen = Some(v.split(',').map(|s| s.trim().to_owned()).collect()),
                "DEMO" => l.demo = Some(parse_bool(&v).ok_or_else(|| bad(&k, &v, "use true or false"))?),
                "NO_DEMO" => l.demo = Some(!parse_bool(&v).ok_or_else(|| bad(&k, &v, "use true or false"))?),
                "SOP_FILE" => l.sop_file = Some(v.into()),
                "UNITS_FILE" => l.units_file = Some(v.into()),
                "CACHE_CAPACITY_MB" => l.cache_capacity_mb = Some(v.parse().map_err(|_| bad(&k, &v, "use a number"))?),
                "SESSION_TTL" => l.session_ttl = Some(v),
                "TLS_CERT" => l.tls_cert = Some(v.into()),
                "TLS_KEY" => l.tls_key = Some(v.into()),
                "WHATSAPP_VERIFY_TOKEN" => l.whatsapp_verify_token = Some(v),
                "WHATSAPP_APP_SECRET" => l.whatsapp_app_secret = Some(v),
                "WHATSAPP_ACCESS_TOKEN" => l.whatsapp_access_token = Some(v),
                "WHATSAPP_PHONE_NUMBER_ID" => l.whatsapp_phone_number_id = Some(v),
                "WHATSAPP_GRAPH_URL" => l.whatsapp_graph_url = Some(v),
                "WHATSAPP_API_VERSION" => l.whatsapp_api_version = Some(v),
                "WHATSAPP_TEMPLATE" => l.whatsapp_template = Some(v),
                "WHATSAPP_TEMPLATE_LANGUAGE" => l.whatsapp_template_language = Some(v),
                "UPDATE_PROBATION" => l.update_probation = Some(v),
                "METRICS_ALLOW" => l.metrics_allow = Some(v.split(',').map(|s| s.trim().to_owned()).collect()),
                "INTAKE_LIMIT_PER_IP" => l.intake_limit_per_ip = Some(v),
                "INTAKE_LIMIT_PER_PHONE" => l.intake_limit_per_phone = Some(v),
                "TRACKING_LIMIT_PER_IP" => l.tracking_limit_per_ip = Some(v),
                "UPSTREAM" => l.upstream = Some(v),
                "EXPORT_POSTGRES" => l.export_postgres = Some(v),
                "EXPORT_PERSONAL_DATA" => {
                    l.export_personal_data = Some(parse_bool(&v).ok_or_else(|| bad(&k, &v, "use true or false"))?)
                }
                "SYNC_LISTEN" => l.sync_listen = Some(v),
                "SCHEDULER_TICK_MS" => l.scheduler_tick_ms = Some(v.parse().map_err(|_| bad(&k, &v, "use a number"))?),
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "unknown setting {k}: check the spelling (see README, Configuration)"
                    )))
                }
            }
        }
        Ok(l)
    }
}

/// `N/duration` (`60/1m`) as (N, milliseconds), or `off`.
fn parse_limit(name: &str, s: &str) -> Result<Option<(u32, u64)>, ConfigError> {
    if s.trim() == "off" {
        return Ok(None);
    }
    let bad = || ConfigError::Invalid(format!("{name}: {s:?} is not a limit like 60/1m (or off)"));
    let (n, d) = s.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    let ms = parse_duration(d).ok_or_else(bad)?;
    if n == 0 {
        return Err(bad());
    }
    Ok(Some((n, ms)))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Builds the config from its layers: defaults < file < env < flags.
    pub fn load(file: Option<&Path>, env: Layer, flags: Layer) -> Result<Config, ConfigError> {
        let file = match file {
            Some(p) => Layer::from_file(p)?,
            None => Layer::default(),
        };
        Self::from_layer(file.over(env).over(flags))
    }

    pub fn from_layer(l: Layer) -> Result<Config, ConfigError> {
        let inv = ConfigError::Invalid;
        let node_code =
            NodeCode::parse(l.node_code.as_deref().unwrap_or("PLG")).map_err(|e| inv(format!("node_code: {e}")))?;
        let listen = l
            .listen
            .unwrap_or_else(|| vec!["127.0.0.1:8443".into()])
            .iter()
            .map(|s| {
                s.parse::<SocketAddr>().map_err(|_| inv(format!("listen: {s:?} is not an address like 127.0.0.1:8443")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if listen.is_empty() {
            return Err(inv("listen: give at least one address".into()));
        }
        let ttl = l.session_ttl.unwrap_or_else(|| "24h".into());
        let session_ttl_ms = parse_duration(&ttl)
            .ok_or_else(|| inv(format!("session_ttl: {ttl:?} is not a duration like 24h or 90s")))?;
        if l.tls_cert.is_some() != l.tls_key.is_some() {
            return Err(inv("tls_cert and tls_key go together: set both or neither".into()));
        }
        let probation = l.update_probation.unwrap_or_else(|| "5m".into());
        let update_probation_ms = parse_duration(&probation)
            .filter(|ms| *ms >= 1000)
            .ok_or_else(|| inv(format!("update_probation: {probation:?} is not a duration of at least 1s like 5m")))?;
        let metrics_allow = match &l.metrics_allow {
            Some(items) => AllowList::parse(items).map_err(|e| inv(format!("metrics_allow: {e}")))?,
            None => AllowList::default(),
        };
        let cache_capacity_mb = l.cache_capacity_mb.unwrap_or(16);
        if cache_capacity_mb == 0 {
            return Err(inv("cache_capacity_mb must be at least 1".into()));
        }
        let sync_listen = match l.sync_listen.as_deref() {
            Some(s) => SyncListen::parse(s)?,
            None => SyncListen::OnDemand(SyncListen::DEFAULT_ADDR.into()),
        };
        let upstream = match l.upstream.map(|u| u.trim().trim_end_matches('/').to_owned()) {
            Some(u) if u.is_empty() => None,
            Some(u) if !u.starts_with("https://") => {
                return Err(inv(format!("upstream: {u:?} must be an https:// URL like https://hub:8444")))
            }
            other => other,
        };
        Ok(Config {
            upstream,
            sync_listen,
            node_code_given: l.node_code.is_some(),
            node_code,
            data_dir: l.data_dir.unwrap_or_else(|| PathBuf::from("./banpol-data")),
            listen,
            demo: l.demo.unwrap_or(true),
            sop_file: l.sop_file,
            units_file: l.units_file,
            cache_capacity_mb,
            session_ttl_ms,
            tls_cert: l.tls_cert,
            tls_key: l.tls_key,
            scheduler_tick_ms: l.scheduler_tick_ms.unwrap_or(500).clamp(10, 60_000),
            intake_limit_per_ip: parse_limit(
                "intake_limit_per_ip",
                l.intake_limit_per_ip.as_deref().unwrap_or("60/1m"),
            )?,
            intake_limit_per_phone: parse_limit(
                "intake_limit_per_phone",
                l.intake_limit_per_phone.as_deref().unwrap_or("5/10m"),
            )?,
            tracking_limit_per_ip: parse_limit(
                "tracking_limit_per_ip",
                l.tracking_limit_per_ip.as_deref().unwrap_or("30/1m"),
            )?,
            whatsapp: match (
                l.whatsapp_verify_token,
                l.whatsapp_app_secret,
                l.whatsapp_access_token,
                l.whatsapp_phone_number_id,
            ) {
                (None, None, None, None) => None,
                (Some(v), Some(a), Some(t), Some(p)) if ![&v, &a, &t, &p].iter().any(|s| s.trim().is_empty()) => {
                    Some(WhatsAppConfig {
                        verify_token: Secret(v),
                        app_secret: Secret(a),
                        access_token: Secret(t),
                        phone_number_id: p,
                        graph_url: l
                            .whatsapp_graph_url
                            .unwrap_or_else(|| "https://graph.facebook.com".into())
                            .trim_end_matches('/')
                            .to_owned(),
                        api_version: l.whatsapp_api_version.unwrap_or_else(|| "v21.0".into()),
                        template: l.whatsapp_template.unwrap_or_else(|| "banpol_status".into()),
                        template_language: l.whatsapp_template_language.unwrap_or_else(|| "id".into()),
                    })
                }
                _ => {
                    return Err(inv("whatsapp: set all of whatsapp_verify_token, whatsapp_app_secret, \
                        whatsapp_access_token and whatsapp_phone_number_id, or none of them"
                        .into()))
                }
            },
            update_probation_ms,
            metrics_allow,
            export: match l.export_postgres.map(|u| u.trim().to_owned()) {
                Some(u) if !u.is_empty() => {
                    Some(ExportConfig { url: Secret(u), personal_data: l.export_personal_data.unwrap_or(false) })
                }
                _ if l.export_personal_data == Some(true) => {
                    return Err(inv("export_personal_data is set but export_postgres is not".into()))
                }
                _ => None,
            },
            supervision: l.supervision,
        })
    }

    /// The SOP text in force: the configured file, else the embedded reference SOP.
    pub fn sop_text(&self) -> Result<String, ConfigError> {
        read_or(&self.sop_file, DEFAULT_SOP)
    }

    /// The units directory text: the configured file, else the embedded Polda Sumsel directory.
    pub fn units_text(&self) -> Result<String, ConfigError> {
        read_or(&self.units_file, DEFAULT_UNITS)
    }

    pub fn admin_socket(&self) -> PathBuf {
        self.data_dir.join("admin.sock")
    }
}

fn read_or(path: &Option<PathBuf>, default: &str) -> Result<String, ConfigError> {
    match path {
        Some(p) => std::fs::read_to_string(p).map_err(|err| ConfigError::Read { path: p.display().to_string(), err }),
        None => Ok(default.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("banpol.toml");
        std::fs::write(&f, "node_code = \"OKI\"\nlisten = [\"127.0.0.1:9000\"]\ndemo = false\n").unwrap();
        let env = Layer::from_env([
            ("BANPOL_LISTEN".to_string(), "127.0.0.1:9001".to_string()),
            ("PATH".into(), "/bin".into()),
        ])
        .unwrap();
        let flags = Layer { data_dir: Some("/tmp/x".into()), ..Default::default() };
        let c = Config::load(Some(&f), env, flags).unwrap();
        assert_eq!(c.node_code.as_str(), "OKI");
        assert_eq!(c.listen, vec!["127.0.0.1:9001".parse::<SocketAddr>().unwrap()]);
        assert!(!c.demo);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn defaults_make_the_demo_post() {
        let c = Config::load(None, Layer::default(), Layer::default()).unwrap();
        assert_eq!(c.node_code.as_str(), "PLG");
        assert_eq!(c.listen, vec!["127.0.0.1:8443".parse::<SocketAddr>().unwrap()]);
        assert_eq!(c.data_dir, PathBuf::from("./banpol-data"));
        assert!(c.demo);
        assert_eq!(c.intake_limit_per_ip, Some((60, 60_000)));
        assert_eq!(c.intake_limit_per_phone, Some((5, 600_000)));
        assert_eq!(c.tracking_limit_per_ip, Some((30, 60_000)));
        assert_eq!(c.update_probation_ms, 300_000);
        assert_eq!(c.metrics_allow, AllowList::default());
        let env = Layer::from_env([
            ("BANPOL_UPDATE_PROBATION".to_string(), "90s".to_string()),
            ("BANPOL_METRICS_ALLOW".into(), "10.0.0.0/8, ::1".into()),
            ("BANPOL_SUPERVISED".into(), "0.2.0".into()),
        ])
        .unwrap();
        let c = Config::from_layer(env).unwrap();
        assert_eq!(c.update_probation_ms, 90_000);
        assert!(
            c.metrics_allow.allows("10.1.2.3".parse().unwrap())
                && !c.metrics_allow.allows("127.0.0.1".parse().unwrap())
        );
        for bad in [
            Layer { update_probation: Some("0s".into()), ..Default::default() },
            Layer { metrics_allow: Some(vec!["10.0.0.0/40".into()]), ..Default::default() },
        ] {
            assert!(Config::from_layer(bad).is_err());
        }
        let off = Config::from_layer(Layer { intake_limit_per_ip: Some("off".into()), ..Default::default() }).unwrap();
        assert_eq!(off.intake_limit_per_ip, None);
        assert!(Config::from_layer(Layer {
            intake_limit_per_phone: Some("5 per minute".into()),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn sync_listen_is_on_demand_unless_set() {
        let with = |v: Option<&str>| {
            Config::from_layer(Layer { sync_listen: v.map(Into::into), ..Default::default() }).map(|c| c.sync_listen)
        };
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        for (value, expect) in [
            (None, Some(SyncListen::OnDemand(a("127.0.0.1:8444")))),
            (Some("off"), Some(SyncListen::Off)),
            (Some(" off "), Some(SyncListen::Off)),
            (Some("0.0.0.0:8444"), Some(SyncListen::Always(a("0.0.0.0:8444")))),
            (Some("127.0.0.1:0"), Some(SyncListen::Always(a("127.0.0.1:0")))),
            (Some("on-demand"), Some(SyncListen::OnDemand(a("127.0.0.1:8444")))),
            (Some("on-demand:0.0.0.0:9444"), Some(SyncListen::OnDemand(a("0.0.0.0:9444")))),
            (Some("on-demand:[::]:8444"), Some(SyncListen::OnDemand(a("[::]:8444")))),
            (Some("on-demand:"), None),
            (Some("8444"), None),
            (Some("sometimes"), None),
        ] {
            assert_eq!(with(value).ok(), expect, "sync_listen = {value:?}");
        }
        let e = with(Some("8444")).unwrap_err();
        assert!(e.to_string().contains("on-demand"), "{e}");
    }

    #[test]
    fn the_node_code_is_known_to_be_given_or_defaulted() {
        let c = Config::from_layer(Layer::default()).unwrap();
        assert!(!c.node_code_given);
        let c = Config::from_layer(Layer { node_code: Some("PLG".into()), ..Default::default() }).unwrap();
        assert!(c.node_code_given, "naming the default code counts as naming it");
    }

    #[test]
    fn the_export_url_is_a_secret_and_personal_data_is_opt_in() {
        let var = |k: &str, v: &str| (k.to_string(), v.to_string());
        let env = Layer::from_env([var("BANPOL_EXPORT_POSTGRES", "postgres://banpol:s3cret-pw@db/banpol")]).unwrap();
        let c = Config::from_layer(env).unwrap();
        let e = c.export.as_ref().expect("export configured");
        assert!(!e.personal_data);
        assert_eq!(e.url.expose(), "postgres://banpol:s3cret-pw@db/banpol");
        assert!(!format!("{c:?}").contains("s3cret-pw"), "the password shows in Debug");
        let env = Layer::from_env([
            var("BANPOL_EXPORT_POSTGRES", "postgres://db/x"),
            var("BANPOL_EXPORT_PERSONAL_DATA", "true"),
        ]);
        assert!(Config::from_layer(env.unwrap()).unwrap().export.unwrap().personal_data);
        let alone = Layer::from_env([var("BANPOL_EXPORT_PERSONAL_DATA", "true")]).unwrap();
        assert!(Config::from_layer(alone).unwrap_err().to_string().contains("export_postgres"));
        assert!(Config::from_layer(Layer::default()).unwrap().export.is_none());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("banpol.toml");
        std::fs::write(&f, "node_kode = \"OKI\"\n").unwrap();
        let e = Config::load(Some(&f), Layer::default(), Layer::default()).unwrap_err();
        assert!(e.to_string().contains("unknown field `node_kode`"), "{e}");
        let e = Layer::from_env([("BANPOL_LISTN".to_string(), "x".to_string())]).unwrap_err();
        assert!(e.to_string().contains("unknown setting BANPOL_LISTN"), "{e}");
        // test-only settings exist only where the `test-hooks` feature is on (tests, never a
        // release build; `tests/release-binary.sh` checks the shipped binary)
        let test_key = Layer::from_env([("BANPOL_TEST_TRUSTED_KEY".to_string(), "ab".to_string())]);
        assert_eq!(test_key.is_ok(), cfg!(feature = "test-hooks"), "{test_key:?}");
        let e = Config::from_layer(Layer { listen: Some(vec!["nowhere".into()]), ..Default::default() }).unwrap_err();
        assert!(e.to_string().contains("listen"), "{e}");
    }

    /// The supervisor's variables are read here, like every variable, and reach `Config`; a
    /// file cannot set them.
    #[test]
    fn the_supervisors_variables_reach_the_config() {
        let var = |k: &str, v: &str| (k.to_string(), v.to_string());
        let env = Layer::from_env([var("BANPOL_SUPERVISED", "1.4.0"), var("BANPOL_PROBATION", "1.4.0")]).unwrap();
        let c = Config::load(None, env, Layer::default()).unwrap();
        assert_eq!(c.supervision.supervised.as_deref(), Some("1.4.0"));
        assert_eq!(c.supervision.probation.as_deref(), Some("1.4.0"));
        let env = Layer::from_env([var("BANPOL_PROBATION", "")]).unwrap();
        assert_eq!(Config::from_layer(env).unwrap().supervision, Supervision::default(), "empty: not on probation");
        #[cfg(feature = "test-hooks")]
        {
            let env = Layer::from_env([var("BANPOL_TEST_TRUSTED_KEY", "ab,cd")]).unwrap();
            assert_eq!(Config::from_layer(env).unwrap().supervision.test_trusted_keys.as_deref(), Some("ab,cd"));
        }
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("banpol.toml");
        std::fs::write(&f, "supervision = \"x\"\n").unwrap();
        assert!(Config::load(Some(&f), Layer::default(), Layer::default()).is_err());
    }
}
