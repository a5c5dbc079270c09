//! A real HTTP server for the tests of notifications: [`TestServer`] records every
//! POST (a webhook receiving notifications) and answers it as the test says, and
//! serves `GET /health` with the status the test sets, for an `http` check whose
//! state the test controls.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use tokio::sync::oneshot;

/// How the server answers a POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// This status, at once.
    Status(u16),
    /// Never: the request hangs until the client gives up.
    Hang,
}

/// A POST the server received.
#[derive(Debug, Clone)]
pub(crate) struct Post {
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
    /// When it arrived.
    pub at: Instant,
}

impl Post {
    /// The first header named `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug)]
struct Shared {
    posts: Mutex<Vec<Post>>,
    answer: Mutex<Answer>,
    health: AtomicU16,
}

impl Shared {
    fn posts(&self) -> MutexGuard<'_, Vec<Post>> {
        self.posts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The server, on `127.0.0.1` and a free port, in a thread of its own; stopped when
/// dropped (hanging requests included).
pub(crate) struct TestServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts the server: POSTs answer 200, `/health` answers 200.
    pub(crate) fn start() -> Self {
        let shared = Arc::new(Shared {
            posts: Mutex::default(),
            answer: Mutex::new(Answer::Status(200)),
            health: AtomicU16::new(200),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("its address");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new()
            .route("/health", get(health))
            .fallback(record)
            .with_state(Arc::clone(&shared));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a Tokio listener");
                // Not a graceful shutdown: hanging requests would hold it up for good.
                tokio::select! {
                    served = axum::serve(listener, app) => served.expect("the test server serves"),
                    _ = stopped => {}
                }
            });
        });
        Self {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How POSTs are answered from now on.
    pub(crate) fn answer(&self, answer: Answer) {
        *self
            .shared
            .answer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = answer;
    }

    /// The status `/health` answers from now on.
    pub(crate) fn health(&self, status: u16) {
        self.shared.health.store(status, Ordering::SeqCst);
    }

    /// The POSTs so far.
    pub(crate) fn posts(&self) -> Vec<Post> {
        self.shared.posts().clone()
    }

    /// Waits up to `limit` for `count` POSTs, and returns all so far.
    pub(crate) fn wait_for_posts(&self, count: usize, limit: Duration) -> Vec<Post> {
        let deadline = Instant::now() + limit;
        loop {
            let posts = self.posts();
            if posts.len() >= count {
                return posts;
            }
            assert!(
                Instant::now() < deadline,
                "{count} POSTs expected within {limit:?}, got {}: {posts:#?}",
                posts.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn health(State(shared): State<Arc<Shared>>) -> StatusCode {
    StatusCode::from_u16(shared.health.load(Ordering::SeqCst)).expect("a valid status")
}

/// Records a POST and answers it as set; anything else is a 404.
async fn record(State(shared): State<Arc<Shared>>, request: Request) -> StatusCode {
    if request.method() != axum::http::Method::POST {
        return StatusCode::NOT_FOUND;
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .expect("a readable body");
    let post = Post {
        path: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        at: Instant::now(),
    };
    shared.posts().push(post);
    let answer = *shared.answer.lock().unwrap_or_else(PoisonError::into_inner);
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code).expect("a valid status"),
        Answer::Hang => std::future::pending().await,
    }
}
