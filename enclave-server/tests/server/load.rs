//! Load over loopback: more concurrent `/prove` requests than the queue holds. The excess gets
//! 503 with `Retry-After`, every accepted job gets its answer, and `/health` and `/attestation`
//! stay responsive throughout.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::common::{encrypt_to, one_step, Sandbox, FIXTURE};
use crate::e2e_bb::real_bb_server_args;
use crate::loopback::{get_json, refs, sandbox_args, Server};

/// Outcome counts and the slowest `/health` and `/attestation` answer seen while loaded.
#[derive(Debug, Default)]
struct Report {
    statuses: Vec<u16>,
    retry_after_on_503: bool,
    worst_health: Duration,
    worst_attestation: Duration,
    wall: Duration,
}

/// Fires `n` concurrent proofs of `plaintext` and probes the light endpoints until they finish.
async fn storm(server: &Server, plaintext: &[u8], n: usize) -> Report {
    let (_, attestation) = get_json(&format!("{}/attestation", server.url)).await;
    let message = encrypt_to(
        attestation["publicKey"].as_str().unwrap().as_bytes(),
        plaintext,
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    let proofs = join_all((0..n).map(|_| {
        client
            .post(format!("{}/prove", server.url))
            .header("content-type", "application/octet-stream")
            .body(message.clone())
            .timeout(Duration::from_secs(900))
            .send()
    }));
    let mut report = Report::default();
    let probe = async {
        let mut worst = (Duration::ZERO, Duration::ZERO);
        loop {
            for (path, slot) in [("/health", &mut worst.0), ("/attestation", &mut worst.1)] {
                let t = Instant::now();
                assert_eq!(get_json(&format!("{}{path}", server.url)).await.0, 200);
                *slot = (*slot).max(t.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let (_, health) = get_json(&format!("{}/health", server.url)).await;
            if started.elapsed() > Duration::from_secs(1)
                && health["queue"]["running"] == 0
                && health["queue"]["waiting"] == 0
            {
                return worst;
            }
        }
    };
    let (responses, worst) = tokio::join!(proofs, probe);
    report.wall = started.elapsed();
    (report.worst_health, report.worst_attestation) = worst;
    for response in responses {
        let response = response.unwrap();
        let status = response.status().as_u16();
        if status == 503 {
            report.retry_after_on_503 = response.headers().contains_key("retry-after");
        }
        report.statuses.push(status);
    }
    report.statuses.sort_unstable();
    report
}

fn count(report: &Report, status: u16) -> usize {
    report.statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn excess_proofs_get_503_and_every_accepted_job_its_answer() {
    let sandbox = Sandbox::new("sleep 1; head -c 64 /dev/zero > \"$7/proof\"");
    let (concurrency, max_waiting) = (2, 3);
    let n = concurrency + max_waiting + 2;
    let mut args = sandbox_args(&sandbox);
    args.extend(
        [
            "--attestation",
            "none",
            "--concurrency",
            &concurrency.to_string(),
            "--max-waiting",
            &max_waiting.to_string(),
            "--prove-rate-per-minute",
            "0",
            "--attestation-rate-per-minute",
            "0",
        ]
        .map(String::from),
    );
    let server = Server::start(&refs(&args));
    let report = storm(&server, &one_step(), n).await;
    eprintln!("stand-in load, n={n}: {report:?}");
    assert_eq!(count(&report, 200), concurrency + max_waiting, "{report:?}");
    assert_eq!(count(&report, 503), 2, "{report:?}");
    assert!(report.retry_after_on_503);
    assert!(report.worst_health < Duration::from_secs(1), "{report:?}");
    assert!(
        report.worst_attestation < Duration::from_secs(1),
        "{report:?}"
    );
    assert!(sandbox.work_is_empty());
    assert!(server.terminate().success());
}

#[tokio::test]
async fn the_real_bb_under_load_answers_every_accepted_job() {
    let work = tempfile::tempdir().unwrap();
    let mut args = real_bb_server_args(work.path());
    // The probes ask for attestations every few hundred milliseconds for as long as bb runs;
    // rate limits are tested elsewhere and stay out of the way here.
    args.extend(
        [
            "--concurrency",
            "1",
            "--max-waiting",
            "1",
            "--prove-rate-per-minute",
            "0",
            "--attestation-rate-per-minute",
            "0",
        ]
        .map(String::from),
    );
    let server = Server::start(&refs(&args));
    let insecure = get_json(&format!("{}/health", server.url)).await.1["prover"]["crsInsecure"]
        .as_bool()
        .unwrap();
    let report = storm(&server, FIXTURE, 3).await;
    eprintln!("real bb load, n=3, concurrency 1, max-waiting 1: {report:?}");
    let answered = if insecure { 422 } else { 200 };
    assert_eq!(count(&report, answered), 2, "{report:?}");
    assert_eq!(count(&report, 503), 1, "{report:?}");
    assert!(report.retry_after_on_503);
    assert!(report.worst_health < Duration::from_secs(2), "{report:?}");
    assert!(
        report.worst_attestation < Duration::from_secs(2),
        "{report:?}"
    );
    assert_eq!(
        server
            .log_with("\"circuits_accumulated\":9", 2)
            .await
            .matches("\"circuits_accumulated\":9")
            .count(),
        2
    );
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none());
}
