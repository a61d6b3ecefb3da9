//! Noticing that an HTTP/1 client went away while its proof runs.
//!
//! actix-web does not poll an idle keep-alive socket while a handler runs, so a dropped client
//! goes unnoticed until the response is written. [`on_connect`] keeps a duplicate of each
//! connection's socket; [`PeerWatch::closed`] resolves when the peer has closed its side, and the
//! prove handler races the job against it so bb is killed and the job folder removed.

use std::any::Any;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Extensions;

/// A duplicate of a connection's socket, used only to peek for end of stream.
#[derive(Debug, Clone)]
pub struct PeerWatch(Arc<tokio::net::TcpStream>);

impl PeerWatch {
    /// Resolves once the peer has closed the connection (or it failed).
    pub async fn closed(&self) {
        let mut byte = [0u8; 1];
        loop {
            match self.0.peek(&mut byte).await {
                Ok(0) | Err(_) => return,
                // Pipelined bytes are waiting: the peer is alive; look again later.
                Ok(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
}

/// `HttpServer::on_connect` hook: stores a [`PeerWatch`] in the connection's data.
pub fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    let Ok(fd) = stream.as_fd().try_clone_to_owned() else {
        return;
    };
    let std_stream = std::net::TcpStream::from(fd);
    if std_stream.set_nonblocking(true).is_err() {
        return;
    }
    if let Ok(stream) = tokio::net::TcpStream::from_std(std_stream) {
        data.insert(PeerWatch(Arc::new(stream)));
    }
}
