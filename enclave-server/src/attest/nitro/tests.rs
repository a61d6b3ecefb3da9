use std::{
    collections::BTreeSet,
    path::PathBuf,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use aws_nitro_enclaves_nsm_api::api::{Digest, ErrorCode};
use ciborium::value::Value;

use super::*;
use crate::attest::{
    chain::DevChain,
    document::DocumentFields,
    from_config,
    pcrs::{Pcr, PCR_COUNT, PCR_LEN},
    testing::{field, payload},
};

/// A stand-in for the NSM and its driver, for what can be checked without an enclave.
///
/// Like the driver (`nsm_process_request`), it CBOR-encodes the request and answers
/// `InputTooLarge` past 4 KiB. Like the NSM, it writes null for a field not requested and signs
/// a Nitro-format document (with a development chain: only the signer differs). It refuses a
/// field over the 1024 bytes the document specification allows with `InvalidArgument`; which
/// code the NSM uses there is not documented. `answer` replaces the response, to exercise the
/// mapping of every other answer.
#[derive(Debug)]
struct FakeNsm {
    chain: Mutex<DevChain>,
    answer: Mutex<Option<Response>>,
    requests: Mutex<Vec<Request>>,
}

impl FakeNsm {
    fn new() -> Self {
        let chain = DevChain::generate(SystemTime::now(), MODULE_ID).unwrap();
        Self {
            chain: Mutex::new(chain),
            answer: Mutex::new(None),
            requests: Mutex::default(),
        }
    }

    fn answering(response: Response) -> Self {
        let fake = Self::new();
        *fake.answer.lock().unwrap() = Some(response);
        fake
    }

    fn attest(&self, request: &Request) -> Response {
        let Request::Attestation {
            user_data,
            nonce,
            public_key,
        } = request
        else {
            return Response::Error(ErrorCode::InvalidOperation);
        };
        let fields = [user_data, nonce, public_key];
        if fields
            .iter()
            .flat_map(|f| f.as_ref())
            .any(|f| f.len() > 1024)
        {
            return Response::Error(ErrorCode::InvalidArgument);
        }
        let signer = self.chain.lock().unwrap().signer();
        let mut pcrs = [[0u8; PCR_LEN]; PCR_COUNT];
        pcrs[0] = PCR0;
        let timestamp_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            .try_into()
            .unwrap();
        let document = DocumentFields {
            module_id: MODULE_ID,
            timestamp_ms,
            pcrs: &pcrs,
            certificate: &signer.certificate,
            cabundle: &signer.cabundle,
            public_key: public_key.as_deref().map(|b| b.as_slice()),
            user_data: user_data.as_deref().map(|b| b.as_slice()),
            nonce: nonce.as_deref().map(|b| b.as_slice()),
        }
        .sign(&signer.key)
        .unwrap();
        Response::Attestation { document }
    }
}

impl Nsm for FakeNsm {
    fn process(&self, request: Request) -> Response {
        let mut encoded = Vec::new();
        ciborium::ser::into_writer(&request, &mut encoded).unwrap();
        let response = if encoded.len() > 0x1000 {
            Response::Error(ErrorCode::InputTooLarge)
        } else if let Some(answer) = self.answer.lock().unwrap().take() {
            answer
        } else {
            self.attest(&request)
        };
        self.requests.lock().unwrap().push(request);
        response
    }
}

/// Lets a test keep a handle on the fake it gives away.
#[derive(Debug)]
struct Shared(std::sync::Arc<FakeNsm>);

impl Nsm for Shared {
    fn process(&self, request: Request) -> Response {
        self.0.process(request)
    }
}

const MODULE_ID: &str = "i-0fa4e000000000000-enc0000000000000001";
const PCR0: Pcr = [0x5a; PCR_LEN];

fn request<'a>(nonce: Option<&'a [u8]>) -> AttestationRequest<'a> {
    AttestationRequest {
        nonce,
        public_key: b"openpgp key",
        user_data: b"prover identity",
    }
}

