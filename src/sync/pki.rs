//! The federation's certificates (DESIGN §5). A parent is the CA of its children: it signs each
//! child's key at enrollment and serves sync with a certificate of its own CA. A child keeps its
//! key, the certificate it was given and the parent's CA (pinned). All in the data directory,
//! keys readable by the owner only.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SignatureAlgorithm, PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const CA_CERT: &str = "sync-ca-cert.pem";
const CA_KEY: &str = "sync-ca-key.pem";
const SERVER_CERT: &str = "sync-server-cert.pem";
const SERVER_KEY: &str = "sync-server-key.pem";
pub const CLIENT_CERT: &str = "sync-client-cert.pem";
pub const CLIENT_KEY: &str = "sync-client-key.pem";
pub const UPSTREAM_CA: &str = "sync-upstream-ca.pem";
pub const UPSTREAM: &str = "sync-upstream.json";

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("certificate: {0}")]
    Cert(String),
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |e| PkiError::Io(p.display().to_string(), e)
}

fn cert_err(e: impl std::fmt::Display) -> PkiError {
    PkiError::Cert(e.to_string())
}

pub fn sha256_hex(der: &[u8]) -> String {
    hex::encode(crate::model::event::hash_bytes(der))
}

/// A private key: 0600, written through `fsx` (no symlink followed, no predictable temp name).
fn write_secret(path: &Path, text: &str) -> Result<(), PkiError> {
    crate::fsx::write_secret(path, text.as_bytes()).map_err(io(path))
}

pub fn write_public(path: &Path, text: &str) -> Result<(), PkiError> {
    crate::fsx::write_file(path, text.as_bytes(), crate::fsx::PUBLIC).map_err(io(path))
}

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(io(path))
}

pub fn pem_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| PkiError::Cert(e.to_string()))?;
    if certs.is_empty() {
        return Err(PkiError::Cert("no certificate in PEM".into()));
    }
    Ok(certs)
}

fn pem_key(pem: &str) -> Result<PrivateKeyDer<'static>, PkiError> {
    rustls_pemfile::private_key(&mut pem.as_bytes())
        .map_err(|e| PkiError::Cert(e.to_string()))?
        .ok_or_else(|| PkiError::Cert("no private key in PEM".into()))
}

fn ca_params(node: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "banpol federation");
    dn.push(DnType::CommonName, format!("banpol sync CA {node}"));
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2050, 1, 1);
    p
}

/// This node's CA: it signs its children's certificates and its own sync server certificate.
pub struct Ca {
    dir: PathBuf,
    node: String,
    key: KeyPair,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
}

impl Ca {
    /// Loads the CA from the data directory, making it the first time.
    pub fn load_or_create(dir: &Path, node: &str) -> Result<Ca, PkiError> {
        let (kp, cp) = (dir.join(CA_KEY), dir.join(CA_CERT));
        let (key, cert_pem) = if kp.exists() && cp.exists() {
            (KeyPair::from_pem(&read(&kp)?).map_err(cert_err)?, read(&cp)?)
        } else {
            let key = KeyPair::generate().map_err(cert_err)?;
            let cert = ca_params(node).self_signed(&key).map_err(cert_err)?;
            write_secret(&kp, &key.serialize_pem())?;
            write_public(&cp, &cert.pem())?;
            (key, cert.pem())
        };
        let cert_der = pem_certs(&cert_pem)?.remove(0).to_vec();
        Ok(Ca { dir: dir.to_owned(), node: node.to_owned(), key, cert_pem, cert_der })
    }

    pub fn fingerprint(&self) -> String {
        sha256_hex(&self.cert_der)
    }

