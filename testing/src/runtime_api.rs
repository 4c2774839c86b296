//! A Lambda Runtime API on loopback, for running a function's real binary the
//! way Lambda does: the binary long-polls `next`, handles the event, and posts
//! a response or an error. Test support only: std and serde_json, so that it
//! adds no dependency to the build.
//!
//! It implements the four calls the runtime makes (`GET .../invocation/next`,
//! `POST .../invocation/{id}/response`, `POST .../invocation/{id}/error`,
//! `POST .../init/error`) over HTTP/1.1 with keep-alive, one thread per
//! connection, and collects the binary's stdout (audit records) and stderr
//! (logs). It must not be used outside tests, and it never talks to anything
//! but loopback.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A response body (the handler's return value).
    Response(String),
    /// An error body (`errorType`, `errorMessage`).
    Error(String),
}

#[derive(Default)]
struct State {
    /// Request id, event, and the function's timeout for it (Lambda's deadline is now plus that).
    queue: VecDeque<(String, String, Duration)>,
    answers: Vec<(String, Answer)>,
    init_error: Option<String>,
    first_poll: Option<Instant>,
    /// The account of the invoked function's ARN.
    account: String,
}

/// The server and the binary it runs.
pub struct RuntimeApi {
    state: Arc<(Mutex<State>, Condvar)>,
    child: Child,
    started: Instant,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl RuntimeApi {
    /// Starts the server on a free loopback port and the binary against it,
    /// with `env` added to a minimal Lambda environment.
    pub fn start(binary: &Path, function: &str, env: &[(&str, &str)]) -> Self {
        Self::start_in(binary, function, env, crate::emulator::ACCOUNT)
    }

    /// [`start`](Self::start), the function's ARN naming `account`.
    pub fn start_in(binary: &Path, function: &str, env: &[(&str, &str)], account: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        state.0.lock().unwrap().account = account.to_owned();
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            )
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        RuntimeApi {
            state,
            child,
            started,
            stdout,
            stderr,
        }
    }

    /// Delivers one event and waits for its answer (at most `timeout`).
    pub fn invoke(&mut self, request_id: &str, event: &str, timeout: Duration) -> Option<Answer> {
        self.invoke_with_timeout(request_id, event, timeout, Duration::from_secs(60))
    }

    /// [`invoke`](Self::invoke), with Lambda's deadline `function_timeout`
    /// after the event is handed over, as a function with that timeout gets it.
    pub fn invoke_with_timeout(
        &mut self,
        request_id: &str,
        event: &str,
        timeout: Duration,
        function_timeout: Duration,
    ) -> Option<Answer> {
        let (lock, cvar) = &*self.state;
        lock.lock().unwrap().queue.push_back((
            request_id.to_owned(),
            event.to_owned(),
            function_timeout,
        ));
        cvar.notify_all();
        let deadline = Instant::now() + timeout;
        let mut st = lock.lock().unwrap();
        loop {
            if let Some((_, a)) = st.answers.iter().find(|(id, _)| id == request_id) {
                return Some(a.clone());
            }
            if st.init_error.is_some()
                || Instant::now() >= deadline
                || self.child.try_wait().ok().flatten().is_some()
            {
                return None;
            }
            st = cvar.wait_timeout(st, Duration::from_millis(50)).unwrap().0;
        }
    }

    /// When the binary was started (just before the exec).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// When the binary first asked for an event: the end of its init, the
    /// point where Lambda would consider it ready.
    pub fn first_poll(&self) -> Option<Instant> {
        self.state.0.lock().unwrap().first_poll
    }

    /// The binary's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The init error the binary reported, if any.
    pub fn init_error(&self) -> Option<String> {
        self.state.0.lock().unwrap().init_error.clone()
    }

    /// Whether the binary is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    /// Everything the binary wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything the binary wrote to stderr so far (its logs).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// What the binary wrote to stderr by the time it exited (a binary that
    /// stops at start), waiting up to `within` for it to exit and for its
    /// last words to be collected: on a loaded machine they arrive late.
    pub fn stderr_once_exited(&mut self, within: Duration) -> String {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if !self.alive() && !self.stderr().is_empty() {
                // Let the collector read to the end of the pipe.
                std::thread::sleep(Duration::from_millis(50));
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        self.stderr()
    }

    /// The JSON lines written so far for `request_id` that `keep` selects.
    fn lines_of(
        &self,
        request_id: &str,
        keep: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["request_id"] == request_id && keep(v))
            .collect()
    }

    /// The audit records written so far for `request_id`.
    pub fn records(&self, request_id: &str) -> Vec<serde_json::Value> {
        self.lines_of(request_id, |v| v["record_type"] == "remediation_audit")
    }

    /// The sweep summary records written so far for `request_id`.
    pub fn sweep_records(&self, request_id: &str) -> Vec<serde_json::Value> {
        self.lines_of(request_id, |v| v["record_type"] == "remediation_sweep")
    }

    /// The metric documents (CloudWatch Embedded Metric Format) written so
    /// far for `request_id`.
    pub fn metric_documents(&self, request_id: &str) -> Vec<serde_json::Value> {
        self.lines_of(request_id, |v| v.get("_aws").is_some())
    }

    /// The audit records of an invocation that has answered. They are written
    /// before the answer is posted, so they are in the pipe already; this waits
    /// until the reader thread has them all: a sweep's summary, written last,
    /// is there, or the count stops changing.
    pub fn settled_records(&self, request_id: &str) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut seen = self.records(request_id);
        loop {
            if !self.sweep_records(request_id).is_empty() {
                return self.records(request_id);
            }
            std::thread::sleep(Duration::from_millis(25));
            let now = self.records(request_id);
            if (!now.is_empty() && now.len() == seen.len()) || Instant::now() >= deadline {
                return now;
            }
            seen = now;
        }
    }
}

