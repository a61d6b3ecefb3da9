//! Faults over loopback against the real binary: bb missing, killed or hanging, an unusable work
//! folder, a missing or emptied CRS, clients leaving mid-upload. Each gets a clear code, leaves
//! no job folder, and the server keeps serving. (bb hanging past the timeout and a client leaving
//! mid-proof are `loopback::timeout_and_a_waiter_leaving_over_loopback` and
//! `loopback::a_client_that_goes_away_stops_its_job`.)

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::common::{encrypt_to, one_step, wait_for_file, Sandbox};
use crate::loopback::{get_json, refs, sandbox_args, Server};

fn start(sandbox: &Sandbox) -> (Server, Vec<u8>) {
    let mut args = sandbox_args(sandbox);
    args.extend(["--attestation", "none", "--prove-rate-per-minute", "0"].map(String::from));
    let server = Server::start(&refs(&args));
    let message = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_, attestation) = get_json(&format!("{}/attestation", server.url)).await;
        encrypt_to(
            attestation["publicKey"].as_str().unwrap().as_bytes(),
            &one_step(),
        )
    });
    (server, message)
}

async fn prove(server: &Server, message: &[u8]) -> (u16, String, bool) {
    let response = reqwest::Client::new()
        .post(format!("{}/prove", server.url))
        .header("content-type", "application/octet-stream")
        .body(message.to_vec())
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let timed = response.headers().contains_key("x-prove-duration-ms");
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
        timed,
    )
}

async fn still_serving(server: &Server) {
    let (status, health) = get_json(&format!("{}/health", server.url)).await;
    assert_eq!(
        (status, health["queue"]["running"].as_u64()),
        (200, Some(0))
    );
}

#[test]
fn bb_missing_killed_or_without_crs_is_prover_failed() {
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // bb disappears after start.
    let sandbox = Sandbox::new("head -c 64 /dev/zero > \"$7/proof\"");
    let (server, message) = start(&sandbox);
    std::fs::remove_file(sandbox.bb()).unwrap();
    runtime.block_on(async {
        assert_eq!(
            prove(&server, &message).await,
            (500, "PROVER_FAILED".into(), false)
        );
        still_serving(&server).await;
    });
    assert!(server.log().contains("cannot start bb"));
    assert!(sandbox.work_is_empty());
    drop(server);

    // bb is killed mid-proof (SIGKILL, as the OOM killer would).
    let sandbox = Sandbox::new("echo $$ > \"$7/../../../pid\"; exec sleep 60");
    let (server, message) = start(&sandbox);
    runtime.block_on(async {
        let kill = async {
            wait_for_file(&sandbox.path("pid")).await;
            let pid = std::fs::read_to_string(sandbox.path("pid")).unwrap();
            assert!(Command::new("kill")
                .args(["-KILL", pid.trim()])
                .status()
                .unwrap()
                .success());
        };
        let (answer, ()) = tokio::join!(prove(&server, &message), kill);
        assert_eq!(answer, (500, "PROVER_FAILED".into(), true));
        still_serving(&server).await;
    });
    assert!(server.log().contains("signal: 9"), "{}", server.log());
    assert!(sandbox.work_is_empty());
    drop(server);

    // The CRS is emptied or corrupted after start. The stand-in checks what real bb needs; a
    // real bb would try to download a missing CRS, which the enclave cannot do either.
    let sandbox = Sandbox::new(
        "[ \"$(head -c 64 \"$9/bn254_g1.dat\" 2>/dev/null | od -An -v -tx1 | tr -d ' \\n')\" = \
         \"$(printf '01%.0s' $(seq 64))\" ] || { echo 'CRS file missing or corrupt' >&2; exit 3; }\n\
         head -c 64 /dev/zero > \"$7/proof\"",
    );
    let (server, message) = start(&sandbox);
    runtime.block_on(async {
        assert_eq!(
            prove(&server, &message).await.0,
            200,
            "the sound CRS proves"
        );
        std::fs::write(sandbox.crs().join("bn254_g1.dat"), [7u8; 64]).unwrap();
        assert_eq!(
            prove(&server, &message).await,
            (500, "PROVER_FAILED".into(), true)
        );
        std::fs::remove_file(sandbox.crs().join("bn254_g1.dat")).unwrap();
        assert_eq!(
            prove(&server, &message).await,
            (500, "PROVER_FAILED".into(), true)
        );
        still_serving(&server).await;
    });
    assert!(sandbox.work_is_empty());
    drop(server);

    // The work folder becomes unusable (tests run as root, so a mode change would not stop
    // writes: it is replaced by a file).
    let sandbox = Sandbox::new("head -c 64 /dev/zero > \"$7/proof\"");
    let (server, message) = start(&sandbox);
    std::fs::remove_dir(sandbox.work()).unwrap();
    std::fs::write(sandbox.work(), b"not a folder").unwrap();
    runtime.block_on(async {
        assert_eq!(
            prove(&server, &message).await,
            (500, "PROVER_FAILED".into(), false)
        );
        still_serving(&server).await;
    });
    assert!(server.log().contains("cannot prepare the job folder"));
    std::fs::remove_file(sandbox.work()).unwrap();
    std::fs::create_dir(sandbox.work()).unwrap();
    runtime.block_on(async {
        assert_eq!(
            prove(&server, &message).await.0,
            200,
            "recovers once the folder is back"
        );
    });
    assert!(sandbox.work_is_empty());
}

#[test]
fn a_missing_or_empty_crs_stops_the_server_at_start() {
    let sandbox = Sandbox::new("exit 0");
    for file in ["bn254_g1.dat", "INSECURE_TEST_CRS"] {
        std::fs::remove_file(sandbox.crs().join(file)).unwrap();
    }
    let mut args = sandbox_args(&sandbox);
    args.extend(["--attestation", "none", "--listen", "127.0.0.1:0"].map(String::from));
    let output = Command::new(env!("CARGO_BIN_EXE_tee-rex-server"))
        .args(&args)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CRS") || stderr.contains("crs"), "{stderr}");
}

#[tokio::test]
async fn a_client_leaving_mid_upload_costs_nothing() {
    let sandbox = Sandbox::new("touch \"$7/../../../ran\"; exit 0");
    let mut args = sandbox_args(&sandbox);
    args.extend(["--attestation", "none"].map(String::from));
    let server = Server::start(&refs(&args));
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.address()).unwrap();
        stream
            .write_all(
                b"POST /prove HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n\
                  Content-Length: 100000\r\n\r\n",
            )
            .unwrap();
        stream.write_all(&[0xc1; 5000]).unwrap();
        drop(stream);
    }
    // Each dropped upload ends its handler (logged "body refused" or cancelled with the
    // connection); none reaches bb, and the server answers the next client.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, health) = get_json(&format!("{}/health", server.url)).await;
    assert_eq!(
        (status, health["queue"]["running"].as_u64()),
        (200, Some(0))
    );
    assert!(!sandbox.path("ran").exists());
    assert!(sandbox.work_is_empty());
    assert!(server.terminate().success());
}
