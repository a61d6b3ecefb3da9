//! Command-line and environment configuration, checked at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use tee_rex_protocol::api::AttestationMode;

/// The tee-rex enclave server: attests its OpenPGP key, decrypts proving steps and proves them
/// with Barretenberg's `bb`.
///
/// Every flag can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(name = "tee-rex-server", version)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "TEE_REX_LISTEN", default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,

    /// Attestation backend: `nitro` (the Nitro Security Module), `dev` (software attestor
    /// signing Nitro-format documents with a development root) or `none` (unattested).
    #[arg(long, env = "TEE_REX_ATTESTATION", value_enum)]
    pub attestation: AttestationArg,

    /// The `bb` executable (the real binary or a wrapper that runs it).
    #[arg(long, env = "TEE_REX_BB")]
    pub bb: PathBuf,

    /// The file whose SHA-256 is reported as bb's hash. Required when `--bb` is a script
    /// wrapper (point it at the real binary); defaults to `--bb` otherwise.
    #[arg(long, env = "TEE_REX_BB_BINARY_SHA_PATH")]
    pub bb_binary_sha_path: Option<PathBuf>,

    /// Folder holding the CRS files bb reads (`bn254_g1.dat`, `bn254_g2.dat`,
    /// `grumpkin_g1.flat.dat`). A file named `INSECURE_TEST_CRS` in it marks a test CRS.
    #[arg(long, env = "TEE_REX_CRS_DIR")]
    pub crs_dir: PathBuf,

    /// With `--attestation dev`: where to write the development root certificate (PEM) that
    /// clients must be given to trust the documents.
    #[arg(long, env = "TEE_REX_DEV_ROOT_OUT")]
    pub dev_root_out: Option<PathBuf>,

    /// Folder private job folders are made in (default: the system temporary folder).
    #[arg(long, env = "TEE_REX_WORK_DIR")]
    pub work_dir: Option<PathBuf>,

    /// Largest accepted `POST /prove` body, in bytes.
    #[arg(long, env = "TEE_REX_MAX_BODY_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Longest a `POST /prove` body may take to arrive in full, in seconds; slower uploads are
    /// answered 408 `UPLOAD_TIMEOUT`.
    #[arg(long, env = "TEE_REX_UPLOAD_TIMEOUT_SECS", default_value_t = 60)]
    pub upload_timeout_secs: u64,

    /// Proofs run at once.
    #[arg(long, env = "TEE_REX_CONCURRENCY", default_value_t = 1)]
    pub concurrency: usize,

    /// Proofs that may wait for a slot; more are answered 503 with `Retry-After`.
    #[arg(long, env = "TEE_REX_MAX_WAITING", default_value_t = 4)]
    pub max_waiting: usize,

    /// Longest bb may run for one proof, in seconds.
    #[arg(long, env = "TEE_REX_PROVE_TIMEOUT_SECS", default_value_t = 600)]
    pub prove_timeout_secs: u64,

    /// Sustained `POST /prove` requests per minute per client address (0: no limit).
    #[arg(long, env = "TEE_REX_PROVE_RATE_PER_MINUTE", default_value_t = crate::DEFAULT_PROVE_RATE.per_minute)]
    pub prove_rate_per_minute: u32,

    /// `POST /prove` requests a client may make at once before the per-minute rate applies.
    #[arg(long, env = "TEE_REX_PROVE_RATE_BURST", default_value_t = crate::DEFAULT_PROVE_RATE.burst)]
    pub prove_rate_burst: u32,

    /// Sustained `GET /attestation` requests per minute per client address (0: no limit).
    #[arg(long, env = "TEE_REX_ATTESTATION_RATE_PER_MINUTE", default_value_t = crate::DEFAULT_ATTESTATION_RATE.per_minute)]
    pub attestation_rate_per_minute: u32,

    /// `GET /attestation` requests a client may make at once before the per-minute rate applies.
    #[arg(long, env = "TEE_REX_ATTESTATION_RATE_BURST", default_value_t = crate::DEFAULT_ATTESTATION_RATE.burst)]
    pub attestation_rate_burst: u32,

    /// Comma-separated proxies (addresses or CIDR networks) whose `X-Forwarded-For` header names
    /// the client for rate limiting. From any other peer the header is ignored.
    #[arg(long, env = "TEE_REX_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::Cidr>,

    /// Log format on stderr. The level comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "TEE_REX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// `--attestation` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AttestationArg {
    /// The AWS Nitro Security Module.
    Nitro,
    /// The development software attestor.
    Dev,
    /// No attestation (logged as a warning).
    None,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A configuration value that cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A path does not exist or has the wrong kind.
    #[error("{flag} {path}: {reason}")]
    Path {
        /// The flag.
        flag: &'static str,
        /// The path given.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// A number is out of range.
    #[error("{flag} must be at least {min}")]
    TooSmall {
        /// The flag.
        flag: &'static str,
        /// Smallest allowed value.
        min: u64,
    },
    /// `--bb` is a script and no real binary was named for hashing.
    #[error("--bb {0} is a script wrapper: pass --bb-binary-sha-path with the real bb binary")]
    WrapperWithoutBinary(PathBuf),
    /// `--dev-root-out` is required by `--attestation dev` and meaningless otherwise.
    #[error("--dev-root-out is required with --attestation dev and only allowed with it")]
    DevRootOut,
}

