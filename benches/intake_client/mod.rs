//! The intake benchmark's load generator: one keep-alive HTTP/1.1 connection per client, one
//! request in flight on it, written as a single buffer (one TLS record) and answered by reading
//! the status line, the headers and a `content-length` (or chunked) body. Both servers get the
//! same code; it does per request only what a client must, so on a 2-core machine it leaves the
//! server under test as much of the CPU as it can (reqwest's pool and layers took about 35 µs of
//! CPU a request, a third of banpol's own cost).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where the clients connect: plain HTTP, or HTTPS trusting one certificate (PEM).
#[derive(Clone)]
pub struct Target {
    addr: SocketAddr,
    host: String,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Target {
    /// `base` is `http://ip:port` or `https://ip:port`; `cert_pem` the server's certificate
    /// (HTTPS only).
    pub fn new(base: &str, cert_pem: Option<&[u8]>) -> Target {
        let host = base.split("://").nth(1).expect("a base URL").trim_end_matches('/').to_owned();
        let addr = host.parse().expect("an ip:port base URL");
        let tls = base.starts_with("https://").then(|| {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_pemfile::certs(&mut cert_pem.expect("the server's certificate")) {
                roots.add(c.unwrap()).unwrap();
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        });
        Target { addr, host, tls }
    }

    pub async fn connect(&self) -> io::Result<Conn> {
        let tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(config) => {
                let name = rustls::pki_types::ServerName::IpAddress(self.addr.ip().into());
                Box::new(tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp).await?)
            }
        };
        Ok(Conn { io, host: self.host.clone(), req: Vec::with_capacity(1024), buf: Vec::with_capacity(4096) })
    }
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub struct Conn {
    io: Box<dyn Io>,
    host: String,
    req: Vec<u8>,
    buf: Vec<u8>,
}

impl Conn {
    /// POSTs a JSON `body` to `path` and reads the whole answer; returns its status.
    pub async fn post_json(&mut self, path: &str, body: &[u8]) -> io::Result<u16> {
        use std::io::Write;
        self.req.clear();
        write!(
            self.req,
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.host,
            body.len()
        )?;
        self.req.extend_from_slice(body);
        self.io.write_all(&self.req).await?;
        self.io.flush().await?;
        self.read_answer().await
    }

    async fn fill(&mut self) -> io::Result<()> {
        let n = self.io.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        Ok(())
    }

    async fn read_answer(&mut self) -> io::Result<u16> {
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head =
            std::str::from_utf8(&self.buf[..head_end]).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {head}"));
        let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status"))?;
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        };
        if let Some(len) = header("content-length") {
            let len: usize = len.parse().map_err(|_| bad("content-length"))?;
            while self.buf.len() < head_end + len {
                self.fill().await?;
            }
        } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            while !self.buf[head_end..].ends_with(b"0\r\n\r\n") {
                self.fill().await?;
            }
        } else {
            return Err(bad("neither content-length nor chunked"));
        }
        Ok(status)
    }
}
