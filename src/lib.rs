//! banpol: the appliance of the Polda Sumatera Selatan police help service.
//! `run` is the one entry point: `main` calls it, and so do the tests. See ARCHITECTURE.md.
#![forbid(unsafe_code)]

pub mod channel;
pub mod config;
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

/// Runs a node until `shutdown` resolves (or a restart into a new release is asked for): opens
/// the store, makes first-start accounts and demo data, starts the deadline scheduler and the
/// admin socket, serves HTTPS, and proves itself when it runs on probation.
pub async fn run(config: Config, listeners: Listeners, shutdown: impl Future<Output = ()>) -> anyhow::Result<Exit> {
    prepare_data_dir(&config.data_dir)?;
    let app = Arc::new(App::open(&config).context("while opening the node")?);
    update::supervise::expect_upstream(config.upstream.is_some() || config::joined(&config.data_dir));
    let first = service::demo::first_start(&app, config.demo).await.context("while preparing first start")?;
    let (cert, key) = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => tls::ensure_self_signed(&config.data_dir, &config.listen).context("while making the TLS certificate")?,
    };
    let tls = tls::server_config(&cert, &key).context("while loading the TLS certificate")?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(service::scheduler::run(
        app.clone(),
        Duration::from_millis(config.scheduler_tick_ms),
        stop_rx.clone(),
    ));
    let sock = config.admin_socket();
    let admin_listener =
        service::admin::bind(&sock).with_context(|| format!("while opening the admin socket {}", sock.display()))?;
    let admin_app = app.clone();
    let admin_rx = stop_rx.clone();
    let admin = tokio::spawn(async move {
        if let Err(e) = service::admin::serve(admin_app, admin_listener, &sock, admin_rx).await {
            tracing::error!(error = %e, path = %sock.display(), "admin socket failed; admin commands cannot reach this node");
        }
    });

    let whatsapp = config.whatsapp.clone().map(channel::whatsapp::WhatsApp::new);
    let wa_task = whatsapp.clone().map(|wa| tokio::spawn(channel::whatsapp::run(app.clone(), wa, stop_rx.clone())));
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
    .shutdown_timeout(5);
    let mut urls = Vec::new();
    for l in listeners.https {
        urls.push(format!("https://{}", l.local_addr()?));
        server = server.listen_rustls_0_23(l, (*tls).clone()).context("while starting HTTPS")?;
    }
    let bound: Vec<std::net::SocketAddr> = server.addrs();
    let server = server.run();
    let handle = server.handle();
    update::publish_metrics(&app.metrics, &config.data_dir);
    let probation = match (update::supervise::on_probation(), bound.first()) {
        (Some(version), Some(addr)) => {
            let (dir, addr, metrics) = (config.data_dir.clone(), *addr, app.metrics.clone());
            Some(tokio::spawn(async move {
                update::supervise::prove(dir.clone(), addr, version).await;
                metrics.gauge_set(
                    "banpol_update_on_probation",
                    "1 while the installed release has not passed probation",
                    &[],
                    0.0,
                );
            }))
        }
        _ => None,
    };

    let on_demand = match config.sync_listen {
        config::SyncListen::OnDemand(a) => Some(a),
        _ => None,
    };
    let mut sync_listener = listeners.sync;
    if let (None, Some(a)) = (&sync_listener, on_demand) {
        if service::sync::has_children_or_invites(&app).context("while reading the enrolled children")? {
            sync_listener = Some(bind_sync(a)?);
        }
    }
    let mut syncing = sync_listener.map(|l| SyncServing::start(&app, l)).transpose()?;
    let mut open_requests = on_demand.map(|_| app.sync_gate.take_requests());
    let upstream = tokio::spawn(sync::client::run(app.clone(), config.upstream.clone(), stop_rx.clone()));

    println!("banpol {} — node {} ({})", update::running_version(), app.node, config.data_dir.display());
    for f in &first {
        println!(
            "first login: user {} / password {}  (role {}{}) — shown once, change it with `banpol user passwd`",
            f.username,
            f.password,
            f.role.as_str(),
            f.unit.as_ref().map(|u| format!(", unit {u}")).unwrap_or_default()
        );
    }
    for u in &urls {
        println!("serving {u}");
    }
    match (&syncing, on_demand) {
        (Some(s), _) => println!("sync {} (children enroll with `banpol node invite CODE`)", s.url),
        (None, Some(a)) => {
            println!("no sync listener: no child is enrolled; `banpol node invite CODE` opens it on {a}")
        }
        (None, None) => {}
    }
    if let Some(u) = urls.first() {
        println!(
            "open {u}/ (public report form); staff: {u}/konsol (console), {u}/pantau (board), {u}/admin, {u}/audit"
        );
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();

    tokio::pin!(shutdown);
    // actix's `Server` future is its command loop. As before this loop existed, it is dropped
    // before `handle.stop`, which then returns at once instead of waiting for open connections
    // (streams, long polls) to end; boxed so that it can be dropped here.
    let mut server = Box::pin(server);
    let orphaned = update::supervise::orphaned();
    tokio::pin!(orphaned);
    let exit = loop {
        tokio::select! {
            r = &mut server => {
                r.context("the HTTPS server failed")?;
                break None;
            }
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                break Some(Exit::Stopped);
            }
            _ = &mut orphaned => break Some(Exit::Stopped),
            _ = app.restart.notified() => {
                tracing::info!("stopping to restart into the installed release");
                break Some(Exit::Restart);
            }
            Some(reply) = async { open_requests.as_mut()?.recv().await } => {
                // `node invite` on a node whose sync listener is on demand
                let answer = match (&syncing, on_demand) {
                    (Some(s), _) => Ok(s.url.clone()),
                    (None, Some(a)) => match bind_sync(a).and_then(|l| SyncServing::start(&app, l)) {
                        Ok(s) => {
                            tracing::info!(url = %s.url, "sync listener opened for a new child");
                            let url = s.url.clone();
                            syncing = Some(s);
                            Ok(url)
                        }
                        Err(e) => Err(format!("{e:#}")),
                    },
                    (None, None) => Err("sync_listen is off".into()),
                };
                let _ = reply.send(answer);
            }
        }
    };
    drop(server);
    if exit.is_some() {
        handle.stop(true).await;
    }
    let exit = exit.unwrap_or(Exit::Stopped);
    if let Some(p) = probation {
        p.abort();
    }
    let _ = stop_tx.send(true);
    if let Some(s) = syncing {
        s.stop().await;
    }
    let _ = upstream.await;
    let _ = scheduler.await;
    let _ = admin.await;
    if let Some(t) = wa_task {
        let _ = t.await;
    }
    app.store.close();
    Ok(exit)
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
