//! jit over HTTPS: the server's certificate is checked against the system's roots (or
//! `SSL_CERT_FILE`), read when jit builds its client for an https endpoint. The emulator is put behind a
//! TLS-terminating proxy on 127.0.0.1 whose certificate comes from tests/fixtures/tls (a test CA,
//! valid until 2125, used nowhere else).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use crate::api::{PROD, jit_members};
use crate::harness::{self, Emulator};
use crate::support::Jit;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

/// Accepts TLS on 127.0.0.1 with the fixture's certificate and relays the plain bytes to the
/// emulator, connection by connection, on a thread of its own; stops with the test.
struct TlsProxy {
    url: String,
    _rt: tokio::runtime::Runtime,
}

impl TlsProxy {
    fn start(emu: &Emulator) -> TlsProxy {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
            .expect("the fixture certificate")
            .collect::<Result<_, _>>()
            .expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_file(fixture("server.key")).expect("the fixture key");
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("the fixture certificate and key match");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let upstream = emu.host();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("a port");
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        rt.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake; nothing to relay.
                    let Ok(mut tls) = acceptor.accept(socket).await else { return };
                    let Ok(mut plain) = TcpStream::connect(&upstream).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsProxy { url, _rt: rt }
    }
}

/// `jit` against the proxy as alice, with no CA settings inherited from the environment.
fn jit_https(emu: &Emulator, proxy: &TlsProxy, args: &[&str]) -> Jit {
    emu.jit_at(&proxy.url, "alice-token", args).env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR")
}

#[test]
fn https_endpoint_with_an_unknown_certificate_authority_is_refused() {
    let emu = harness::emulator().start();
    let proxy = TlsProxy::start(&emu);
    let before = emu.policy_text(&format!("projects/{PROD}"));
    let run = jit_https(
        &emu,
        &proxy,
        &["grant", "roles/logging.viewer", "--member", "bob@example.com", "--project", PROD, "--yes"],
    )
    .run()
    .code(1);
    assert!(
        run.error_line().contains("invalid peer certificate") && run.error_line().contains(&proxy.url),
        "the error names the certificate and the endpoint:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: ") && run.stderr.contains("SSL_CERT_FILE"), "{}", run.stderr);
    assert!(emu.handle().requests().is_empty(), "nothing reached the API: {:?}", emu.handle().requests());
    assert_eq!(emu.policy_text(&format!("projects/{PROD}")), before);
}

#[test]
fn https_endpoint_trusted_through_ssl_cert_file_works_end_to_end() {
    let emu = harness::emulator().start();
    let proxy = TlsProxy::start(&emu);
    let ca = fixture("ca.pem");
    let report = jit_https(
        &emu,
        &proxy,
        &[
            "grant",
            "roles/logging.viewer",
            "--member",
            "bob@example.com",
            "--project",
            PROD,
            "--yes",
            "--format",
            "json",
        ],
    )
    .env("SSL_CERT_FILE", &ca)
    .run()
    .ok()
    .json();
    assert_eq!(
        report["granted"][0]["grantedBy"], "user:alice@example.com",
        "the caller was asked over TLS too"
    );
    assert_eq!(
        jit_members(&emu.stored(&format!("projects/{PROD}")), "roles/logging.viewer"),
        ["user:bob@example.com"]
    );
    let listed = jit_https(&emu, &proxy, &["list", "--project", PROD, "--format", "json"])
        .env("SSL_CERT_FILE", &ca)
        .run()
        .ok()
        .json();
    assert_eq!(listed[0]["member"], "user:bob@example.com");
}
