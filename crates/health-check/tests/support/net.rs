//! Loopback peers for the failure modes every backend check is tested against.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// A loopback address where nothing listens: a port that was bound, then released.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// A listener that accepts connections and never answers, like a backend whose process
/// hangs. Connections stay open until the value is dropped.
pub struct HungListener {
    addr: SocketAddr,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl HungListener {
    /// Starts listening on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::downgrade(&held);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let (Ok(stream), Some(keep)) = (stream, keep.upgrade()) else {
                    return;
                };
                keep.lock().unwrap().push(stream);
            }
        });
        Self { addr, held }
    }

    /// The address to point a check at.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections it has accepted so far.
    pub fn accepted(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}
