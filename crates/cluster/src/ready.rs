//! Whether a cluster can run a plan now. Ballista's scheduler keeps a job queued until an
//! executor registers, however long that takes (by design: executors may be started on
//! demand), so a client sent to a scheduler without executors would wait in silence.
//! Its `/readyz` route (HTTP, on the scheduler's own port) answers 200 once an executor
//! is registered, 503 with the count before; clients ask it first.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::address::{ClusterUrl, HostPort};
use crate::error::ClusterError;

/// What the scheduler said of its executors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// At least one executor is registered.
    Ready,
    /// None is; the scheduler's own words (`not ready: 0/1 executors registered`).
    NoExecutor(String),
}

/// The longest answer read from `/readyz` (it is one short line).
const ANSWER_BYTES: u64 = 4096;

/// Asks the scheduler at `scheduler` whether an executor is registered, waiting at most
/// `timeout` for the connection and for each read and write.
pub fn readiness(scheduler: &HostPort, timeout: Duration) -> Result<Readiness, ClusterError> {
    let fail = |message: String| ClusterError::Unreachable {
        scheduler: scheduler.to_string(),
        message,
    };
    let addrs: Vec<_> = (scheduler.host.as_str(), scheduler.port)
        .to_socket_addrs()
        .map_err(|e| fail(format!("cannot resolve the host: {e}")))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| match last {
        Some(e) => fail(e.to_string()),
        None => fail("the host has no address".to_string()),
    })?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| fail(e.to_string()))?;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {scheduler}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| fail(format!("sending the readiness request: {e}")))?;
    let mut answer = Vec::new();
    stream
        .take(ANSWER_BYTES)
        .read_to_end(&mut answer)
        .map_err(|e| fail(format!("reading the readiness answer: {e}")))?;
    read_answer(&answer).map_err(fail)
}

/// An HTTP answer to `/readyz`: 200 ready, 503 not (the body says why); anything else is
/// not a Ballista scheduler (or not one this build knows).
fn read_answer(answer: &[u8]) -> Result<Readiness, String> {
    let text = String::from_utf8_lossy(answer);
    let status_line = text.lines().next().unwrap_or("");
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| {
            format!("it does not answer as a Ballista scheduler (first line {status_line:?})")
        })?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.trim())
        .unwrap_or("");
    match status {
        200 => Ok(Readiness::Ready),
        503 => Ok(Readiness::NoExecutor(body.to_string())),
        other => Err(format!(
            "its readiness route answered {other} {body:?} (is it an embargo scheduler?)"
        )),
    }
}

/// Waits until the cluster at `url` has an executor, at most `wait`, asking every
/// `POLL`. `waiting` hears the scheduler's words once, the first time it has none. An
/// unreachable scheduler is an error at once: there is nothing to wait for.
pub fn wait_for_executor(
    url: &ClusterUrl,
    wait: Duration,
    waiting: impl FnOnce(&str),
) -> Result<(), ClusterError> {
    let deadline = Instant::now() + wait;
    let mut waiting = Some(waiting);
    loop {
        match readiness(&url.scheduler, ASK_TIMEOUT)? {
            Readiness::Ready => return Ok(()),
            Readiness::NoExecutor(said) => {
                if Instant::now() >= deadline {
                    return Err(ClusterError::NoExecutor {
                        url: url.to_string(),
                        waited: wait,
                        said,
                    });
                }
                if let Some(tell) = waiting.take() {
                    tell(&said);
                }
            }
        }
        std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// How often a waiting client asks again.
const POLL: Duration = Duration::from_millis(250);

/// How long one question to the scheduler may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_the_scheduler_gives_them() {
        let ready =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nready";
        assert_eq!(read_answer(ready), Ok(Readiness::Ready));
        let none = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 36\r\n\r\nnot ready: 0/1 executors registered";
        assert_eq!(
            read_answer(none),
            Ok(Readiness::NoExecutor(
                "not ready: 0/1 executors registered".to_string()
            ))
        );
        let e = read_answer(b"HTTP/1.1 404 Not Found\r\n\r\n").unwrap_err();
        assert!(e.contains("answered 404"), "{e}");
        let e = read_answer(b"\x00\x00\x18\x04").unwrap_err();
        assert!(e.contains("does not answer as a Ballista scheduler"), "{e}");
        let e = read_answer(b"").unwrap_err();
        assert!(e.contains("first line \"\""), "{e}");
    }

    #[test]
    fn an_unreachable_scheduler_is_an_error_at_once() {
        // A port just let go: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let url = ClusterUrl::parse(&format!("df://127.0.0.1:{port}")).unwrap();
        let started = Instant::now();
        let e = wait_for_executor(&url, Duration::from_secs(30), |_| {}).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot reach the scheduler at 127.0.0.1:{port}: ")),
            "{text}"
        );
    }

    #[test]
    fn a_scheduler_without_executors_is_waited_for_then_named() {
        // A stand-in that answers as a scheduler with no executor, to every request.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 35\r\n\r\nnot ready: 0/1 executors registered",
                );
            }
        });
        let url = ClusterUrl::parse(&format!("df://127.0.0.1:{port}")).unwrap();
        let mut heard = Vec::new();
        let e = wait_for_executor(&url, Duration::from_millis(600), |said| {
            heard.push(said.to_string())
        })
        .unwrap_err();
        assert_eq!(heard, vec!["not ready: 0/1 executors registered"]);
        assert_eq!(
            e.to_string(),
            format!(
                "the cluster df://127.0.0.1:{port} has no executor (waited 600ms; the \
                 scheduler says \"not ready: 0/1 executors registered\"): start one with \
                 `embargo cluster executor --scheduler 127.0.0.1:{port}`"
            )
        );
    }
}
