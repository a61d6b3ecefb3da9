//! `tee-rex-server`: reads the config, starts tracing, builds the state and serves.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use clap::Parser;
use tee_rex_protocol::api::AttestationMode;
use tee_rex_server::{
    attest, configure, measure_prover_identity, AppState, Config, LogFormat, ProveQueue, Prover,
    ServerKey,
};
use tracing_subscriber::EnvFilter;

/// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
const SHUTDOWN_TIMEOUT_SECS: u64 = 20;
/// Log directives applied over `RUST_LOG`: targets whose verbose output can hold secrets.
const SECRET_SAFE_DIRECTIVES: [&str; 1] = ["pgp=info"];
/// Seconds a client has to send a request's head; idle new connections are closed after it.
const HEADER_TIMEOUT_SECS: u64 = 10;
/// Seconds an idle keep-alive connection stays open.
const KEEP_ALIVE_SECS: u64 = 5;

#[actix_web::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    init_tracing(config.log_format);
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "tee-rex-server stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let config = config.into_absolute()?;
    config.check()?;
    let mode = config.attestation_mode();
    if mode == AttestationMode::None {
        tracing::warn!(
            "attestation is off (--attestation none): clients cannot verify this server"
        );
    }

    let identity = measure_prover_identity(&config.bb, config.bb_binary(), &config.crs_dir).await?;
    if identity.crs_insecure {
        tracing::warn!(
            crs_dir = %config.crs_dir.display(),
            "INSECURE TEST CRS: proofs from this server are worthless and bb's self-check rejects them"
        );
    }
    tracing::info!(
        bb_version = %identity.bb_version,
        bb_sha256 = %hex::encode(identity.bb_sha256),
        crs_files = identity.crs.len(),
        crs_insecure = identity.crs_insecure,
        "prover measured"
    );

    let key = ServerKey::generate()?;
    tracing::info!(fingerprint = %key.fingerprint(), "openpgp key generated in memory");
    let server_binary = std::env::current_exe()?;
    let attestor = attest::from_config(mode, config.dev_root_out.as_deref(), &server_binary)?;

    let prover = Prover::new(
        config.bb.clone(),
        config.crs_dir.clone(),
        config.work_dir(),
        config.prove_timeout(),
    );
    let queue = ProveQueue::new(config.concurrency, config.max_waiting);
    let state = web::Data::new(
        AppState::new(
            key,
            attestor,
            identity,
            prover,
            queue,
            config.max_body_bytes,
        )?
        .with_upload_timeout(config.upload_timeout())
        .with_rate_limits(
            config.prove_rate(),
            config.attestation_rate(),
            config.trusted_proxies.clone(),
        ),
    );

    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(configure))
        .on_connect(tee_rex_server::on_connect)
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        // Request head must arrive within this; the body has its own upload timeout.
        .client_request_timeout(Duration::from_secs(HEADER_TIMEOUT_SECS))
        .keep_alive(Duration::from_secs(KEEP_ALIVE_SECS))
        .bind(config.listen)?;
    for address in server.addrs() {
        tracing::info!(address = %address, attestation = ?mode, "listening");
    }
    server.run().await?;
    tracing::info!("shut down");
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // rPGP's debug and trace output prints key and packet structures (the secret key's
    // parameters among them): capped whatever RUST_LOG says, since a later directive for the same
    // target wins.
    for directive in SECRET_SAFE_DIRECTIVES {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
