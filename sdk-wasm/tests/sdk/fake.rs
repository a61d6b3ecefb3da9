//! A transport fake that answers like the real server: documents from the server's own dev
//! attestor (signed per request, with the client's nonce), the server's own key type, JSON bodies
//! from the protocol crate and status codes from the server's error mapping.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::Duration,
};

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use tee_rex_protocol::{
    api::{AttestationMode, AttestationResponse, ErrorBody, ErrorDetail, ProveResponse},
    ErrorCode, ProverIdentity, HEADER_PROVE_DURATION_MS, HEADER_REQUEST_ID,
};
use tee_rex_sdk::{AttestationPolicy, HttpResponse, Transport, TransportError, TransportFuture};
use tee_rex_server::{
    attest::{self, AttestationRequest, Attestor},
    status_for, ServerKey,
};

/// What `GET /attestation` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttestMode {
    /// A dev document carrying the server key.
    Nitro,
    /// A dev document, one byte flipped.
    TamperedNitro,
    /// `{"mode":"standard"}` with the armored server key.
    Standard,
}

/// The `Server-Timing` header `POST /prove` answers carry.
#[derive(Clone, Debug)]
pub(crate) enum TimingHeader {
    /// As the real server: on proofs, on failures after bb ran (with bb's time as `prove`) and
    /// on `QUEUE_FULL` (the phases before the queue).
    Server,
    /// As `Server`, but without `x-prove-duration-ms` on any answer.
    OnlyServerTiming,
    /// None at all (an older server).
    Absent,
    /// This value, where the real server sends the header.
    Raw(String),
}

/// What `POST /prove` answers once the message decrypts.
#[derive(Clone, Debug)]
pub(crate) enum ProveAnswer {
    Proof { fields: u32, duration_ms: u64 },
    Error(ErrorCode),
    BadGateway,
}

pub(crate) struct FakeServer {
    _dir: tempfile::TempDir,
    attestor: Box<dyn Attestor>,
    pub(crate) root_pem: String,
    pub(crate) pcrs: Vec<(u8, Vec<u8>)>,
    key: Mutex<ServerKey>,
    /// Armored key sent in the `publicKey` field beside the document: another key.
    side_key: ServerKey,
    pub(crate) mode: Mutex<AttestMode>,
    pub(crate) answer: Mutex<ProveAnswer>,
    pub(crate) timing: Mutex<TimingHeader>,
    pub(crate) gets: Mutex<Vec<String>>,
    pub(crate) posts: Mutex<Vec<Vec<u8>>>,
    /// Plaintexts the server decrypted (test data only, nothing secret).
    pub(crate) decrypted: Mutex<Vec<Vec<u8>>>,
    requests: AtomicU64,
}

