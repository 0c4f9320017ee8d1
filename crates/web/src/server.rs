//! The HTTP edge of the web listener: accepting connections, with the bounds that
//! make the port safe to expose (what `axum::serve` leaves out).
//!
//! `axum::serve` sets no timer on hyper, so hyper's header-read timeout never fires,
//! and it accepts without limit: a client that opens connections and sends half a
//! request head (slowloris) held each one for ever, and enough of them would use up
//! the process's file descriptors, which the SMTP listeners share. Here:
//! - a request head must arrive within [`HEAD_DEADLINE`] of the connection asking
//!   for one (a new connection, or an idle keep-alive one), else hyper closes it;
//! - one client address holds at most [`CONNECTIONS_PER_ADDRESS`] connections (more
//!   are closed at once), and the listener at most [`CONNECTIONS`] (past that it
//!   stops accepting until one ends, so the backlog waits in the kernel);
//! - a request must be answered within [`REQUEST_DEADLINE`] (`408` otherwise), which
//!   bounds a body trickled byte by byte (`lib.rs` adds the layer to the router).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Time a client has to send a whole request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// Time from a request's head to its response (the body read included).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(60);
/// Connections one client address may hold: a browser opens about six, a reverse
/// proxy in front of the port a few dozen.
pub const CONNECTIONS_PER_ADDRESS: usize = 64;
/// Connections the listener holds in all.
pub const CONNECTIONS: usize = 1024;

/// Serves `router` on `listener` until `stop` resolves, then lets the requests in
/// flight finish (idle connections close at once) and returns when every
/// connection has ended.
pub async fn serve(listener: TcpListener, router: Router, stop: impl Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(CONNECTIONS));
    let per_address = Arc::new(Mutex::new(HashMap::<IpAddr, usize>::new()));
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            () = &mut stop => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let (stream, remote) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, "web listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(address_slot) = AddressSlot::take(&per_address, remote.ip()) else {
            tracing::debug!(%remote, "web listener: too many connections from this address");
            continue;
        };
        // Reap the connections that ended, so the set does not grow.
        while connections.try_join_next().is_some() {}
        let service = router.clone().map_request(move |request: axum::http::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let mut stopping = stopping_rx.clone();
        connections.spawn(async move {
            let _slots = (slot, address_slot);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEAD_DEADLINE);
            let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|stop| *stop) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    while connections.join_next().await.is_some() {}
}

/// One connection counted against its client address; dropping it gives the
/// place back.
struct AddressSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    address: IpAddr,
}

impl AddressSlot {
    fn take(counts: &Arc<Mutex<HashMap<IpAddr, usize>>>, address: IpAddr) -> Option<AddressSlot> {
        let mut map = counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = map.entry(address).or_default();
        if *count >= CONNECTIONS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(AddressSlot { counts: counts.clone(), address })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = map.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.address);
            }
        }
    }
}
