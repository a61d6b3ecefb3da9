//! `tee-rex prove`: the SDK's client flow over `reqwest`, with phases printed to stderr.

use std::{path::PathBuf, time::Duration};

use clap::Args;
use tee_rex_protocol::steps::parse_steps;
use tee_rex_sdk::{
    native::ReqwestTransport, AttestationPolicy, Client, ClientConfig, Phase, PhaseEvent,
    ProvingMode, ServerTiming,
};
use zeroize::Zeroizing;

use crate::{input, time, verify::parse_pcr, Failure};

/// How long one request may take: proving the largest transactions takes minutes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Arguments of `tee-rex prove`.
#[derive(Debug, Args)]
pub(crate) struct ProveArgs {
    /// The tee-rex server, e.g. http://127.0.0.1:4000.
    #[arg(long, value_name = "URL")]
    server: String,
    /// The msgpack proving steps (what `serializePrivateExecutionSteps` writes); `-` reads stdin.
    #[arg(long, value_name = "STEPS.msgpack")]
    input: String,
    /// Where to write the proof (4-byte big-endian field count, then 32-byte fields).
    #[arg(long, value_name = "PROOF")]
    out: PathBuf,
    /// Trust this PEM root instead of the AWS Nitro Enclaves Root G1 (a dev server's root).
    #[arg(long, value_name = "PEM")]
    trust_root: Option<String>,
    /// Require PCR N to equal HEX (48 bytes); repeatable.
    #[arg(long = "expect-pcr", value_name = "N=HEX", value_parser = parse_pcr)]
    expect_pcr: Vec<(u8, Vec<u8>)>,
    /// Expected PCRs from a JSON file: {"PCR0":"hex",...} or nitro-cli's {"Measurements":{...}}.
    #[arg(long, value_name = "JSON")]
    expect_pcrs_file: Option<String>,
    /// Accept a server without attestation (remote mode). Its key is not proven to be held by an
    /// enclave; a server that does send a document still has it verified.
    #[arg(long)]
    allow_unattested: bool,
    /// Refuse attestation documents older than SECS, and re-verify cached keys after it.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    max_age: u64,
}

/// Runs the command; prints each phase with its duration to stderr, then the server's own phases
/// when it reported them (also on a failure after the queue, such as bb's).
pub(crate) fn run(args: ProveArgs) -> Result<(), Failure> {
    let config = config(&args)?;

    // The steps are private: kept in zeroizing memory, never printed.
    let steps = Zeroizing::new(input::read(&args.input, "input")?);
    let count = parse_steps(&steps)
        .map_err(|e| Failure::refused("INVALID_STEPS", format!("{}: {e}", args.input)))?
        .len();
    eprintln!("input   {} proving steps, {} bytes", count, steps.len());

    let transport =
        ReqwestTransport::new(REQUEST_TIMEOUT).map_err(tee_rex_sdk::Error::Transport)?;
    let mut client = Client::new(transport, time::now_ms, config);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::refused("INTERNAL", format!("cannot start the runtime: {e}")))?;
    let mut printer = PhasePrinter::default();
    let result = runtime.block_on(client.prove(&steps, &mut |event| printer.on_event(event)));
    printer.finish(time::now_ms());
    let server_timing = match &result {
        Ok(outcome) => outcome.server_timing,
        Err(e) => e.server_timing().copied(),
    };
    if let Some(timing) = server_timing {
        eprintln!("{}", server_phases(&timing));
    }
    let outcome = result?;

    std::fs::write(&args.out, &outcome.proof).map_err(|e| {
        Failure::refused(
            "WRITE_FAILED",
            format!("cannot write {}: {e}", args.out.display()),
        )
    })?;
    eprintln!(
        "proof   {} bytes written to {}{}{}",
        outcome.proof.len(),
        args.out.display(),
        outcome
            .request_id
            .map(|id| format!(" (request {id})"))
            .unwrap_or_default(),
        if outcome.attested {
            ""
        } else {
            " from an UNATTESTED server"
        },
    );
    Ok(())
}

