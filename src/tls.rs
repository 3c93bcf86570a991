//! HTTPS only: the node's certificate. Unless the config names one, a self-signed certificate is
//! made at first start (names: localhost, the listen addresses and the host name) and kept in
//! the data directory with a private key readable only by the owner.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {err}")]
    Io { path: String, err: std::io::Error },
    #[error("making the self-signed certificate failed: {0}")]
    Generate(String),
    #[error("{0}: no certificate or key found in the PEM file")]
    Empty(String),
    #[error("the certificate and key do not fit together: {0}")]
    Rustls(#[from] rustls::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |err| TlsError::Io { path: path.display().to_string(), err }
}

/// Paths of the node's certificate and key, made if missing (self-signed).
pub fn ensure_self_signed(dir: &Path, listen: &[SocketAddr]) -> Result<(PathBuf, PathBuf), TlsError> {
    let cert = dir.join("tls-cert.pem");
    let key = dir.join("tls-key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    for a in listen {
        let ip = a.ip();
        if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
            names.push(ip.to_string());
        }
    }
    if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
        let h = h.trim();
        if !h.is_empty() && !names.iter().any(|n| n == h) {
            names.push(h.to_owned());
        }
    }
    let ck = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    crate::fsx::write_secret(&key, ck.signing_key.serialize_pem().as_bytes()).map_err(io(&key))?;
    crate::fsx::write_file(&cert, ck.cert.pem().as_bytes(), crate::fsx::PUBLIC).map_err(io(&cert))?;
    Ok((cert, key))
}

pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut std::io::BufReader::new(std::fs::File::open(cert).map_err(io(cert))?))
            .collect::<Result<_, _>>()
            .map_err(io(cert))?;
    if certs.is_empty() {
        return Err(TlsError::Empty(cert.display().to_string()));
    }
    let key_der: PrivateKeyDer<'static> =
        rustls_pemfile::private_key(&mut std::io::BufReader::new(std::fs::File::open(key).map_err(io(key))?))
            .map_err(io(key))?
            .ok_or_else(|| TlsError::Empty(key.display().to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
