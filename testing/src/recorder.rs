//! A recording endpoint on loopback: an AWS service the emulator lacks
//! (Security Hub's `BatchUpdateFindings`) pointed here with
//! `AWS_ENDPOINT_URL_<SERVICE>`, so a test reads the exact requests a
//! function's binary sent, and scripts the answer. Std and serde_json only;
//! it never talks to anything but loopback.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::runtime_api::read_request;

/// One request received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `POST`, `PATCH`, ...
    pub method: String,
    /// The path, with any query.
    pub path: String,
    /// The body, as JSON (`null` when it is not JSON).
    pub body: serde_json::Value,
}

/// The endpoint: records every request and answers each with the same
/// status and JSON body.
#[derive(Debug, Clone)]
pub struct Recorder {
    url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    /// Starts answering `status` with `body` on a free loopback port.
    pub fn start(status: u16, body: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (seen, body) = (Arc::clone(&requests), body.to_owned());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (seen, body) = (Arc::clone(&seen), body.clone());
                std::thread::spawn(move || {
                    let mut writer = conn.try_clone().unwrap();
                    let mut reader = BufReader::new(conn);
                    while let Some(request) = read_request(&mut reader) {
                        seen.lock().unwrap().push(Recorded {
                            method: request.method,
                            path: request.path,
                            body: serde_json::from_str(&request.body)
                                .unwrap_or(serde_json::Value::Null),
                        });
                        let reply = format!(
                            "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if writer.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Recorder { url, requests }
    }

    /// Its URL, for `AWS_ENDPOINT_URL_<SERVICE>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}