    fn issuer(&self) -> Issuer<'static, &KeyPair> {
        Issuer::new(ca_params(&self.node), &self.key)
    }

    /// A certificate for a child node's public key (raw P-256 point), for client auth only: it
    /// cannot serve TLS, so a post cannot pose as its parent to another post.
    pub fn issue_child(&self, code: &str, public_key: &[u8]) -> Result<(String, Vec<u8>), PkiError> {
        let mut p = CertificateParams::new(vec![format!("{}.banpol", code.to_ascii_lowercase())]).map_err(cert_err)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "banpol federation");
        dn.push(DnType::CommonName, code);
        p.distinguished_name = dn;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.not_before = rcgen::date_time_ymd(2024, 1, 1);
        p.not_after = rcgen::date_time_ymd(2050, 1, 1);
        let cert = p.signed_by(&RawP256(public_key.to_vec()), &self.issuer()).map_err(cert_err)?;
        Ok((cert.pem(), cert.der().to_vec()))
    }

    /// The sync server's certificate chain and key, made the first time.
    pub fn server_identity(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PkiError> {
        let (cp, kp) = (self.dir.join(SERVER_CERT), self.dir.join(SERVER_KEY));
        if !(cp.exists() && kp.exists()) {
            let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
            if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
                if !h.trim().is_empty() {
                    names.push(h.trim().to_owned());
                }
            }
            let key = KeyPair::generate().map_err(cert_err)?;
            let mut p = CertificateParams::new(names).map_err(cert_err)?;
            p.distinguished_name.push(DnType::CommonName, format!("banpol sync {}", self.node));
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            p.not_before = rcgen::date_time_ymd(2024, 1, 1);
            p.not_after = rcgen::date_time_ymd(2050, 1, 1);
            let cert = p.signed_by(&key, &self.issuer()).map_err(cert_err)?;
            write_secret(&kp, &key.serialize_pem())?;
            write_public(&cp, &format!("{}{}", cert.pem(), self.cert_pem))?;
        }
        Ok((pem_certs(&read(&cp)?)?, pem_key(&read(&kp)?)?))
    }

    /// The sync listener's TLS: a client certificate of this CA is asked for. Connections
    /// without one are let through the handshake only to reach the enrollment endpoints; every
    /// other endpoint refuses them. A certificate of another CA fails the handshake.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(self.cert_der.clone()))?;
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .allow_unauthenticated()
            .build()
            .map_err(|e| PkiError::Cert(e.to_string()))?;
        let (chain, key) = self.server_identity()?;
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// A raw P-256 public key (the uncompressed point), as a child sends it to be certified.
struct RawP256(Vec<u8>);

impl PublicKeyData for RawP256 {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

/// A child's key pair, made for enrollment; returns the PEM key and the raw public key.
pub fn child_key() -> Result<(String, Vec<u8>), PkiError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(cert_err)?;
    Ok((key.serialize_pem(), key.public_key_raw().to_vec()))
}

pub fn save_child_identity(dir: &Path, key_pem: &str, cert_pem: &str, ca_pem: &str) -> Result<(), PkiError> {
    write_secret(&dir.join(CLIENT_KEY), key_pem)?;
    write_public(&dir.join(CLIENT_CERT), cert_pem)?;
    write_public(&dir.join(UPSTREAM_CA), ca_pem)
}

/// Checks the parent's certificate: it must chain to the pinned CA and be meant for a server
/// (webpki checks the extended key usage: a child's certificate is for clients only), and,
/// once pinned, be the parent's own sync server certificate (its SHA-256, learned at
/// enrollment), so that no other certificate of that CA, such as an older post's issued for
/// both uses, can pose as the parent. Names are not checked: posts reach the hub by whatever
/// address works. The SHA-256 of the last certificate accepted is kept in `seen`.
#[derive(Debug)]
struct ParentCert {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    pin: Option<String>,
    seen: Arc<std::sync::Mutex<Option<String>>>,
}

impl rustls::client::danger::ServerCertVerifier for ParentCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(_) | Err(rustls::Error::InvalidCertificate(NotValidForName | NotValidForNameContext { .. })) => {}
            Err(e) => return Err(e),
        }
        let got = sha256_hex(end_entity);
        if self.pin.as_ref().is_some_and(|p| p != &got) {
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(NotTheParent),
            ))));
        }
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(got);
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not the parent's sync server certificate pinned at enrollment")]
struct NotTheParent;

