//! `tee-rex`: prove through an attested enclave server, and verify attestation documents.
//!
//! Exit status: 0 on success, 1 when the work was refused or failed (the error code is the first
//! word on stderr), 2 for usage errors. The clock is read here and nowhere else on the client.

#![forbid(unsafe_code)]
// A command-line tool's job is printing: results to stdout, phases and errors to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod input;
mod prove;
mod time;
mod verify;

/// Prove Aztec transactions inside an attested AWS Nitro Enclave, and check attestation documents.
#[derive(Debug, Parser)]
#[command(name = "tee-rex", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send proving steps to a tee-rex server, encrypted to its attested key, and save the proof.
    Prove(prove::ProveArgs),
    /// Attestation documents.
    #[command(subcommand)]
    Attestation(AttestationCommand),
}

#[derive(Debug, Subcommand)]
enum AttestationCommand {
    /// Verify a Nitro attestation document; prints a JSON summary when it is accepted.
    Verify(verify::VerifyArgs),
}

/// A failure to report: its stable code, the message, and the exit status.
#[derive(Debug)]
struct Failure {
    code: String,
    message: String,
    status: u8,
}

impl Failure {
    /// The work was refused or failed: exit 1.
    fn refused(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status: 1,
        }
    }

    /// The command line is wrong: exit 2.
    fn usage(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status: 2,
        }
    }
}

impl From<tee_rex_sdk::Error> for Failure {
    fn from(e: tee_rex_sdk::Error) -> Self {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            // Variants that already print their source in their own text are not repeated.
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(&format!(": {text}"));
            }
            source = cause.source();
        }
        Self::refused(e.code(), message)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Prove(args) => prove::run(args),
        Command::Attestation(AttestationCommand::Verify(args)) => verify::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}: {}", failure.code, failure.message);
            ExitCode::from(failure.status)
        }
    }
}
