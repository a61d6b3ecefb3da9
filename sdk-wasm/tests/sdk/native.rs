//! The reqwest transport over loopback, against a minimal HTTP responder.

use std::{
    io::{Read, Write},
    net::TcpListener,
    time::Duration,
};

use tee_rex_sdk::{
    native::{ReqwestTransport, MAX_RESPONSE_BYTES},
    Transport,
};

/// Serves one request with `status`, a header, and `body_len` bytes; returns the URL.
fn serve_once(status: u16, body_len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {body_len}\r\nx-prove-duration-ms: 42\r\n\
             connection: close\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        let chunk = vec![b'a'; 64 * 1024];
        let mut left = body_len;
        while left > 0 {
            let n = left.min(chunk.len());
            if stream.write_all(&chunk[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    url
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn reads_status_headers_and_body() {
    let url = serve_once(422, 10);
    let transport = ReqwestTransport::new(Duration::from_secs(10)).unwrap();
    let response = runtime()
        .block_on(transport.post(&url, "application/octet-stream", vec![1]))
        .unwrap();
    assert_eq!(response.status, 422);
    assert_eq!(response.header("X-Prove-Duration-Ms"), Some("42"));
    assert_eq!(response.body, vec![b'a'; 10]);
}

#[test]
fn refuses_oversized_bodies() {
    let url = serve_once(200, MAX_RESPONSE_BYTES + 1);
    let transport = ReqwestTransport::new(Duration::from_secs(30)).unwrap();
    let err = runtime().block_on(transport.get(&url)).unwrap_err();
    assert!(err.to_string().contains("MAX_RESPONSE_BYTES"), "{err}");
}