fn cbor(request: &Request) -> Value {
    let mut encoded = Vec::new();
    ciborium::ser::into_writer(request, &mut encoded).unwrap();
    ciborium::de::from_reader(encoded.as_slice()).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn request_carries_key_and_user_data_and_the_nonce_when_given() {
    let with = nsm_request(&request(Some(b"nonce")));
    assert_eq!(
        cbor(&with),
        Value::Map(vec![(
            text("Attestation"),
            Value::Map(vec![
                (text("user_data"), Value::Bytes(b"prover identity".to_vec())),
                (text("nonce"), Value::Bytes(b"nonce".to_vec())),
                (text("public_key"), Value::Bytes(b"openpgp key".to_vec())),
            ])
        )])
    );

    let without = nsm_request(&request(None));
    let Request::Attestation {
        nonce,
        user_data,
        public_key,
    } = without
    else {
        panic!()
    };
    assert_eq!(nonce, None);
    assert_eq!(
        user_data.as_deref().map(|b| b.as_slice()),
        Some(&b"prover identity"[..])
    );
    assert_eq!(
        public_key.as_deref().map(|b| b.as_slice()),
        Some(&b"openpgp key"[..])
    );
}

#[test]
fn attest_returns_the_nsm_document_for_the_request() {
    let fake = std::sync::Arc::new(FakeNsm::new());
    let attestor = NitroAttestor::with_nsm(Box::new(Shared(fake.clone())));
    assert_eq!(attestor.mode(), AttestationMode::Nitro);

    let doc = attestor.attest(&request(Some(b"client nonce"))).unwrap();
    let map = payload(&doc);
    assert_eq!(field(&map, "nonce").as_bytes().unwrap(), b"client nonce");
    assert_eq!(
        field(&map, "public_key").as_bytes().unwrap(),
        b"openpgp key"
    );
    assert_eq!(
        field(&map, "user_data").as_bytes().unwrap(),
        b"prover identity"
    );
    assert_eq!(
        field(&map, "pcrs").as_map().unwrap()[0]
            .1
            .as_bytes()
            .unwrap(),
        &PCR0
    );

    let doc = attestor.attest(&request(None)).unwrap();
    assert_eq!(field(&payload(&doc), "nonce"), &Value::Null);
    assert_eq!(
        fake.requests.lock().unwrap().len(),
        2,
        "one NSM request per document"
    );
}

#[test]
fn requests_over_the_document_limits_never_reach_the_nsm() {
    let fake = std::sync::Arc::new(FakeNsm::new());
    let attestor = NitroAttestor::with_nsm(Box::new(Shared(fake.clone())));
    let key = [7u8; 1025];
    let req = AttestationRequest {
        nonce: None,
        public_key: &key,
        user_data: b"",
    };
    let err = attestor.attest(&req).unwrap_err();
    assert!(matches!(
        err.kind(),
        AttestErrorKind::FieldLength {
            field: "public_key",
            ..
        }
    ));
    assert!(fake.requests.lock().unwrap().is_empty());
}

#[test]
fn the_fake_refuses_what_the_driver_and_the_nsm_refuse() {
    let fake = FakeNsm::new();
    let big = |n| Some(ByteBuf::from(vec![1u8; n]));
    let too_large = Request::Attestation {
        user_data: big(1024),
        nonce: big(1024),
        public_key: big(1024),
    };
    assert!(matches!(
        fake.attest(&too_large),
        Response::Attestation { .. }
    ));
    let too_large = Request::Attestation {
        user_data: big(2048),
        nonce: big(2048),
        public_key: None,
    };
    assert!(matches!(
        fake.process(too_large),
        Response::Error(ErrorCode::InputTooLarge)
    ));
    let invalid = Request::Attestation {
        user_data: big(1025),
        nonce: None,
        public_key: None,
    };
    assert!(matches!(
        fake.process(invalid),
        Response::Error(ErrorCode::InvalidArgument)
    ));
}

#[test]
fn every_other_answer_is_an_error() {
    let refusals = [
        (ErrorCode::InvalidArgument, "InvalidArgument"),
        (ErrorCode::InputTooLarge, "InputTooLarge"),
        (ErrorCode::InternalError, "InternalError"),
        (ErrorCode::BufferTooSmall, "BufferTooSmall"),
    ];
    for (code, name) in refusals {
        let attestor = NitroAttestor::with_nsm(Box::new(FakeNsm::answering(Response::Error(code))));
        let err = attestor.attest(&request(None)).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::NsmRefused { code } if code == name),
            "{err}"
        );
    }

    let others = [
        (
            Response::DescribePCR {
                lock: true,
                data: vec![0; 48],
            },
            "DescribePCR",
        ),
        (Response::ExtendPCR { data: vec![0; 48] }, "ExtendPCR"),
        (Response::LockPCR, "LockPCR"),
        (Response::LockPCRs, "LockPCRs"),
        (
            Response::DescribeNSM {
                version_major: 1,
                version_minor: 0,
                version_patch: 0,
                module_id: MODULE_ID.into(),
                max_pcrs: 32,
                locked_pcrs: BTreeSet::new(),
                digest: Digest::SHA384,
            },
            "DescribeNSM",
        ),
        (
            Response::GetRandom {
                random: vec![4; 32],
            },
            "GetRandom",
        ),
    ];
    for (response, name) in others {
        let attestor = NitroAttestor::with_nsm(Box::new(FakeNsm::answering(response)));
        let err = attestor.attest(&request(None)).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::NsmUnexpectedResponse { response } if *response == name),
            "{err}"
        );
    }

    let empty = FakeNsm::answering(Response::Attestation {
        document: Vec::new(),
    });
    let err = NitroAttestor::with_nsm(Box::new(empty))
        .attest(&request(None))
        .unwrap_err();
    assert!(
        matches!(err.kind(), AttestErrorKind::NsmEmptyDocument),
        "{err}"
    );
}

