//! The real binary over loopback.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{encrypt_to, one_step, wait_for_file, wait_until_dead, Sandbox};

/// A running `tee-rex-server` and everything it wrote to stdout and stderr.
pub struct Server {
    child: Child,
    pub url: String,
    pub output: Arc<Mutex<Vec<u8>>>,
}

impl Server {
    /// Starts the binary on a free loopback port with `args` and waits until it listens.
    pub fn start(args: &[&str]) -> Self {
        Self::start_logging(args, "info")
    }

    /// [`Server::start`] with `RUST_LOG` set to `filter`.
    pub fn start_logging(args: &[&str], filter: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tee-rex-server"))
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(args)
            .env("RUST_LOG", filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let streams: [Box<dyn std::io::Read + Send>; 2] = [Box::new(stdout), Box::new(stderr)];
        for stream in streams {
            let sink = Arc::clone(&output);
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = Vec::new();
                while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(&line) {
                        if event["fields"]["message"] == "listening" {
                            let address = event["fields"]["address"].as_str().unwrap_or("");
                            let _ = tx.send(address.to_owned());
                        }
                    }
                    sink.lock().unwrap().extend_from_slice(&line);
                    line.clear();
                }
            });
        }
        let address = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "server never listened; log:\n{}",
                    String::from_utf8_lossy(&output.lock().unwrap())
                )
            });
        Self {
            child,
            url: format!("http://{address}"),
            output,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `host:port` it listens on.
    pub fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Resident memory in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// Everything written so far, raw.
    pub fn raw_output(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.raw_output()).into_owned()
    }

    /// The log once `needle` appears in it `times` times, or after five seconds: the output
    /// reaches the test through a pipe, a moment after the answer the server logged it before.
    pub async fn log_with(&self, needle: &str, times: usize) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.log();
            if log.matches(needle).count() >= times || std::time::Instant::now() > deadline {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server ignored SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sandbox_args(sandbox: &Sandbox) -> Vec<String> {
    vec![
        "--bb-binary-sha-path".into(),
        sandbox.bb().display().to_string(),
        "--bb".into(),
        sandbox.bb().display().to_string(),
        "--crs-dir".into(),
        sandbox.crs().display().to_string(),
        "--work-dir".into(),
        sandbox.work().display().to_string(),
    ]
}

pub fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn endpoints_answer_over_loopback() {
    let sandbox = Sandbox::new("head -c 64 /dev/zero > \"$7/proof\"");
    let mut args = sandbox_args(&sandbox);
    args.extend(["--attestation".into(), "none".into()]);
    let server = Server::start(&refs(&args));

    let (status, health) = get_json(&format!("{}/health", server.url)).await;
    assert_eq!(status, 200);
    assert_eq!(health["attestation"], "none");
    let (status, attestation) = get_json(&format!("{}/attestation", server.url)).await;
    assert_eq!(status, 200);
    assert_eq!(attestation["mode"], "standard");
    let (status, missing) = get_json(&format!("{}/missing", server.url)).await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );

    let key = attestation["publicKey"].as_str().unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/prove", server.url))
        .header("content-type", "application/octet-stream")
        .body(encrypt_to(key.as_bytes(), &one_step()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().contains_key("x-prove-duration-ms"));

    let log = server.log();
    assert!(
        log.contains("attestation is off"),
        "the none mode must be logged as a warning"
    );
    assert!(log.contains("INSECURE TEST CRS"));
    assert!(log.contains("\"route\":\"/prove\""), "{log}");
    assert!(!log.contains("app:main"), "a function name reached the log");
    assert!(server.terminate().success());
    assert!(sandbox.work_is_empty());
}

#[tokio::test]
async fn a_client_that_goes_away_stops_its_job() {
    let sandbox = Sandbox::new("echo $$ > \"$7/../../../pid\"; exec sleep 60");
    let pid = sandbox.path("pid");
    let mut args = sandbox_args(&sandbox);
    args.extend([
        "--attestation".into(),
        "none".into(),
        "--max-waiting".into(),
        "0".into(),
    ]);
    let server = Server::start(&refs(&args));
    let (_, attestation) = get_json(&format!("{}/attestation", server.url)).await;
    let message = encrypt_to(
        attestation["publicKey"].as_str().unwrap().as_bytes(),
        &one_step(),
    );

    let client = reqwest::Client::new();
    let request = client
        .post(format!("{}/prove", server.url))
        .header("content-type", "application/octet-stream")
        .body(message.clone())
        .timeout(Duration::from_secs(30))
        .send();
    let probe = async {
        wait_for_file(&pid).await;
        // While bb runs: health and attestation answer, another proof is refused with 503.
        let (status, health) = get_json(&format!("{}/health", server.url)).await;
        assert_eq!(
            (status, health["queue"]["running"].as_u64()),
            (200, Some(1))
        );
        assert_eq!(
            get_json(&format!("{}/attestation", server.url)).await.0,
            200
        );
        let busy = client
            .post(format!("{}/prove", server.url))
            .header("content-type", "application/octet-stream")
            .body(message.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(busy.status().as_u16(), 503);
        assert!(busy.headers().contains_key("retry-after"));
    };
    // Drop the first request as soon as the probe is done: the client goes away.
    tokio::select! {
        _ = request => panic!("the hanging job answered"),
        () = probe => {}
    }
    wait_until_dead(&pid).await;
    for _ in 0..100 {
        if sandbox.work_is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        sandbox.work_is_empty(),
        "job folder left after the client went away"
    );
    assert!(server.terminate().success());
}

#[test]
fn bad_config_stops_with_a_clear_error() {
    let bin = env!("CARGO_BIN_EXE_tee-rex-server");
    let sandbox = Sandbox::new("exit 0");
    let output = Command::new(bin)
        .args([
            "--attestation",
            "none",
            "--bb",
            "/nonexistent/bb",
            "--crs-dir",
        ])
        .arg(sandbox.crs())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--bb"),
        "{output:?}"
    );

    let output = Command::new(bin)
        .args(["--bb", "x", "--crs-dir", "y"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--attestation"));

    // A script wrapper as bb without the real binary to hash: refused.
    let output = Command::new(bin)
        .args(["--attestation", "none", "--bb"])
        .arg(sandbox.bb())
        .arg("--crs-dir")
        .arg(sandbox.crs())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bb-binary-sha-path"));
}

#[test]
fn help_documents_every_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_tee-rex-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--listen",
        "--attestation",
        "--bb ",
        "--bb-binary-sha-path",
        "--crs-dir",
        "--dev-root-out",
        "--work-dir",
        "--max-body-bytes",
        "--concurrency",
        "--max-waiting",
        "--prove-timeout-secs",
        "--log-format",
        "--upload-timeout-secs",
        "--prove-rate-per-minute",
        "--prove-rate-burst",
        "--attestation-rate-per-minute",
        "--attestation-rate-burst",
        "--trusted-proxies",
        "TEE_REX_LISTEN",
        "TEE_REX_ATTESTATION",
        "127.0.0.1:4000",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

#[tokio::test]
async fn timeout_and_a_waiter_leaving_over_loopback() {
    let sandbox = Sandbox::new("echo $$ > \"$7/../../../pid\"; exec sleep 30");
    let pid = sandbox.path("pid");
    let mut args = sandbox_args(&sandbox);
    args.extend(
        [
            "--attestation",
            "none",
            "--prove-timeout-secs",
            "5",
            "--max-waiting",
            "1",
        ]
        .map(String::from),
    );
    let server = Server::start(&refs(&args));
    let (_, attestation) = get_json(&format!("{}/attestation", server.url)).await;
    let message = encrypt_to(
        attestation["publicKey"].as_str().unwrap().as_bytes(),
        &one_step(),
    );
    let client = reqwest::Client::new();
    let post = || {
        client
            .post(format!("{}/prove", server.url))
            .header("content-type", "application/octet-stream")
            .body(message.clone())
            .send()
    };

    let running = post();
    let waiter_leaves = async {
        wait_for_file(&pid).await;
        // A second client queues, then gives up: its waiting place is freed.
        let waiter = tokio::time::timeout(Duration::from_millis(700), post()).await;
        assert!(waiter.is_err(), "the waiter should still be queued");
        // Well before the running job's 5 s timeout would hand the slot on.
        for _ in 0..20 {
            let (_, health) = get_json(&format!("{}/health", server.url)).await;
            if health["queue"]["waiting"] == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the waiting place was not freed");
    };
    let (response, ()) = tokio::join!(running, waiter_leaves);
    let response = response.unwrap();
    assert_eq!(response.status().as_u16(), 504);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "PROVE_TIMEOUT");
    wait_until_dead(&pid).await;
    assert!(sandbox.work_is_empty());
    assert!(server.terminate().success());
}
