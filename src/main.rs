//! The `banpol` command: parse flags, load config, call the library.
#![forbid(unsafe_code)]

use anyhow::{bail, Context};
use banpol::config::{Config, Layer};
use banpol::service::admin::{self, Request};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "banpol", version, about = "Layanan Bantuan Polisi — Polda Sumatera Selatan help-service appliance")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Args)]
struct Global {
    /// TOML config file (settings: see README, Configuration)
    #[arg(long, global = true, env = "BANPOL_CONFIG")]
    config: Option<PathBuf>,
    /// where the store, TLS key and admin socket live (default ./banpol-data)
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// HTTPS address to serve on; repeat for several (default 127.0.0.1:8443)
    #[arg(long, global = true)]
    listen: Vec<String>,
    /// this node's code, e.g. PLG or SUMSEL (default PLG)
    #[arg(long, global = true)]
    node_code: Option<String>,
    /// do not seed demo accounts and cases into an empty store
    #[arg(long, global = true)]
    no_demo: bool,
    /// where children sync with this node, or `off` (default 127.0.0.1:8444)
    #[arg(long, global = true)]
    sync_listen: Option<String>,
    /// the parent's sync URL, overriding the one `node join` recorded
    #[arg(long, global = true)]
    upstream: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the node (the default)
    Serve,
    /// Manage staff accounts
    #[command(subcommand)]
    User(UserCmd),
    /// Check the config, the SOP and the units file, then exit
    CheckConfig,
    /// Verify the hash chains of the event log
    Verify,
    /// Connect nodes: invite a child (at the hub), join a parent (at the post)
    #[command(subcommand)]
    Node(NodeCmd),
}

#[derive(Subcommand)]
enum NodeCmd {
    /// Print a one-time join token for child node CODE (run at the parent)
    Invite {
        code: String,
        /// how long the token stays valid
        #[arg(long, default_value = "24h")]
        ttl: String,
    },
    /// Enroll this node with its parent: banpol node join https://HUB:8444 TOKEN
    Join { url: String, token: String },
    /// Start a new epoch of this node's log: run it after restoring the data directory from an
    /// old copy by hand (`banpol restore` does it by itself), so the parent takes a full resend
    NewEpoch,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add an account; prints a generated password unless --password-stdin
    Add {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts
    List,
    /// Set a new password (and end the user's sessions)
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account (and end its sessions)
    Disable { name: String },
}

fn load_config(g: &Global) -> anyhow::Result<Config> {
    let env = Layer::from_env(std::env::vars())?;
    let flags = Layer {
        data_dir: g.data_dir.clone(),
        listen: (!g.listen.is_empty()).then(|| g.listen.clone()),
        node_code: g.node_code.clone(),
        demo: g.no_demo.then_some(false),
        sync_listen: g.sync_listen.clone(),
        upstream: g.upstream.clone(),
        ..Default::default()
    };
    Ok(Config::load(g.config.as_deref(), env, flags)?)
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).context("while reading the password from stdin")?;
        Ok((s.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((banpol::service::auth::generate_password(), true))
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = load_config(&cli.global)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match cli.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => serve(config),
        Cmd::CheckConfig => {
            let sop = banpol::model::Sop::parse(&config.sop_text()?).context("SOP")?;
            let units = banpol::model::Units::parse(&config.units_text()?).context("units")?;
            if !units.has_node(&config.node_code) {
                bail!("node {} is not in the units directory", config.node_code);
            }
            println!(
                "config ok: node {}, data {}, listen {:?}, SOP {}, {} units in {} regencies",
                config.node_code,
                config.data_dir.display(),
                config.listen,
                sop.version,
                units.units.len(),
                units.regencies().count()
            );
            Ok(())
        }
        Cmd::Verify => rt.block_on(admin_command(&config, Request::Verify)),
        Cmd::Node(NodeCmd::Invite { code, ttl }) => {
            let ttl_ms = banpol::model::time::parse_duration(&ttl)
                .with_context(|| format!("--ttl {ttl:?} is not a duration like 24h or 30m"))?;
            std::fs::create_dir_all(&config.data_dir)?;
            let ca = banpol::sync::pki::Ca::load_or_create(&config.data_dir, config.node_code.as_str())
                .context("while loading this node's sync CA")?;
            rt.block_on(admin_command(
                &config,
                Request::NodeInvite { code: code.to_ascii_uppercase(), ttl_ms, ca_fingerprint: ca.fingerprint() },
            ))
        }
        Cmd::Node(NodeCmd::NewEpoch) => rt.block_on(admin_command(&config, Request::NodeNewEpoch)),
        Cmd::Node(NodeCmd::Join { url, token }) => {
            std::fs::create_dir_all(&config.data_dir)?;
            let parent = rt.block_on(banpol::sync::client::join(&config.data_dir, &config.node_code, &url, &token))?;
            println!(
                "node {} joined parent {parent} at {url}; a serving node connects within seconds (else start it)",
                config.node_code
            );
            Ok(())
        }
        Cmd::User(u) => {
            let (req, show) = match u {
                UserCmd::Add { name, role, unit, password_stdin } => {
                    let (password, generated) = read_password(password_stdin)?;
                    let show = generated.then(|| format!("password for {name}: {password}  (shown once)"));
                    (Request::UserAdd { name, role, unit, password }, show)
                }
                UserCmd::List => (Request::UserList, None),
                UserCmd::Passwd { name, password_stdin } => {
                    let (password, generated) = read_password(password_stdin)?;
                    let show = generated.then(|| format!("new password for {name}: {password}  (shown once)"));
                    (Request::UserPasswd { name, password }, show)
                }
                UserCmd::Disable { name } => (Request::UserDisable { name }, None),
            };
            rt.block_on(admin_command(&config, req))?;
            if let Some(s) = show {
                println!("{s}");
            }
            Ok(())
        }
    }
}

/// Runs an admin command through the serving node's socket, or on the store directly when no
/// node is serving.
async fn admin_command(config: &Config, req: Request) -> anyhow::Result<()> {
    let resp = match admin::send(&config.admin_socket(), &req).await {
        Ok(Some(r)) => r,
        Ok(None) | Err(_) => {
            let units = banpol::model::Units::parse(&config.units_text()?)?;
            let store = banpol::store::Store::open(&config.data_dir, &config.node_code, 8 << 20)
                .with_context(|| format!("while opening the store in {}", config.data_dir.display()))?;
            let r = match admin::execute(&store, &units, req) {
                Ok(output) => admin::Response { ok: true, output },
                Err(e) => admin::Response { ok: false, output: e.to_string() },
            };
            store.close();
            r
        }
    };
    if resp.ok {
        println!("{}", resp.output);
        Ok(())
    } else {
        bail!("{}", resp.output)
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let listeners = banpol::Listeners::bind(&config)?;
    actix_web::rt::System::new().block_on(async move {
        let shutdown = async {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        banpol::run(config, listeners, shutdown).await
    })
}