impl FakeServer {
    pub(crate) fn new(mode: AttestMode) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root_out = dir.path().join("dev-root.pem");
        // The dev PCRs measure this file; a small stand-in keeps debug-mode hashing quick.
        let binary = dir.path().join("server-binary");
        std::fs::write(&binary, b"tee-rex-server stand-in for the dev PCRs").unwrap();
        let attestor = attest::from_config(AttestationMode::Dev, Some(&root_out), &binary)
            .unwrap()
            .unwrap();
        let root_pem = std::fs::read_to_string(&root_out).unwrap();
        let pcrs_json = std::fs::read_to_string(dir.path().join("dev-root.pem.pcrs.json")).unwrap();
        let pcrs = tee_rex_sdk::parse_pcrs_json(&pcrs_json).unwrap();
        Self {
            _dir: dir,
            attestor,
            root_pem,
            pcrs,
            key: Mutex::new(ServerKey::generate().unwrap()),
            side_key: ServerKey::generate().unwrap(),
            mode: Mutex::new(mode),
            answer: Mutex::new(ProveAnswer::Proof {
                fields: 3,
                duration_ms: 1234,
            }),
            timing: Mutex::new(TimingHeader::Server),
            gets: Mutex::default(),
            posts: Mutex::default(),
            decrypted: Mutex::default(),
            requests: AtomicU64::new(0),
        }
    }

    /// The policy a client of this server uses: its dev root and PCRs.
    pub(crate) fn policy(&self) -> AttestationPolicy {
        AttestationPolicy::new()
            .insecure_trusted_root_pem(self.root_pem.clone())
            .expected_pcrs(self.pcrs.clone())
            .max_age(Duration::from_secs(300))
    }

    /// The server restarts with a new key.
    pub(crate) fn rotate_key(&self) {
        *self.key.lock().unwrap() = ServerKey::generate().unwrap();
    }

    /// Primary fingerprint of the key the document carries.
    pub(crate) fn key_fingerprint(&self) -> String {
        self.key.lock().unwrap().fingerprint().to_owned()
    }

    /// Primary fingerprint of the key in the side field.
    pub(crate) fn side_key_fingerprint(&self) -> String {
        self.side_key.fingerprint().to_owned()
    }

    fn attestation(&self, url: &str) -> HttpResponse {
        self.gets.lock().unwrap().push(url.to_owned());
        let nonce = url
            .split_once("?nonce=")
            .map(|(_, hex)| hex::decode(hex).unwrap());
        let key = self.key.lock().unwrap();
        let body = match *self.mode.lock().unwrap() {
            AttestMode::Standard => AttestationResponse::Standard {
                public_key: key.public_key_armored().to_owned(),
            },
            mode => {
                let identity = ProverIdentity {
                    bb_version: "4.1.2".into(),
                    bb_sha256: [7; 32],
                    crs: Vec::new(),
                    crs_insecure: true,
                };
                let user_data = identity.to_user_data().unwrap();
                let mut document = self
                    .attestor
                    .attest(&AttestationRequest {
                        nonce: nonce.as_deref(),
                        public_key: key.public_key_binary(),
                        user_data: &user_data,
                    })
                    .unwrap();
                if mode == AttestMode::TamperedNitro {
                    let last = document.len() - 1;
                    document[last] ^= 0x01;
                }
                AttestationResponse::Nitro {
                    attestation_document: BASE64.encode(document),
                    public_key: self.side_key.public_key_armored().to_owned(),
                }
            }
        };
        json(200, &body, &[])
    }

    fn prove(&self, content_type: &str, body: Vec<u8>) -> HttpResponse {
        assert_eq!(content_type, "application/octet-stream");
        let request_id = format!("req-{}", self.requests.fetch_add(1, Ordering::SeqCst));
        self.posts.lock().unwrap().push(body.clone());

        let plaintext = match self.key.lock().unwrap().decrypt(&body, 64 << 20) {
            Ok(plain) => plain.to_vec(),
            Err(_) => return error(ErrorCode::DecryptFailed, &request_id),
        };
        self.decrypted.lock().unwrap().push(plaintext);

        let answer = self.answer.lock().unwrap().clone();
        let mut response = match answer {
            ProveAnswer::Proof {
                fields,
                duration_ms,
            } => {
                let mut proof = fields.to_be_bytes().to_vec();
                proof.extend(std::iter::repeat_n(0xab, 32 * fields as usize));
                let body = ProveResponse {
                    proof: BASE64.encode(proof),
                };
                let mut headers = vec![
                    (HEADER_PROVE_DURATION_MS, duration_ms.to_string()),
                    (HEADER_REQUEST_ID, request_id),
                ];
                self.add_timing(&mut headers, Some(duration_ms));
                json(200, &body, &headers)
            }
            ProveAnswer::Error(code) => {
                let mut response = error(code, &request_id);
                let bb_ran = response.header(HEADER_PROVE_DURATION_MS).is_some();
                if bb_ran || code == ErrorCode::QueueFull {
                    let mut headers = Vec::new();
                    self.add_timing(&mut headers, bb_ran.then_some(4321));
                    response
                        .headers
                        .extend(headers.into_iter().map(|(n, v)| (n.to_owned(), v)));
                }
                response
            }
            ProveAnswer::BadGateway => HttpResponse {
                status: 502,
                headers: vec![("content-type".into(), "text/html".into())],
                body: b"<html>bad gateway</html>".to_vec(),
            },
        };
        self.strip_prove_duration(&mut response);
        response
    }

    /// Adds the `Server-Timing` header the chosen [`TimingHeader`] asks for; `prove_ms` is bb's
    /// time when it ran.
    fn add_timing(&self, headers: &mut Vec<(&'static str, String)>, prove_ms: Option<u64>) {
        let value = match &*self.timing.lock().unwrap() {
            TimingHeader::Absent => return,
            TimingHeader::Raw(value) => value.clone(),
            TimingHeader::Server | TimingHeader::OnlyServerTiming => match prove_ms {
                Some(ms) => format!(
                    "upload;dur=1.5, decrypt;dur=3.3, parse;dur=0.01, queue;dur=0, prove;dur={ms}.25"
                ),
                None => "upload;dur=1.5, decrypt;dur=3.3, parse;dur=0.01".to_owned(),
            },
        };
        headers.push(("server-timing", value));
    }

    fn strip_prove_duration(&self, response: &mut HttpResponse) {
        if matches!(*self.timing.lock().unwrap(), TimingHeader::OnlyServerTiming) {
            response
                .headers
                .retain(|(name, _)| name != HEADER_PROVE_DURATION_MS);
        }
    }
}

impl Transport for &FakeServer {
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        let response = self.attestation(url);
        Box::pin(async move { Ok(response) })
    }

    fn post<'a>(
        &'a self,
        url: &'a str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        assert!(url.ends_with("/prove"), "{url}");
        let response = self.prove(content_type, body);
        Box::pin(async move { Ok(response) })
    }
}

/// A transport whose server is unreachable.
pub(crate) struct Unreachable;

impl Transport for Unreachable {
    fn get<'a>(&'a self, _: &'a str) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        Box::pin(async { Err(TransportError::new("connection refused", None)) })
    }

    fn post<'a>(
        &'a self,
        _: &'a str,
        _: &'static str,
        _: Vec<u8>,
    ) -> TransportFuture<'a, Result<HttpResponse, TransportError>> {
        Box::pin(async { Err(TransportError::new("connection refused", None)) })
    }
}

fn error(code: ErrorCode, request_id: &str) -> HttpResponse {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message: "test".into(),
        },
        request_id: request_id.to_owned(),
    };
    let mut headers = vec![(HEADER_REQUEST_ID, request_id.to_owned())];
    // Like the server: a failure after bb ran still says how long bb worked.
    if matches!(
        code,
        ErrorCode::ProofSelfCheckFailed | ErrorCode::ProverFailed | ErrorCode::ProveTimeout
    ) {
        headers.push((HEADER_PROVE_DURATION_MS, "4321".to_owned()));
    }
    json(status_for(code).as_u16(), &body, &headers)
}

fn json<T: serde::Serialize>(status: u16, body: &T, extra: &[(&str, String)]) -> HttpResponse {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(extra.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
    HttpResponse {
        status,
        headers,
        body: serde_json::to_vec(body).unwrap(),
    }
}
