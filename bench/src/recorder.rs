//! The AWS operations a run makes, counted at the emulator with moto's
//! request recorder (`/moto-api/recorder/...`). It only talks to the
//! emulator's own API on loopback, and nothing else may call the emulator
//! while it counts.

use remediation_testing::Emulator;

/// One plain HTTP request to the emulator's own API (`/moto-api/...`); the body of the answer.
fn moto_api(emu: &Emulator, method: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let host = emu.url().trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    write!(
        conn,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The AWS operations the emulator received while `run` ran, by name, from
/// moto's request recorder. Nothing else may call the emulator meanwhile.
pub(crate) fn count_calls(emu: &Emulator, run: impl FnOnce()) -> Vec<String> {
    moto_api(emu, "POST", "/moto-api/recorder/reset-recording");
    moto_api(emu, "POST", "/moto-api/recorder/start-recording");
    run();
    moto_api(emu, "POST", "/moto-api/recorder/stop-recording");
    let log = moto_api(emu, "GET", "/moto-api/recorder/download-recording");
    moto_api(emu, "POST", "/moto-api/recorder/reset-recording");
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|entry| operation(&entry))
        .collect()
}

/// The operation a recorded request is: the JSON protocol's target header,
/// the query protocol's `Action`, or for S3's REST API the method and the
/// sub-resource (`GET ?publicAccessBlock`).
fn operation(entry: &serde_json::Value) -> String {
    let header = |name: &str| {
        entry["headers"]
            .as_object()
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    if let Some(target) = header("X-Amz-Target") {
        return target.rsplit('.').next().unwrap_or_default().to_owned();
    }
    let body = entry["body"].as_str().unwrap_or_default();
    let body = if entry["body_encoded"] == true {
        let bytes = aws_smithy_types::base64::decode(body).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        body.to_owned()
    };
    if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    let method = entry["method"].as_str().unwrap_or_default();
    let url = entry["url"].as_str().unwrap_or_default();
    let sub = url
        .split_once('?')
        .map(|(_, q)| q.split(['&', '=']).next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    format!("S3 {method} ?{sub}")
}
