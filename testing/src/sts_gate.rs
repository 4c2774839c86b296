//! A gate in front of the emulator's STS, for the hub-mode tests: the
//! emulator lets any role be assumed (it checks no trust policy), so the gate
//! answers `AssumeRole` for the accounts it is told to refuse with STS's own
//! AccessDenied, forwards every other request to the emulator unchanged, and
//! remembers each role ARN asked for, so a test can count `AssumeRole` calls
//! of its own function alone. A function reaches it through
//! `AWS_ENDPOINT_URL_STS`. It can also throttle: answer the first requests
//! signed for one region and service (`AWS_ENDPOINT_URL_EC2` pointed at it)
//! with EC2's `RequestLimitExceeded`, as AWS does under load. Loopback only;
//! it asserts nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The gate, listening on a loopback port until the process ends.
#[derive(Debug, Clone)]
pub struct StsGate {
    url: String,
    asked: Arc<Mutex<Vec<String>>>,
    throttled: Arc<Mutex<usize>>,
}

/// Requests to throttle: the first `times` signed for `scope`
/// (`<region>/<service>`, as SigV4's credential scope names them).
#[derive(Debug, Clone)]
struct Throttle {
    scope: String,
    times: usize,
}

impl StsGate {
    /// Starts a gate in front of the emulator at `emulator_url` that refuses
    /// the roles of `refused_accounts`.
    pub fn start(emulator_url: &str, refused_accounts: &[&str]) -> Self {
        Self::serve(emulator_url, refused_accounts, None)
    }

    /// [`start`](Self::start), also answering the first `times` requests
    /// signed for `region` and `service` with `RequestLimitExceeded`.
    pub fn throttling(
        emulator_url: &str,
        refused_accounts: &[&str],
        region: &str,
        service: &str,
        times: usize,
    ) -> Self {
        let throttle = Throttle {
            scope: format!("/{region}/{service}/aws4_request"),
            times,
        };
        Self::serve(emulator_url, refused_accounts, Some(throttle))
    }

    fn serve(emulator_url: &str, refused_accounts: &[&str], throttle: Option<Throttle>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = emulator_url.trim_start_matches("http://").to_owned();
        let refused: Vec<String> = refused_accounts.iter().map(|a| (*a).to_owned()).collect();
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let throttled: Arc<Mutex<usize>> = Arc::default();
        let seen = Arc::clone(&asked);
        let count = Arc::clone(&throttled);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let gate = Gate {
                    upstream: upstream.clone(),
                    refused: refused.clone(),
                    seen: Arc::clone(&seen),
                    throttle: throttle.clone(),
                    throttled: Arc::clone(&count),
                };
                std::thread::spawn(move || serve(conn, &gate));
            }
        });
        StsGate {
            url,
            asked,
            throttled,
        }
    }

    /// The gate's URL, for `AWS_ENDPOINT_URL_STS`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every role ARN an `AssumeRole` asked for so far, refused ones included, in order.
    pub fn assume_role_calls(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    /// How many requests were throttled so far.
    pub fn throttled(&self) -> usize {
        *self.throttled.lock().unwrap()
    }
}

/// What one connection's thread needs.
struct Gate {
    upstream: String,
    refused: Vec<String>,
    seen: Arc<Mutex<Vec<String>>>,
    throttle: Option<Throttle>,
    throttled: Arc<Mutex<usize>>,
}

impl Gate {
    /// Whether to throttle a request with this head, counting it if so.
    fn throttles(&self, head: &str) -> bool {
        let Some(throttle) = &self.throttle else {
            return false;
        };
        if !head.contains(&throttle.scope) {
            return false;
        }
        let mut count = self.throttled.lock().unwrap();
        if *count >= throttle.times {
            return false;
        }
        *count += 1;
        true
    }
}

/// An HTTP answer with `status`, an XML `body`.
fn answer(status: &str, xml: &str) -> Vec<u8> {
    let mut a = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        xml.len()
    )
    .into_bytes();
    a.extend_from_slice(xml.as_bytes());
    a
}

/// One HTTP/1.1 message: its head (start line and headers) and body.
fn read_message(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn serve(conn: TcpStream, gate: &Gate) {
    let (upstream, refused, seen) = (&gate.upstream, &gate.refused, &gate.seen);
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some((head, body)) = read_message(&mut reader) {
        let text = String::from_utf8_lossy(&body).into_owned();
        let role = text
            .contains("Action=AssumeRole")
            .then(|| {
                text.split('&')
                    .find_map(|kv| kv.strip_prefix("RoleArn="))
                    .map(|v| v.replace("%3A", ":").replace("%2F", "/"))
            })
            .flatten();
        if let Some(role) = &role {
            seen.lock().unwrap().push(role.clone());
        }
        let refuse = role
            .as_deref()
            .and_then(|r| r.split(':').nth(4))
            .is_some_and(|account| refused.iter().any(|a| a == account));
        let answer = if refuse {
            let role = role.unwrap_or_default();
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                 <Code>AccessDenied</Code><Message>User: arn:aws:sts::hub:assumed-role/hub is not authorized \
                 to perform: sts:AssumeRole on resource: {role}</Message></Error>\
                 <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
            );
            answer("403 Forbidden", &xml)
        } else if gate.throttles(&head) {
            answer(
                "503 Service Unavailable",
                "<Response><Errors><Error><Code>RequestLimitExceeded</Code>\
                 <Message>Request limit exceeded.</Message></Error></Errors>\
                 <RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>",
            )
        } else {
            match forward(upstream, &head, &body) {
                Some(a) => a,
                None => return,
            }
        };
        if writer.write_all(&answer).is_err() {
            return;
        }
    }
}

/// Sends one request to the emulator and returns its whole answer.
fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let stream = TcpStream::connect(upstream).ok()?;
    let mut to = stream.try_clone().ok()?;
    to.write_all(head.as_bytes()).ok()?;
    to.write_all(body).ok()?;
    let mut reader = BufReader::new(stream);
    let (answer_head, answer_body) = read_message(&mut reader)?;
    let mut answer = answer_head.into_bytes();
    answer.extend_from_slice(&answer_body);
    Some(answer)
}
