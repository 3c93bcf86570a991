//! banpol: the appliance of the Polda Sumatera Selatan police help service.
//! `run` is the one entry point: `main` calls it, and so do the tests. See ARCHITECTURE.md.
#![forbid(unsafe_code)]

pub mod channel;
pub mod config;
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod tls;

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
        Ok(Listeners { https })
    }
}

/// Runs a node until `shutdown` resolves: opens the store, makes first-start accounts and demo
/// data, starts the deadline scheduler and the admin socket, and serves HTTPS.
pub async fn run(config: Config, listeners: Listeners, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    prepare_data_dir(&config.data_dir)?;
    let app = Arc::new(App::open(&config).context("while opening the node")?);
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
    let server = server.run();
    let handle = server.handle();

    println!("banpol {} — node {} ({})", env!("CARGO_PKG_VERSION"), app.node, config.data_dir.display());
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
    if let Some(u) = urls.first() {
        println!(
            "open {u}/ (public report form); staff: {u}/konsol (console), {u}/pantau (board), {u}/admin, {u}/audit"
        );
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();

    tokio::pin!(shutdown);
    tokio::select! {
        r = server => r.context("the HTTPS server failed")?,
        _ = &mut shutdown => {
            tracing::info!("shutting down");
            handle.stop(true).await;
        }
    }
    let _ = stop_tx.send(true);
    let _ = scheduler.await;
    let _ = admin.await;
    if let Some(t) = wa_task {
        let _ = t.await;
    }
    app.store.close();
    Ok(())
}

/// The data directory holds the TLS key and the admin socket: owner only.
fn prepare_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("while creating the data directory {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("while restricting {} to its owner", dir.display()))?;
    Ok(())
}
