//! Fault injection with small shell scripts standing in for bb: they succeed, fail, hang or
//! chatter. The real bb runs in the integration tests.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::*;

struct Fixture {
    dir: tempfile::TempDir,
    work: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        Self { dir, work }
    }

    /// A prover whose bb is `script` (`$5` inputs, `$7` output folder, `$9` CRS folder).
    fn prover(&self, script: &str, timeout: Duration) -> Prover {
        let bb = self.dir.path().join("bb");
        std::fs::write(&bb, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&bb, std::fs::Permissions::from_mode(0o755)).unwrap();
        Prover::new(bb, self.dir.path().to_owned(), self.work.clone(), timeout)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn work_is_empty(&self) -> bool {
        std::fs::read_dir(&self.work).unwrap().next().is_none()
    }
}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn success_converts_the_proof_and_cleans_up() {
    let fx = Fixture::new();
    let seen = fx.path("seen");
    let script = format!(
        "[ \"$1 $2 $3 $4\" = 'prove --scheme chonk --ivc_inputs_path' ] || exit 9\n\
         [ \"$6 $8\" = '-o -c' ] || exit 9\n\
         stat -c %a \"$(dirname \"$5\")\" > {seen}\n\
         echo 'ChonkAccumulate - accumulating circuit x' >&2\n\
         cat \"$5\" > \"$7/proof\"",
        seen = seen.display()
    );
    let prover = fx.prover(&script, MINUTE);
    let input = [5u8; 64];
    let outcome = prover.prove(&input, &[]).await.unwrap();
    assert_eq!(&outcome.proof[..4], &[0, 0, 0, 2]);
    assert_eq!(&outcome.proof[4..], &input[..]);
    assert_eq!(outcome.circuits_accumulated, 1);
    assert_eq!(std::fs::read_to_string(seen).unwrap().trim(), "700");
    assert!(fx.work_is_empty());
}

#[tokio::test]
async fn failure_is_reported_and_cleaned_up() {
    let fx = Fixture::new();
    let prover = fx.prover("echo 'something broke' >&2; exit 3", MINUTE);
    let error = prover.prove(b"steps", &[]).await.unwrap_err();
    assert!(matches!(error, ProveError::Failed { status, .. } if status.code() == Some(3)));
    assert!(fx.work_is_empty());
}

#[tokio::test]
async fn self_check_failure_is_distinguished() {
    let fx = Fixture::new();
    let script =
        "for i in 1 2 3; do echo \"ChonkAccumulate - accumulating circuit 'f$i'\" >&2; done\n\
                  echo 'Failed to verify the generated proof!' >&2; exit 1";
    let prover = fx.prover(script, MINUTE);
    let error = prover.prove(b"steps", &[]).await.unwrap_err();
    assert!(
        matches!(
            error,
            ProveError::SelfCheckFailed {
                circuits_accumulated: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(fx.work_is_empty());
}

#[tokio::test]
async fn success_without_a_proof_file_is_an_error() {
    let fx = Fixture::new();
    let prover = fx.prover("exit 0", MINUTE);
    assert!(matches!(
        prover.prove(b"s", &[]).await,
        Err(ProveError::MissingProof(_))
    ));
    let prover = fx.prover("head -c 33 /dev/zero > \"$7/proof\"", MINUTE);
    assert!(matches!(
        prover.prove(b"s", &[]).await,
        Err(ProveError::ProofFormat(_))
    ));
    assert!(fx.work_is_empty());
}

#[tokio::test]
async fn timeout_kills_bb_and_cleans_up() {
    let fx = Fixture::new();
    let pid = fx.path("pid");
    let prover = fx.prover(
        &format!("echo $$ > {}; exec sleep 60", pid.display()),
        Duration::from_millis(500),
    );
    let started = Instant::now();
    let error = prover.prove(b"steps", &[]).await.unwrap_err();
    assert!(matches!(error, ProveError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(fx.work_is_empty());
    wait_until_dead(&std::fs::read_to_string(pid).unwrap()).await;
}

#[tokio::test]
async fn dropping_the_job_kills_bb_and_cleans_up() {
    let fx = Fixture::new();
    let pid = fx.path("pid");
    let prover = fx.prover(
        &format!("echo $$ > {}; exec sleep 60", pid.display()),
        MINUTE,
    );
    let job = prover.prove(b"steps", &[]);
    // Let the job start bb, then drop it as actix does when the client goes away.
    assert!(tokio::time::timeout(Duration::from_millis(500), job)
        .await
        .is_err());
    assert!(fx.work_is_empty());
    wait_until_dead(&std::fs::read_to_string(pid).unwrap()).await;
}

#[tokio::test]
async fn long_output_keeps_only_the_tail() {
    let fx = Fixture::new();
    let script = "i=0; while [ $i -lt 3000 ]; do echo \"line $i of chatter from bb\" >&2; i=$((i+1)); done\n\
                  echo 'Failed to verify the generated proof!' >&2; exit 1";
    let prover = fx.prover(script, MINUTE);
    let error = prover.prove(b"steps", &[]).await.unwrap_err();
    assert!(
        matches!(error, ProveError::SelfCheckFailed { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn tail_redacts_function_names() {
    let tail = Tail {
        bytes:
            b"ChonkLoad - loaded circuit 'Secret:fn' (mem)\nChonk: accumulating other_fn (mem)\nok"
                .to_vec(),
        ..Tail::default()
    };
    let text = tail.redacted(&["Secret:fn"]);
    assert!(!text.contains("Secret:fn"), "{text}");
    assert!(!text.contains("other_fn"), "{text}");
    assert!(text.contains("loaded circuit '<fn>'"), "{text}");
    assert!(text.ends_with("ok"));
}

/// Waits until `pid` has exited (gone, or a zombie awaiting reaping).
async fn wait_until_dead(pid: &str) {
    let stat = format!("/proc/{}/stat", pid.trim());
    for _ in 0..100 {
        match std::fs::read_to_string(&stat) {
            Err(_) => return,
            Ok(text)
                if text
                    .rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z')) =>
            {
                return
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("process {pid} still runs");
}