/// Accepts any server certificate: only for fetching the parent's CA at enrollment, whose
/// fingerprint the join token pins.
#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// TLS for talking to the parent: the pinned CA (`None`: any certificate, only to fetch the
/// CA at enrollment), the pinned server certificate if known, and our client certificate if we
/// have one. `seen` receives the SHA-256 of the server certificate accepted.
pub fn client_config(
    ca_pem: Option<&str>,
    server_pin: Option<&str>,
    identity: Option<(&str, &str)>,
    seen: Arc<std::sync::Mutex<Option<String>>>,
) -> Result<rustls::ClientConfig, PkiError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        rustls::ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = match ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in pem_certs(ca)? {
                roots.add(c)?;
            }
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| PkiError::Cert(e.to_string()))?;
            let verifier = ParentCert { inner, pin: server_pin.map(str::to_owned), seen };
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier))
        }
        None => builder.dangerous().with_custom_certificate_verifier(Arc::new(AnyCert(provider))),
    };
    let mut cfg = match identity {
        Some((cert, key)) => builder.with_client_auth_cert(pem_certs(cert)?, pem_key(key)?)?,
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// This node's identity towards its parent, from the data directory.
pub struct Upstream {
    pub url: String,
    pub parent: String,
    /// SHA-256 of the parent's sync server certificate (`None`: enrolled by a release that did
    /// not pin it; learned at the next connection, see `pin_server`)
    pub server_sha256: Option<String>,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    /// the server certificate the last connection accepted
    pub seen: Arc<std::sync::Mutex<Option<String>>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct UpstreamFile {
    pub url: String,
    pub parent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_sha256: Option<String>,
}

impl Upstream {
    /// `None` when this node has not joined a parent.
    pub fn load(dir: &Path, url_override: Option<&str>) -> Result<Option<Upstream>, PkiError> {
        let f = dir.join(UPSTREAM);
        if !f.exists() {
            return Ok(None);
        }
        let file: UpstreamFile =
            serde_json::from_str(&read(&f)?).map_err(|e| PkiError::Cert(format!("{}: {e}", f.display())))?;
        Ok(Some(Upstream {
            url: url_override.map(str::to_owned).unwrap_or(file.url),
            parent: file.parent,
            server_sha256: file.server_sha256,
            ca_pem: read(&dir.join(UPSTREAM_CA))?,
            cert_pem: read(&dir.join(CLIENT_CERT))?,
            key_pem: read(&dir.join(CLIENT_KEY))?,
            seen: Arc::default(),
        }))
    }

    pub fn tls(&self) -> Result<rustls::ClientConfig, PkiError> {
        client_config(
            Some(&self.ca_pem),
            self.server_sha256.as_deref(),
            Some((&self.cert_pem, &self.key_pem)),
            self.seen.clone(),
        )
    }

    /// A node enrolled before the parent's server certificate was pinned pins it now: the one
    /// its first connection accepted (checked against the pinned CA, and the parent answered
    /// `hello` as the node it enrolled with). Returns whether it pinned.
    pub fn pin_server(&mut self, dir: &Path) -> Result<bool, PkiError> {
        if self.server_sha256.is_some() {
            return Ok(false);
        }
        let Some(seen) = self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return Ok(false);
        };
        let f = dir.join(UPSTREAM);
        let mut file: UpstreamFile =
            serde_json::from_str(&read(&f)?).map_err(|e| PkiError::Cert(format!("{}: {e}", f.display())))?;
        file.server_sha256 = Some(seen.clone());
        let text = serde_json::to_string_pretty(&file).map_err(|e| PkiError::Cert(e.to_string()))?;
        write_public(&f, &text)?;
        self.server_sha256 = Some(seen);
        Ok(true)
    }
}