impl Config {
    /// Checks paths and ranges.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn check(&self) -> Result<(), ConfigError> {
        require_file("--bb", &self.bb)?;
        if let Some(path) = &self.bb_binary_sha_path {
            require_file("--bb-binary-sha-path", path)?;
        } else if is_script(&self.bb) {
            return Err(ConfigError::WrapperWithoutBinary(self.bb.clone()));
        }
        require_dir("--crs-dir", &self.crs_dir)?;
        if let Some(dir) = &self.work_dir {
            require_dir("--work-dir", dir)?;
        }
        if (self.attestation == AttestationArg::Dev) != self.dev_root_out.is_some() {
            return Err(ConfigError::DevRootOut);
        }
        if let Some(parent) = self.dev_root_out.as_deref().and_then(Path::parent) {
            if !parent.as_os_str().is_empty() {
                require_dir("--dev-root-out (its folder)", parent)?;
            }
        }
        for (flag, value) in [
            ("--max-body-bytes", self.max_body_bytes as u64),
            ("--concurrency", self.concurrency as u64),
            ("--prove-timeout-secs", self.prove_timeout_secs),
            ("--upload-timeout-secs", self.upload_timeout_secs),
            ("--prove-rate-burst", u64::from(self.prove_rate_burst)),
            (
                "--attestation-rate-burst",
                u64::from(self.attestation_rate_burst),
            ),
        ] {
            if value < 1 {
                return Err(ConfigError::TooSmall { flag, min: 1 });
            }
        }
        Ok(())
    }

    /// Makes every path absolute against the current folder.
    ///
    /// bb runs inside a private job folder, so a relative `--bb` or `--crs-dir` would point
    /// somewhere else by the time it is used.
    ///
    /// # Errors
    /// [`ConfigError::Path`] when the current folder cannot be read.
    pub fn into_absolute(mut self) -> Result<Self, ConfigError> {
        absolutize("--bb", &mut self.bb)?;
        absolutize("--crs-dir", &mut self.crs_dir)?;
        if let Some(path) = &mut self.bb_binary_sha_path {
            absolutize("--bb-binary-sha-path", path)?;
        }
        if let Some(path) = &mut self.work_dir {
            absolutize("--work-dir", path)?;
        }
        Ok(self)
    }

    /// The attestation mode in wire form.
    pub fn attestation_mode(&self) -> AttestationMode {
        match self.attestation {
            AttestationArg::Nitro => AttestationMode::Nitro,
            AttestationArg::Dev => AttestationMode::Dev,
            AttestationArg::None => AttestationMode::None,
        }
    }

    /// The file hashed as bb's binary.
    pub fn bb_binary(&self) -> &Path {
        self.bb_binary_sha_path.as_deref().unwrap_or(&self.bb)
    }

    /// The per-job timeout.
    pub fn prove_timeout(&self) -> Duration {
        Duration::from_secs(self.prove_timeout_secs)
    }

    /// The `POST /prove` rate limit.
    pub fn prove_rate(&self) -> crate::RateLimit {
        crate::RateLimit {
            per_minute: self.prove_rate_per_minute,
            burst: self.prove_rate_burst,
        }
    }

    /// The `GET /attestation` rate limit.
    pub fn attestation_rate(&self) -> crate::RateLimit {
        crate::RateLimit {
            per_minute: self.attestation_rate_per_minute,
            burst: self.attestation_rate_burst,
        }
    }

    /// How long a request body may take to arrive.
    pub fn upload_timeout(&self) -> Duration {
        Duration::from_secs(self.upload_timeout_secs)
    }

    /// The folder job folders are made in.
    pub fn work_dir(&self) -> PathBuf {
        self.work_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

fn absolutize(flag: &'static str, path: &mut PathBuf) -> Result<(), ConfigError> {
    *path = std::path::absolute(&*path).map_err(|_| ConfigError::Path {
        flag,
        path: path.clone(),
        reason: "cannot be made absolute",
    })?;
    Ok(())
}

fn require_file(flag: &'static str, path: &Path) -> Result<(), ConfigError> {
    if !path.is_file() {
        return Err(ConfigError::Path {
            flag,
            path: path.to_owned(),
            reason: "not a file",
        });
    }
    Ok(())
}

fn require_dir(flag: &'static str, path: &Path) -> Result<(), ConfigError> {
    if !path.is_dir() {
        return Err(ConfigError::Path {
            flag,
            path: path.to_owned(),
            reason: "not a folder",
        });
    }
    Ok(())
}

/// True when the file starts with `#!`.
fn is_script(path: &Path) -> bool {
    use std::io::Read;

    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == *b"#!"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("tee-rex-server").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_and_required_flags() {
        assert!(
            parse(&["--bb", "/bin/sh", "--crs-dir", "/tmp"]).is_err(),
            "attestation required"
        );
        let config = parse(&[
            "--attestation",
            "none",
            "--bb",
            "/bin/sh",
            "--crs-dir",
            "/tmp",
        ])
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:4000");
        assert_eq!(config.max_body_bytes, 50 * 1024 * 1024);
        assert_eq!(
            (
                config.concurrency,
                config.max_waiting,
                config.prove_timeout_secs
            ),
            (1, 4, 600)
        );
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.attestation_mode(), AttestationMode::None);
        assert!(parse(&[
            "--attestation",
            "maybe",
            "--bb",
            "/bin/sh",
            "--crs-dir",
            "/tmp"
        ])
        .is_err());
    }

    #[test]
    fn check_refuses_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("bb");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let binary = dir.path().join("bb-real");
        std::fs::write(&binary, b"\x7fELF").unwrap();
        let d = dir.path().to_str().unwrap();
        let s = script.to_str().unwrap();
        let b = binary.to_str().unwrap();

        let ok = parse(&["--attestation", "none", "--bb", b, "--crs-dir", d]).unwrap();
        ok.check().unwrap();
        assert_eq!(ok.bb_binary(), binary);

        let relative = parse(&["--attestation", "none", "--bb", "bb", "--crs-dir", "crs"])
            .unwrap()
            .into_absolute()
            .unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(relative.bb, cwd.join("bb"));
        assert_eq!(relative.crs_dir, cwd.join("crs"));

        type Case<'a> = (&'a [&'a str], fn(&ConfigError) -> bool);
        let cases: [Case<'_>; 6] = [
            (&["--attestation", "none", "--bb", s, "--crs-dir", d], |e| {
                matches!(e, ConfigError::WrapperWithoutBinary(_))
            }),
            (
                &[
                    "--attestation",
                    "none",
                    "--bb",
                    "/nonexistent",
                    "--crs-dir",
                    d,
                ],
                |e| matches!(e, ConfigError::Path { flag: "--bb", .. }),
            ),
            (&["--attestation", "none", "--bb", b, "--crs-dir", b], |e| {
                matches!(
                    e,
                    ConfigError::Path {
                        flag: "--crs-dir",
                        ..
                    }
                )
            }),
            (&["--attestation", "dev", "--bb", b, "--crs-dir", d], |e| {
                matches!(e, ConfigError::DevRootOut)
            }),
            (
                &[
                    "--attestation",
                    "none",
                    "--bb",
                    b,
                    "--crs-dir",
                    d,
                    "--concurrency",
                    "0",
                ],
                |e| {
                    matches!(
                        e,
                        ConfigError::TooSmall {
                            flag: "--concurrency",
                            ..
                        }
                    )
                },
            ),
            (
                &[
                    "--attestation",
                    "none",
                    "--bb",
                    b,
                    "--crs-dir",
                    d,
                    "--prove-timeout-secs",
                    "0",
                ],
                |e| {
                    matches!(
                        e,
                        ConfigError::TooSmall {
                            flag: "--prove-timeout-secs",
                            ..
                        }
                    )
                },
            ),
        ];
        for (args, expected) in cases {
            let error = parse(args).unwrap().check().unwrap_err();
            assert!(expected(&error), "{args:?}: {error}");
        }

        let wrapped = parse(&[
            "--attestation",
            "none",
            "--bb",
            s,
            "--bb-binary-sha-path",
            b,
            "--crs-dir",
            d,
        ])
        .unwrap();
        wrapped.check().unwrap();
        assert_eq!(wrapped.bb_binary(), binary);
    }
}
