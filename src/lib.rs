//! banpol: the appliance of the Polda Sumatera Selatan police help service.
//! `run` serves a node: `main` calls it (the tests start the `banpol` executable). See ARCHITECTURE.md.
#![forbid(unsafe_code)]

pub mod channel;
pub mod config;
pub mod export;
pub mod fsx;
pub mod http;
pub mod metrics;
pub mod model;
pub mod service;
pub mod store;
pub mod sync;
pub mod tls;
pub mod update;

use anyhow::Context;
use config::Config;
use service::App;
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// The sockets a node serves on, bound by the caller (port 0 in tests).
pub struct Listeners {
    pub https: Vec<TcpListener>,
    /// where children sync with this node (mutual TLS), if on
    pub sync: Option<TcpListener>,
}

impl Listeners {
    pub fn bind(config: &Config) -> anyhow::Result<Listeners> {
        let https = config
            .listen
            .iter()
            .map(|a| {
                TcpListener::bind(a).with_context(|| format!("while binding {a} (is another node running there?)"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        // an on-demand listener is bound by `run`, once it knows the node has children to serve
        let sync = match config.sync_listen {
            config::SyncListen::Always(a) => Some(bind_sync(a)?),
            config::SyncListen::OnDemand(_) | config::SyncListen::Off => None,
        };
        Ok(Listeners { https, sync })
    }
}

fn bind_sync(a: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(a).with_context(|| format!("while binding the sync port {a} (is another node running there?)"))
}

/// The sync listener while it serves.
struct SyncServing {
    url: String,
    handle: actix_web::dev::ServerHandle,
    state: Arc<sync::server::Server>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl SyncServing {
    fn start(app: &Arc<App>, l: TcpListener) -> anyhow::Result<SyncServing> {
        let url = format!("https://{}", l.local_addr()?);
        let (server, state) = sync::start_server(app.clone(), l).context("while starting the sync listener")?;
        Ok(SyncServing { url, handle: server.handle(), state, task: tokio::spawn(server) })
    }

    async fn stop(self) {
        self.state.closing();
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

/// How `run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `shutdown` resolved
    Stopped,
    /// a new release was installed: the caller exits with `update::EXIT_RESTART` to be restarted
    Restart,
}

/// Runs a node until `shutdown` resolves (or a restart into a new release is asked for):
/// `Node::start` opens the store and starts every part, `serve` waits for the end, `stop` stops
/// the parts in order and closes the store.
pub async fn run(config: Config, listeners: Listeners, shutdown: impl Future<Output = ()>) -> anyhow::Result<Exit> {
    let mut node = Node::start(config, listeners).await?;
    node.announce();
    let exit = node.serve(shutdown).await?;
    Ok(node.stop(exit).await)
}

/// A running node: the open store and the tasks and servers started around it.
struct Node {
    app: Arc<App>,
    first: Vec<service::demo::FirstLogin>,
    /// tells the background tasks to stop
    stop_tx: tokio::sync::watch::Sender<bool>,
    https: Https,
    sync: SyncPort,
    /// proves a release on probation (aborted at stop)
    probation: Option<tokio::task::JoinHandle<()>>,
    /// the sync client, the scheduler, the admin socket, the WhatsApp worker and the export,
    /// awaited at stop
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Node {
    /// Opens the store, makes first-start accounts and demo data, starts the deadline scheduler
    /// and the admin socket, serves HTTPS and sync, and proves itself when on probation.
    async fn start(config: Config, listeners: Listeners) -> anyhow::Result<Node> {
        prepare_data_dir(&config.data_dir)?;
        #[cfg(feature = "test-hooks")]
        if let Some(f) = &config.supervision.test_clock {
            tracing::warn!(file = %f.display(), "test clock: time is read from a file (test build)");
            service::test_clock::set(f.clone());
        }
        let app = Arc::new(App::open(&config).context("while opening the node")?);
        let has_upstream = config.upstream.is_some() || config::joined(&config.data_dir);
        let first = service::demo::first_start(&app, config.demo).await.context("while preparing first start")?;
        let tls = tls_config(&config)?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let tick = Duration::from_millis(config.scheduler_tick_ms);
        let scheduler = tokio::spawn(service::scheduler::run(app.clone(), tick, stop_rx.clone()));
        let admin = spawn_admin(&app, &config, stop_rx.clone())?;
        let whatsapp = config.whatsapp.clone().map(channel::whatsapp::WhatsApp::new);
        let wa_task = whatsapp.clone().map(|wa| tokio::spawn(channel::whatsapp::run(app.clone(), wa, stop_rx.clone())));
        let https = Https::start(&app, whatsapp, &tls, listeners.https)?;
        update::publish_metrics(&app);
        let probation = spawn_probation(&app, https.bound.first().copied(), has_upstream);
        let sync = SyncPort::open(&app, config.sync_listen, listeners.sync)?;
        let export = config.export.clone().map(|e| tokio::spawn(export::run(app.clone(), e, stop_rx.clone())));
        let upstream = tokio::spawn(sync::client::run(app.clone(), config.upstream.clone(), stop_rx));
        let tasks = [Some(upstream), Some(scheduler), Some(admin), wa_task, export].into_iter().flatten().collect();
        Ok(Node { app, first, stop_tx, https, sync, probation, tasks })
    }

    /// Says on stdout what serves where, and the first-start logins (shown once).
    fn announce(&self) {
        let app = &self.app;
        println!(
            "banpol {} — node {} ({})",
            update::running_version(&app.supervision),
            app.node,
            app.data_dir.display()
        );
        for f in &self.first {
            println!(
                "first login: user {} / password {}  (role {}{}) — shown once, change it with `banpol user passwd`",
                f.username,
                f.password,
                f.role.as_str(),
                f.unit.as_ref().map(|u| format!(", unit {u}")).unwrap_or_default()
            );
        }
        for u in &self.https.urls {
            println!("serving {u}");
        }
        match (&self.sync.serving, self.sync.on_demand) {
            (Some(s), _) => println!("sync {} (children enroll with `banpol node invite CODE`)", s.url),
            (None, Some(a)) => {
                println!("no sync listener: no child is enrolled; `banpol node invite CODE` opens it on {a}")
            }
            (None, None) => {}
        }
        if let Some(u) = self.https.urls.first() {
            println!(
                "open {u}/ (public report form); staff: {u}/konsol (console), {u}/pantau (board), {u}/admin, {u}/audit"
            );
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }

    /// Serves until `shutdown` resolves, the supervisor is gone, a restart is asked for, or the
    /// HTTPS server ends by itself (`None`); opens the on-demand sync listener when asked.
    async fn serve(&mut self, shutdown: impl Future<Output = ()>) -> anyhow::Result<Option<Exit>> {
        tokio::pin!(shutdown);
        let orphaned = update::supervise::orphaned(&self.app.supervision);
        tokio::pin!(orphaned);
        loop {
            tokio::select! {
                r = &mut self.https.server => {
                    r.context("the HTTPS server failed")?;
                    return Ok(None);
                }
                _ = &mut shutdown => {
                    tracing::info!("shutting down");
                    return Ok(Some(Exit::Stopped));
                }
                _ = &mut orphaned => return Ok(Some(Exit::Stopped)),
                _ = self.app.restart.notified() => {
                    tracing::info!("stopping to restart into the installed release");
                    return Ok(Some(Exit::Restart));
                }
                Some(reply) = async { self.sync.requests.as_mut()?.recv().await } => {
                    let _ = reply.send(self.sync.open_on_request(&self.app));
                }
            }
        }
    }

    /// Stops HTTPS (at once, unless it already ended), then the background tasks and the sync
    /// listener, then closes the store.
    async fn stop(self, exit: Option<Exit>) -> Exit {
        // actix's `Server` future is its command loop: dropped before `handle.stop`, which then
        // returns at once instead of waiting for open connections (streams, long polls) to end
        drop(self.https.server);
        if exit.is_some() {
            self.https.handle.stop(true).await;
        }
        if let Some(p) = self.probation {
            p.abort();
        }
        let _ = self.stop_tx.send(true);
        if let Some(s) = self.sync.serving {
            s.stop().await;
        }
        for t in self.tasks {
            let _ = t.await;
        }
        self.app.close();
        exit.unwrap_or(Exit::Stopped)
    }
}

/// The configured certificate, else a self-signed one kept in the data directory.
fn tls_config(config: &Config) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let (cert, key) = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => tls::ensure_self_signed(&config.data_dir, &config.listen).context("while making the TLS certificate")?,
    };
    tls::server_config(&cert, &key).context("while loading the TLS certificate")
}

fn spawn_admin(
    app: &Arc<App>,
    config: &Config,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let sock = config.admin_socket();
    let listener =
        service::admin::bind(&sock).with_context(|| format!("while opening the admin socket {}", sock.display()))?;
    let app = app.clone();
    Ok(tokio::spawn(async move {
        if let Err(e) = service::admin::serve(app, listener, &sock, stop).await {
            tracing::error!(error = %e, path = %sock.display(), "admin socket failed; admin commands cannot reach this node");
        }
    }))
}

/// A release on probation (`BANPOL_PROBATION`) proves itself once it serves on `addr`.
fn spawn_probation(
    app: &Arc<App>,
    addr: Option<std::net::SocketAddr>,
    has_upstream: bool,
) -> Option<tokio::task::JoinHandle<()>> {
    let (version, addr) = (app.supervision.probation.clone()?, addr?);
    let app = app.clone();
    Some(tokio::spawn(async move {
        update::supervise::prove(app.clone(), addr, version, has_upstream).await;
        app.metrics.set(&metrics::UPDATE_ON_PROBATION, &[], 0.0);
    }))
}

/// The HTTPS server while it serves.
struct Https {
    /// boxed so that `stop` can drop it before stopping the server through `handle`
    server: std::pin::Pin<Box<actix_web::dev::Server>>,
    handle: actix_web::dev::ServerHandle,
    urls: Vec<String>,
    bound: Vec<std::net::SocketAddr>,
}

impl Https {
    /// How long an idle HTTPS connection stays open (nginx's default).
    const KEEP_ALIVE: Duration = Duration::from_secs(75);

    fn start(
        app: &Arc<App>,
        whatsapp: Option<Arc<channel::whatsapp::WhatsApp>>,
        tls: &rustls::ServerConfig,
        listeners: Vec<TcpListener>,
    ) -> anyhow::Result<Https> {
        let routes = http::configure(app.clone(), whatsapp);
        let mut server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .wrap(actix_web::middleware::from_fn(http::extract::session_header))
                .wrap(actix_web::middleware::from_fn(http::origin::check))
                .wrap(actix_web::middleware::from_fn(http::metrics::track))
                .wrap(http::security_headers())
                .wrap(actix_web::middleware::Compress::default())
                .configure(routes.clone())
        })
        .disable_signals()
        // the staff pages poll every 15 and 30 s: an idle connection kept that long is reused
        // instead of a new TLS handshake each time, and a poll does not race the server closing
        // it (with actix's 5 s default, the likely cause of the rare ERR_TOO_MANY_RETRIES the
        // browser tests saw on /pantau)
        .keep_alive(Self::KEEP_ALIVE)
        .shutdown_timeout(5);
        let mut urls = Vec::new();
        for l in listeners {
            urls.push(format!("https://{}", l.local_addr()?));
            server = server.listen_rustls_0_23(l, tls.clone()).context("while starting HTTPS")?;
        }
        let bound = server.addrs();
        let server = server.run();
        Ok(Https { handle: server.handle(), server: Box::pin(server), urls, bound })
    }
}

/// The sync listener: bound at start, on demand (when the node has children or invitations,
/// or when `node invite` asks), or off.
struct SyncPort {
    on_demand: Option<std::net::SocketAddr>,
    serving: Option<SyncServing>,
    /// `node invite`'s requests to open an on-demand listener
    requests: Option<tokio::sync::mpsc::UnboundedReceiver<service::sync::OpenReply>>,
}

impl SyncPort {
    fn open(app: &Arc<App>, setting: config::SyncListen, bound: Option<TcpListener>) -> anyhow::Result<SyncPort> {
        let on_demand = match setting {
            config::SyncListen::OnDemand(a) => Some(a),
            _ => None,
        };
        let mut listener = bound;
        if let (None, Some(a)) = (&listener, on_demand) {
            if service::sync::has_children_or_invites(app).context("while reading the enrolled children")? {
                listener = Some(bind_sync(a)?);
            }
        }
        let serving = listener.map(|l| SyncServing::start(app, l)).transpose()?;
        let requests = on_demand.map(|_| app.sync_gate.take_requests());
        Ok(SyncPort { on_demand, serving, requests })
    }

    /// `node invite` on a node whose sync listener is on demand: its URL, opened if need be.
    fn open_on_request(&mut self, app: &Arc<App>) -> Result<String, String> {
        match (&self.serving, self.on_demand) {
            (Some(s), _) => Ok(s.url.clone()),
            (None, Some(a)) => match bind_sync(a).and_then(|l| SyncServing::start(app, l)) {
                Ok(s) => {
                    tracing::info!(url = %s.url, "sync listener opened for a new child");
                    let url = s.url.clone();
                    self.serving = Some(s);
                    Ok(url)
                }
                Err(e) => Err(format!("{e:#}")),
            },
            (None, None) => Err("sync_listen is off".into()),
        }
    }
}

/// The data directory holds the store, the keys and the admin socket: owner only. `run` and
/// every CLI command that may create something in it call this first.
pub fn prepare_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("while creating the data directory {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("while restricting {} to its owner", dir.display()))?;
    Ok(())
}