#[test]
fn opening_a_missing_device_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nsm");
    let err = NsmDevice::open(&path).unwrap_err();
    let AttestErrorKind::NsmUnavailable {
        path: reported,
        source,
    } = err.kind()
    else {
        panic!("{err}")
    };
    assert_eq!(reported, &path);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn nitro_mode_fails_clearly_outside_an_enclave() {
    let result = from_config(AttestationMode::Nitro, None, Path::new("/nonexistent"));
    if Path::new(NSM_PATH).exists() {
        // Inside an enclave: the device opens.
        assert_eq!(result.unwrap().unwrap().mode(), AttestationMode::Nitro);
        return;
    }
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind(), AttestErrorKind::NsmUnavailable { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("/dev/nsm") && message.contains("Nitro Enclave"),
        "{message}"
    );
}

#[test]
fn the_real_driver_path_maps_an_ioctl_failure_to_an_error() {
    // /dev/null accepts the open but not the NSM ioctl (ENOTTY), which the driver function
    // reports as InternalError.
    let attestor =
        NitroAttestor::with_nsm(Box::new(NsmDevice::open(Path::new("/dev/null")).unwrap()));
    let err = attestor.attest(&request(Some(b"n"))).unwrap_err();
    assert!(matches!(err.kind(), AttestErrorKind::NsmRefused { code } if code == "InternalError"));
}

#[test]
fn the_device_is_closed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nsm");
    std::fs::write(&path, b"").unwrap();
    let device = NsmDevice::open(&path).unwrap();
    let fd_link = PathBuf::from(format!("/proc/self/fd/{}", device.file.as_raw_fd()));
    assert_eq!(std::fs::read_link(&fd_link).unwrap(), path);

    drop(device);
    // The descriptor is gone, or another thread's file reuses its number.
    assert_ne!(std::fs::read_link(&fd_link).ok(), Some(path));
}