/// Reads a pipe to its end on a thread of its own, into a shared string.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let out = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(conn: TcpStream, state: &(Mutex<State>, Condvar)) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some(Request { method, path, body }) = read_request(&mut reader) {
        let (method, path) = (method.as_str(), path.as_str());
        let (lock, cvar) = state;
        let reply = if method == "GET" && path.ends_with("/invocation/next") {
            let mut st = lock.lock().unwrap();
            st.first_poll.get_or_insert_with(Instant::now);
            let (id, event, function_timeout) = loop {
                if let Some(next) = st.queue.pop_front() {
                    break next;
                }
                st = cvar.wait(st).unwrap();
            };
            let account = st.account.clone();
            drop(st);
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + function_timeout.as_millis();
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:{account}:function:local\r\nContent-Length: {}\r\n\r\n{event}",
                event.len()
            )
        } else if method == "POST" {
            let segments: Vec<&str> = path.split('/').collect();
            let mut st = lock.lock().unwrap();
            match segments.as_slice() {
                [.., "invocation", id, "response"] => {
                    st.answers.push(((*id).to_owned(), Answer::Response(body)))
                }
                [.., "invocation", id, "error"] => {
                    st.answers.push(((*id).to_owned(), Answer::Error(body)))
                }
                [.., "init", "error"] => st.init_error = Some(body),
                _ => {}
            }
            cvar.notify_all();
            "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_owned()
        } else {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned()
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// One HTTP/1.1 request as a loopback test server reads it.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) body: String,
}

/// The next request on a keep-alive connection; none when it is closed.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let mut parts = request_line.split_whitespace();
    Some(Request {
        method: parts.next().unwrap_or("").to_owned(),
        path: parts.next().unwrap_or("").to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// What one sample produced when run through the binary.
pub struct SampleRun {
    /// The sample's file name.
    pub file: String,
    /// The function's answer, `None` if it never answered.
    pub answer: Option<Answer>,
    /// The audit records written for this invocation.
    pub records: Vec<serde_json::Value>,
}

/// Runs every sample of `events_dir` through the function's binary, one
/// invocation each, then each sample cut in half (not JSON), with AWS pointed at a closed loopback port: every AWS
/// call fails, so nothing can be changed and nothing may claim it was.
pub fn run_every_sample(
    binary: &Path,
    function: &str,
    events_dir: &Path,
) -> (Vec<SampleRun>, bool) {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let mut api = RuntimeApi::start(
        binary,
        function,
        &[
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_MAX_ATTEMPTS", "1"),
            // Placeholders so the SDK signs requests; they grant nothing anywhere.
            ("AWS_ACCESS_KEY_ID", "local-test-placeholder"),
            ("AWS_SECRET_ACCESS_KEY", "local-test-placeholder"),
        ],
    );
    let mut files: Vec<_> = std::fs::read_dir(events_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // Each sample as it is, then cut in half: a body that is not JSON must
    // reach the handler too, and be answered and recorded as malformed.
    let mut bodies = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let event = std::fs::read_to_string(path).unwrap();
        let half: String = event.chars().take(event.chars().count() / 2).collect();
        bodies.push((name.clone(), event));
        bodies.push((format!("malformed-truncated-{name}"), half));
    }
    let mut runs = Vec::new();
    for (i, (file, event)) in bodies.into_iter().enumerate() {
        let request_id = format!("req-{i}");
        let answer = api.invoke(&request_id, &event, Duration::from_secs(60));
        let records = api.settled_records(&request_id);
        runs.push(SampleRun {
            file,
            answer,
            records,
        });
    }
    assert!(
        api.init_error().is_none(),
        "init failed: {:?}",
        api.init_error()
    );
    let alive = api.alive();
    (runs, alive)
}

/// The checks every function's binary must pass on its samples.
pub fn assert_every_sample_handled(runs: &[SampleRun], alive: bool) {
    assert!(alive, "the binary exited (a panic or a crash)");
    for run in runs {
        let file = &run.file;
        let answer = run
            .answer
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: no answer from the binary"));
        assert!(!run.records.is_empty(), "{file}: no audit record");
        let failed = run.records.iter().any(|r| r["outcome"] == "failed");
        for r in &run.records {
            assert_ne!(
                r["outcome"], "remediated",
                "{file}: AWS was unreachable, nothing can have been remediated"
            );
        }
        match answer {
            Answer::Response(body) => assert!(
                !failed,
                "{file}: a failed record but a success response: {body}"
            ),
            Answer::Error(body) => {
                assert!(failed, "{file}: an error without a failed record: {body}")
            }
        }
        if file.starts_with("malformed") {
            assert!(
                matches!(answer, Answer::Error(b) if b.contains("Finding.Malformed")),
                "{file}: {answer:?}"
            );
        }
    }
}

/// The check of a function's real binary on every sample of its own folder
/// (`events/<function>/`), AWS unreachable: each gets an answer and a
/// record, the process never dies, nothing claims a fix, samples it acts on
/// fail with the transport's code and the others are skipped successfully.
pub fn check_binary(binary: &Path, function: &str) {
    let events = crate::samples::events_dir().join(function);
    let (runs, alive) = run_every_sample(binary, function, &events);
    assert_every_sample_handled(&runs, alive);
    assert!(runs
        .iter()
        .any(|r| matches!(r.answer, Some(Answer::Response(_)))));
    assert!(runs.iter().any(|r| r
        .records
        .iter()
        .any(|x| x["error_code"] == "DispatchFailure")));
}
