//! A test HTTP server on 127.0.0.1 for keyserver (HKP) and WKD tests: it
//! answers from a table of routes that the test can change while it runs,
//! logs every request, and can be slow on purpose. Stops when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One canned answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            body: b"no".to_vec(),
            delay: Duration::ZERO,
        }
    }
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// Answers a path, or `None` for "not mine".
type Handler = Box<dyn Fn(&str) -> Option<Reply> + Send>;

#[derive(Default)]
struct State {
    /// Path and query → reply. Unknown paths go to `handler`, then
    /// `fallback`, else 404.
    routes: HashMap<String, Reply>,
    handler: Option<Handler>,
    fallback: Option<Reply>,
    log: Vec<String>,
}

pub struct Server {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start() -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let state: Arc<Mutex<State>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                let s = s.clone();
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        Server { port, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn route(&self, path_and_query: &str, reply: Reply) {
        let mut s = self.state.lock().unwrap();
        s.routes.insert(path_and_query.to_string(), reply);
    }

    /// Answers computed from the path (a file tree, say), for paths without a route.
    pub fn handler(&self, handler: impl Fn(&str) -> Option<Reply> + Send + 'static) {
        self.state.lock().unwrap().handler = Some(Box::new(handler));
    }

    /// The answer to every path without a route of its own.
    pub fn fallback(&self, reply: Reply) {
        self.state.lock().unwrap().fallback = Some(reply);
    }

    /// Every request so far (path and query).
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    /// The HKP route for a fingerprint or key ID (hex, upper case).
    pub fn hkp_path(key: &str) -> String {
        format!("/pks/lookup?op=get&options=mr&search=0x{key}")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut stream: std::net::TcpStream, state: &Mutex<State>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader
            .read_line(&mut header)
            .map(|n| n == 0)
            .unwrap_or(true)
            || header == "\r\n"
        {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let reply = {
        let mut s = state.lock().unwrap();
        s.log.push(path.clone());
        s.routes
            .get(&path)
            .cloned()
            .or_else(|| s.handler.as_ref().and_then(|h| h(&path)))
            .or_else(|| s.fallback.clone())
            .unwrap_or_else(|| Reply::status(404))
    };
    std::thread::sleep(reply.delay);
    let reason = match reply.status {
        200 => "OK",
        404 => "Not Found",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        reply.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
}
