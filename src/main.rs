//! The `banpol` command: parse flags, load config, call the library.
#![forbid(unsafe_code)]

use anyhow::{bail, Context};
use banpol::config::{Config, Layer};
use banpol::service::admin::{self, Request};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    /// Manage the keys of Open311 partners (civic apps, city complaint systems)
    #[command(subcommand)]
    Open311(Open311Cmd),
    /// The Polsek of this post's Polres and the kecamatan each covers (versioned, synced up)
    #[command(subcommand)]
    Polsek(PolsekCmd),
    /// Check the config, the SOP and the units file, then exit
    CheckConfig,
    /// Verify the hash chains of the event log
    Verify,
    /// Connect nodes: invite a child (at the hub), join a parent (at the post)
    #[command(subcommand)]
    Node(NodeCmd),
    /// Make, sign and check release archives (Bid TIK, offline)
    #[command(subcommand)]
    Release(ReleaseCmd),
    /// Install a signed release (e.g. from a USB stick), or show the update state
    Update(UpdateArgs),
    /// Write a consistent backup of the store to FILE while the node keeps serving
    Backup { file: PathBuf },
    /// The export to PostgreSQL (export_postgres): its status, or a rebuild from scratch
    #[command(subcommand)]
    Export(ExportCmd),
    /// Restore a backup into the data directory (the node must be stopped)
    Restore {
        file: PathBuf,
        /// replace an existing store (it is moved aside, not deleted)
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum ExportCmd {
    /// Lag (events, seconds), rate, last error and schema version of the running export
    Status {
        /// print the status as JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove this node's rows from the database and export everything again
    Rebuild,
}

#[derive(Subcommand)]
enum ReleaseCmd {
    /// Make an ed25519 key pair: OUT.key (private, keep it offline) and OUT.pub
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign ARCHIVE (a .tar.gz holding `banpol`) in place: manifest, its signature, zipsign
    Sign {
        archive: PathBuf,
        /// the private key file from `release keygen`
        #[arg(long)]
        key: PathBuf,
        /// the release's version, e.g. 0.2.0
        #[arg(long)]
        version: String,
        /// once this release passed probation, nothing below this version is installed
        #[arg(long)]
        min_version: Option<String>,
        /// default: this build's target
        #[arg(long)]
        target: Option<String>,
        /// the store format the release writes (default: this build's)
        #[arg(long)]
        store_format: Option<u64>,
        /// the oldest store format it reads (default: 1)
        #[arg(long)]
        reads_store_from: Option<u64>,
        /// canary node codes, comma-separated (e.g. PLG)
        #[arg(long, value_delimiter = ',')]
        canary: Vec<String>,
        /// percent of the other nodes once the canaries are healthy
        #[arg(long, default_value_t = 100)]
        share_percent: u8,
        /// RFC 3339 time after which every node gets it
        #[arg(long)]
        all_after: Option<String>,
    },
    /// At the hub: offer a signed ARCHIVE to the posts (they take it as its cohort says)
    Publish { archive: PathBuf },
    /// Check ARCHIVE's signatures against the trusted keys and print its manifest
    Verify {
        archive: PathBuf,
        /// check against this public key file instead of the compiled-in keys
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

#[derive(Args)]
struct UpdateArgs {
    /// the signed release archive
    #[arg(long)]
    from_file: Option<PathBuf>,
    /// show what runs, what ran before, and the last rollback
    #[arg(long)]
    status: bool,
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
enum PolsekCmd {
    /// Show each Polres's list in force, where it came from, and its versions
    Show {
        /// one Polres only (e.g. OKI)
        #[arg(long)]
        polres: Option<String>,
    },
    /// Save FILE (`[[polsek]]` entries as in the units file) as the next version of POLRES's list
    Set {
        #[arg(long)]
        polres: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum Open311Cmd {
    /// Partner keys: add NAME (prints the key once), list, revoke NAME
    #[command(subcommand)]
    Key(Open311KeyCmd),
}

#[derive(Subcommand)]
enum Open311KeyCmd {
    /// Issue a key for partner NAME; it is printed once (only its hash is kept)
    Add {
        name: String,
        /// the partner may read every case of this node (public fields), not only its own
        #[arg(long)]
        all: bool,
    },
    /// List partners and their keys' state
    List,
    /// Revoke partner NAME's key (its requests stay)
    Revoke { name: String },
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
        /// a leader who may ratify SOP versions (the Kapolda's delegate)
        #[arg(long)]
        ratifier: bool,
    },
    /// List accounts
    List,
    /// Set a new password (and end the user's sessions); a disabled account stays disabled
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account (and end its sessions)
    Disable { name: String },
    /// Enable a disabled account again (its password is unchanged)
    Enable { name: String },
}

fn load_config(g: &Global) -> anyhow::Result<Config> {
    let env = Layer::from_process_env()?;
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
            require_store_or_node_code(&config)?;
            banpol::prepare_data_dir(&config.data_dir)?;
            let ca = banpol::sync::pki::Ca::load_or_create(&config.data_dir, config.node_code.as_str())
                .context("while loading this node's sync CA")?;
            rt.block_on(admin_command(
                &config,
                Request::NodeInvite { code: code.to_ascii_uppercase(), ttl_ms, ca_fingerprint: ca.fingerprint() },
            ))
        }
        Cmd::Open311(Open311Cmd::Key(k)) => rt.block_on(admin_command(
            &config,
            match k {
                Open311KeyCmd::Add { name, all } => Request::Open311KeyAdd { name, all },
                Open311KeyCmd::List => Request::Open311KeyList,
                Open311KeyCmd::Revoke { name } => Request::Open311KeyRevoke { name },
            },
        )),
        Cmd::Polsek(PolsekCmd::Show { polres }) => {
            rt.block_on(admin_command(&config, Request::PolsekShow { polres: polres.map(|p| p.to_ascii_uppercase()) }))
        }
        Cmd::Polsek(PolsekCmd::Set { polres, file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("while reading {}", file.display()))?;
            rt.block_on(admin_command(&config, Request::PolsekSet { polres: polres.to_ascii_uppercase(), text }))
        }
        Cmd::Export(ExportCmd::Status { json }) => rt.block_on(admin_command(&config, Request::ExportStatus { json })),
        Cmd::Export(ExportCmd::Rebuild) => rt.block_on(admin_command(&config, Request::ExportRebuild)),
        Cmd::Node(NodeCmd::NewEpoch) => rt.block_on(admin_command(&config, Request::NodeNewEpoch)),
        Cmd::Node(NodeCmd::Join { url, token }) => {
            banpol::prepare_data_dir(&config.data_dir)?;
            let parent = rt.block_on(banpol::sync::client::join(&config.data_dir, &config.node_code, &url, &token))?;
            println!(
                "node {} joined parent {parent} at {url}; a serving node connects within seconds (else start it)",
                config.node_code
            );
            Ok(())
        }
        Cmd::Release(r) => release(r, &config),
        Cmd::Update(u) => rt.block_on(update(&config, u)),
        Cmd::Backup { file } => rt.block_on(backup(&config, &file)),
        Cmd::Restore { file, force } => rt.block_on(restore(&config, &file, force)),
        Cmd::User(u) => {
            let (req, show) = match u {
                UserCmd::Add { name, role, unit, password_stdin, ratifier } => {
                    let (password, generated) = read_password(password_stdin)?;
                    let show = generated.then(|| format!("password for {name}: {password}  (shown once)"));
                    (Request::UserAdd { name, role, unit, password, ratifier }, show)
                }
                UserCmd::List => (Request::UserList, None),
                UserCmd::Passwd { name, password_stdin } => {
                    let (password, generated) = read_password(password_stdin)?;
                    let show = generated.then(|| format!("new password for {name}: {password}  (shown once)"));
                    (Request::UserPasswd { name, password }, show)
                }
                UserCmd::Disable { name } => (Request::UserDisable { name }, None),
                UserCmd::Enable { name } => (Request::UserEnable { name }, None),
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
            let store = open_store(config)?;
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

/// Opens the store directly (no node is serving it). A data directory without a store gets one
/// only when the node code was named: a store is stamped with its node for good.
fn open_store(config: &Config) -> anyhow::Result<banpol::store::Store> {
    require_store_or_node_code(config)?;
    banpol::prepare_data_dir(&config.data_dir)?;
    banpol::store::Store::open(&config.data_dir, &config.node_code, 8 << 20)
        .with_context(|| format!("while opening the store in {}", config.data_dir.display()))
}

/// Refuses to start a new node identity (store, sync CA) under the default node code.
fn require_store_or_node_code(config: &Config) -> anyhow::Result<()> {
    if !config.node_code_given && !banpol::store::Store::exists(&config.data_dir) {
        bail!(
            "{} holds no store yet, and this command would create one for node {}: name the node with \
             --node-code CODE (or node_code in the config file, or BANPOL_NODE_CODE), or point --data-dir \
             at the node's data directory",
            config.data_dir.display(),
            config.node_code
        );
    }
    Ok(())
}

fn serve(config: Config) -> anyhow::Result<()> {
    use banpol::update::supervise::{self, Ended, Plan};
    // the packaged binary hands over to a newer installed release, and takes over again when
    // that release fails its probation
    loop {
        match supervise::plan(&config.data_dir, &config.supervision)? {
            Plan::Packaged => break,
            Plan::Release(r) => {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let probation = std::time::Duration::from_millis(config.update_probation_ms);
                match rt.block_on(supervise::supervise(&config.data_dir, &r, probation))? {
                    Ended::Exited(code) => std::process::exit(code),
                    Ended::RolledBack(reason) => {
                        eprintln!("banpol: release {} rolled back: {reason}", r.version);
                    }
                }
            }
        }
    }
    let listeners = banpol::Listeners::bind(&config)?;
    let exit = actix_web::rt::System::new().block_on(async move {
        // the handlers are in place before the node says it serves: a SIGTERM right after
        // start stops it cleanly instead of killing it
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("while installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("while installing the SIGINT handler")?;
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        banpol::run(config, listeners, shutdown).await
    })?;
    if exit == banpol::Exit::Restart {
        std::process::exit(banpol::update::EXIT_RESTART);
    }
    Ok(())
}

fn release(cmd: ReleaseCmd, config: &Config) -> anyhow::Result<()> {
    use banpol::update::verify as v;
    match cmd {
        ReleaseCmd::Publish { archive } => {
            let bytes = std::fs::read(&archive).with_context(|| format!("while reading {}", archive.display()))?;
            banpol::prepare_data_dir(&config.data_dir)?;
            let keys = banpol::update::TrustedKeys::load(&config.supervision)?;
            let p = banpol::update::publish::publish(&config.data_dir, &bytes, &keys)?;
            let c = &p.manifest.cohort;
            println!(
                "release {} published at node {}: canary {:?}, then {}% of the others once the canaries run it{}",
                p.manifest.version,
                config.node_code,
                c.canary,
                c.share_percent,
                c.all_after.as_ref().map(|t| format!(", everyone after {t}")).unwrap_or_default()
            );
            Ok(())
        }
        ReleaseCmd::Keygen { out } => {
            use std::io::Write;
            let (secret, public) = v::keygen();
            let key = out.with_extension("key");
            let pubf = out.with_extension("pub");
            let mut f = banpol::fsx::NewFile::secret(&key)
                .with_context(|| format!("while creating a file next to {}", key.display()))?;
            writeln!(f, "{secret}")?;
            f.commit_new().with_context(|| format!("while creating {} (it must not exist yet)", key.display()))?;
            banpol::fsx::write_file(&pubf, format!("{public}\n").as_bytes(), banpol::fsx::PUBLIC)
                .with_context(|| format!("while writing {}", pubf.display()))?;
            println!("private key: {} (keep it offline)\npublic key:  {} = {public}", key.display(), pubf.display());
            println!("trust it: add the public key's line to packaging/release-keys.pub and build");
            Ok(())
        }
        ReleaseCmd::Sign {
            archive,
            key,
            version,
            min_version,
            target,
            store_format,
            reads_store_from,
            canary,
            share_percent,
            all_after,
        } => {
            let sk = v::parse_secret_key(
                &std::fs::read_to_string(&key).with_context(|| format!("while reading {}", key.display()))?,
            )?;
            let raw = std::fs::read(&archive).with_context(|| format!("while reading {}", archive.display()))?;
            if share_percent > 100 {
                bail!("--share-percent is 0 to 100");
            }
            let req = v::SignRequest {
                min_version: min_version.unwrap_or_else(|| version.clone()),
                version,
                target: target.unwrap_or_else(banpol::update::manifest::this_target),
                store_format: store_format.unwrap_or(banpol::store::FORMAT),
                reads_store_from: reads_store_from.unwrap_or(1),
                cohort: banpol::update::Cohort { canary, share_percent, all_after },
                signed_at: time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            };
            let (signed, m) = v::sign(&raw, &sk, &req)?;
            banpol::fsx::write_file(&archive, &signed, banpol::fsx::PUBLIC)
                .with_context(|| format!("while writing {}", archive.display()))?;
            println!(
                "signed {}: version {} for {}, banpol sha256 {}",
                archive.display(),
                m.version,
                m.target,
                m.sha256
            );
            Ok(())
        }
        ReleaseCmd::Verify { archive, public_key } => {
            let keys = match public_key {
                Some(p) => v::TrustedKeys::from_keys(vec![v::parse_public_key(&std::fs::read_to_string(&p)?)?]),
                None => v::TrustedKeys::load(&config.supervision)?,
            };
            let bytes = std::fs::read(&archive).with_context(|| format!("while reading {}", archive.display()))?;
            let r = v::verify(&bytes, &keys)?;
            println!("{}: signatures ok (key {})", archive.display(), r.key);
            println!("{}", String::from_utf8_lossy(&r.manifest_bytes).trim_end());
            Ok(())
        }
    }
}

async fn update(config: &Config, args: UpdateArgs) -> anyhow::Result<()> {
    use banpol::update;
    let Some(file) = args.from_file else {
        let s = update::status(&config.data_dir, &config.supervision)?;
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    };
    let bytes = std::fs::read(&file).with_context(|| format!("while reading {}", file.display()))?;
    let verified = update::verify(&bytes, &update::TrustedKeys::load(&config.supervision)?)?;
    let sock = config.admin_socket();
    // the store's format, from the serving node or from the store itself
    let serving = admin::send(&sock, &Request::StoreFormat).await.ok().flatten();
    let format = match &serving {
        Some(r) if r.ok => r.output.trim().parse::<u64>().context("the node's store format")?,
        Some(r) => bail!("{}", r.output),
        None => {
            let store = open_store(config)?;
            let f = store.stored_format()?;
            store.close();
            f
        }
    };
    let installed = update::install(&verified, &config.data_dir, format)?;
    println!("release {} verified (key {}) and installed", installed.version, verified.key);
    if serving.is_some() {
        let r = admin::send(&sock, &Request::Restart).await?.map(|r| r.output).unwrap_or_default();
        println!("{r}; it runs {} on probation ({} s)", installed.version, config.update_probation_ms / 1000);
    } else {
        println!("no node is serving: the next `banpol serve` runs it on probation");
    }
    Ok(())
}

async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    use banpol::store::backup;
    // 0600 under an unpredictable name next to FILE, renamed into place once it checks out
    let mut out = banpol::fsx::NewFile::secret(file)
        .with_context(|| format!("while creating a file next to {}", file.display()))?;
    let mut last = std::time::Instant::now();
    let mut shown = |bytes: u64| {
        if last.elapsed() >= std::time::Duration::from_secs(1) {
            last = std::time::Instant::now();
            eprintln!("backup: {:.1} MiB received", bytes as f64 / (1 << 20) as f64);
        }
    };
    match admin::fetch_backup(&config.admin_socket(), &mut out, &mut shown).await {
        Ok(Some(r)) if !r.ok => bail!("{}", r.output),
        Ok(Some(_)) => {}
        Ok(None) | Err(_) => {
            // no node serving: back up the store directly
            let store = open_store(config)?;
            let cut = store.backup_cut(banpol::service::now().0)?;
            store.durable(cut.durable).await?;
            let mut w = std::io::BufWriter::new(out.file());
            store.write_backup(&cut, &mut w, &mut |n| eprintln!("backup: {n} records"))?;
            use std::io::Write;
            w.flush()?;
            drop(w);
            store.close();
        }
    }
    out.file().sync_all()?;
    let (header, summary) = backup::inspect(out.temp_path()).context("the backup written is not sound")?;
    out.commit().with_context(|| format!("while moving the backup to {}", file.display()))?;
    let heads: Vec<String> = header.heads.iter().map(|(o, h)| format!("{o}:{}", h.seq)).collect();
    println!(
        "backup {}: node {}, {} events ({} records, {:.1} MiB), cut at {}",
        file.display(),
        header.node,
        summary.events,
        summary.records,
        summary.bytes as f64 / (1 << 20) as f64,
        heads.join(" ")
    );
    Ok(())
}

async fn restore(config: &Config, file: &std::path::Path, force: bool) -> anyhow::Result<()> {
    if admin::send(&config.admin_socket(), &Request::StoreFormat).await.ok().flatten().is_some() {
        bail!("a node is serving this data directory: stop it first (systemctl stop banpol)");
    }
    banpol::prepare_data_dir(&config.data_dir)?;
    let r = banpol::store::backup::restore(file, &config.data_dir, &config.node_code, force, &mut |what, n| {
        eprintln!("restore: {n} {what}")
    })?;
    if let Some(a) = &r.moved_aside {
        println!("the previous store was moved to {}", a.display());
    }
    let mut bad = false;
    for c in &r.chains {
        bad |= !c.ok;
        println!(
            "{:<8} {:>8} events  {}",
            c.origin,
            c.events,
            if c.ok { "chain ok".to_owned() } else { format!("BROKEN: {}", c.problem.clone().unwrap_or_default()) }
        );
    }
    println!(
        "restored {} records, {} cases into {}; node {} has a new epoch {} (was {}): sync resends in full",
        r.records,
        r.cases,
        config.data_dir.display(),
        r.header.node,
        r.new_epoch,
        r.old_epoch
    );
    if bad {
        bail!("a restored chain does not verify");
    }
    Ok(())
}
