//! `tee-rex-crs`: generate a test CRS, or fetch and verify the real one, in bb's layout.
//!
//! Exit status: 0 success, 1 failure (including a CRS that fails verification), 2 bad usage,
//! 3 the CRS source could not be reached (provisioning may fall back to a test CRS).
#![forbid(unsafe_code)]
// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use tee_rex_crs::{
    fetch, generate_test_crs, insecure_test_g2, verify_dir, Error, FetchOptions, TrustedG2,
    MARKER_FILE,
};

const DEFAULT_G1_POINTS: u64 = (1 << 20) + 1;
const DEFAULT_GRUMPKIN_POINTS: u64 = (1 << 16) + 1;

/// Barretenberg CRS tool: bb's file layout (bn254_g1.dat, bn254_g2.dat, grumpkin_g1.flat.dat).
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an INSECURE test CRS from a publicly known secret, marked INSECURE_TEST_CRS.
    GenTest {
        /// Output folder (replaced).
        #[arg(long)]
        out: PathBuf,
        /// BN254 G1 points.
        #[arg(long, default_value_t = DEFAULT_G1_POINTS)]
        g1_points: u64,
        /// Grumpkin points.
        #[arg(long, default_value_t = DEFAULT_GRUMPKIN_POINTS)]
        grumpkin_points: u64,
    },
    /// Download the real CRS (g1.dat with a Range header, g2.dat), verify it against Ignition's G2,
    /// derive the Grumpkin points, then move it into place. Refuses anything that fails a check.
    Fetch {
        /// Base URL of the CRS host (Aztec's CDN: http://crs.aztec-cdn.foundation).
        #[arg(long)]
        base_url: String,
        /// Output folder (replaced only after verification).
        #[arg(long)]
        out: PathBuf,
        /// BN254 G1 points to download.
        #[arg(long)]
        g1_points: u64,
        /// Grumpkin points to derive.
        #[arg(long, default_value_t = DEFAULT_GRUMPKIN_POINTS)]
        grumpkin_points: u64,
        /// Seconds allowed for connecting.
        #[arg(long, default_value_t = 15)]
        connect_timeout_secs: u64,
        /// Seconds a read may stall before the download fails.
        #[arg(long, default_value_t = 60)]
        read_timeout_secs: u64,
    },
    /// Verify a CRS folder: points on curve and in subgroup, first point the generator, G2 point
    /// Ignition's, pairing relation between consecutive powers, Grumpkin points derived.
    Verify {
        /// The folder.
        dir: PathBuf,
        /// Accept tee-rex's own test G2 (publicly known secret) instead of Ignition's.
        #[arg(long)]
        insecure_test_crs: bool,
        /// Minimum BN254 G1 points.
        #[arg(long, default_value_t = 2)]
        g1_points: u64,
        /// Minimum Grumpkin points.
        #[arg(long, default_value_t = 1)]
        grumpkin_points: u64,
    },
}

fn main() -> ExitCode {
    let start = Instant::now();
    match run(Cli::parse().command) {
        Ok(summary) => {
            println!(
                "tee-rex-crs: {summary} ({:.1} s)",
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tee-rex-crs: error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::from(if e.is_unreachable() { 3 } else { 1 })
        }
    }
}

fn run(command: Command) -> Result<String, Error> {
    match command {
        Command::GenTest {
            out,
            g1_points,
            grumpkin_points,
        } => {
            generate_test_crs(&out, g1_points, grumpkin_points)?;
            Ok(format!(
                "INSECURE test CRS ({g1_points} G1, {grumpkin_points} Grumpkin points) written to {}",
                out.display()
            ))
        }
        Command::Fetch {
            base_url,
            out,
            g1_points,
            grumpkin_points,
            connect_timeout_secs,
            read_timeout_secs,
        } => {
            let options = FetchOptions {
                base_url,
                g1_points,
                grumpkin_points,
                trusted: TrustedG2::Ignition,
                connect_timeout: Duration::from_secs(connect_timeout_secs),
                read_timeout: Duration::from_secs(read_timeout_secs),
            };
            let v = fetch(&out, &options)?;
            Ok(format!(
                "Ignition CRS verified ({} G1, {} Grumpkin points) into {}",
                v.g1_points,
                v.grumpkin_points,
                out.display()
            ))
        }
        Command::Verify {
            dir,
            insecure_test_crs,
            g1_points,
            grumpkin_points,
        } => {
            let trusted = if insecure_test_crs {
                TrustedG2::InsecureTest(insecure_test_g2())
            } else {
                TrustedG2::Ignition
            };
            let v = verify_dir(&dir, trusted, g1_points, grumpkin_points)?;
            let kind = if v.insecure {
                "INSECURE test CRS consistent"
            } else if dir.join(MARKER_FILE).exists() {
                "Ignition CRS verified (ignoring a stray INSECURE_TEST_CRS marker)"
            } else {
                "Ignition CRS verified"
            };
            Ok(format!(
                "{kind}: {} G1, {} Grumpkin points",
                v.g1_points, v.grumpkin_points
            ))
        }
    }
}