fn config(args: &ProveArgs) -> Result<ClientConfig, Failure> {
    let mut pcrs = args.expect_pcr.clone();
    if let Some(path) = &args.expect_pcrs_file {
        let from_file = tee_rex_sdk::parse_pcrs_json(&input::read_text(path, "PCR file")?)
            .map_err(|e| Failure::usage(e.code(), format!("{path}: {e}")))?;
        for (index, value) in from_file {
            match pcrs.iter().find(|(i, _)| *i == index) {
                Some((_, existing)) if *existing != value => {
                    return Err(Failure::usage(
                        "INVALID_EXPECTED_PCRS",
                        format!("PCR{index} differs between --expect-pcr and {path}"),
                    ))
                }
                Some(_) => {}
                None => pcrs.push((index, value)),
            }
        }
    }

    let mode = if args.allow_unattested {
        ProvingMode::Remote
    } else {
        ProvingMode::Tee
    };
    if mode == ProvingMode::Tee && pcrs.is_empty() {
        return Err(Failure::usage(
            "MISSING_EXPECTED_PCRS",
            "give the enclave's PCRs with --expect-pcr N=HEX or --expect-pcrs-file JSON \
             (or --allow-unattested for a server outside an enclave)",
        ));
    }

    let mut policy = AttestationPolicy::new()
        .expected_pcrs(pcrs)
        .max_age(Duration::from_secs(args.max_age));
    if let Some(path) = &args.trust_root {
        policy = policy.insecure_trusted_root_pem(input::read_text(path, "trust root")?);
    }
    let config = ClientConfig::new(&args.server, policy)
        .map_err(|e| Failure::usage(e.code(), format!("--server {:?}: {e}", args.server)))?;
    Ok(config.mode(mode).allow_unattested(args.allow_unattested))
}

/// The server's phases on one line: `server  upload 1.5 ms, ..., prove 13673 ms`.
fn server_phases(timing: &ServerTiming) -> String {
    let phases: Vec<String> = timing
        .phases()
        // Nanoseconds over 1e6: the shortest decimal the server sent, at most a day's worth.
        .map(|(name, d)| format!("{name} {} ms", d.as_nanos() as f64 / 1e6))
        .collect();
    format!("server  {}", phases.join(", "))
}

/// Prints each phase when the next begins, with the time between them.
#[derive(Debug, Default)]
struct PhasePrinter {
    current: Option<PhaseEvent>,
}

impl PhasePrinter {
    fn on_event(&mut self, event: PhaseEvent) {
        self.finish(event.at_ms);
        self.current = Some(event);
    }

    fn finish(&mut self, now_ms: u64) {
        let Some(event) = self.current.take() else {
            return;
        };
        let took = now_ms.saturating_sub(event.at_ms);
        let name = match event.phase {
            Phase::FetchAttestation => "fetch-attestation".to_owned(),
            Phase::VerifyAttestation => "verify-attestation".to_owned(),
            Phase::Encrypt => "encrypt".to_owned(),
            Phase::Transmit => "transmit".to_owned(),
            Phase::Proving => "proving".to_owned(),
            Phase::Proved { duration_ms } => format!("proved (server: {duration_ms} ms)"),
            Phase::Receive => "receive".to_owned(),
            _ => format!("{:?}", event.phase),
        };
        eprintln!("phase   {name:<32} {took:>8} ms");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_phases_read_as_the_server_sent_them() {
        let timing = ServerTiming::parse(
            "upload;dur=1.5, decrypt;dur=3.3, parse;dur=0.01, queue;dur=0, prove;dur=13673",
        )
        .unwrap();
        assert_eq!(
            server_phases(&timing),
            "server  upload 1.5 ms, decrypt 3.3 ms, parse 0.01 ms, queue 0 ms, prove 13673 ms"
        );
        let queue_full = ServerTiming::parse("upload;dur=120.25, parse;dur=0.004").unwrap();
        assert_eq!(
            server_phases(&queue_full),
            "server  upload 120.25 ms, parse 0.004 ms"
        );
    }
}
