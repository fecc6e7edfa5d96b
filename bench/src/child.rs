//! A process we started: the Parley binary, PostgreSQL, Redis. Stopped as a
//! deploy would stop it (a signal, some patience, then SIGKILL), and, when
//! asked, with everything it prints kept. The bench and the server's tests
//! share it (`bench` is also a library for that).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Condvar, Mutex},
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// How long a stopped process may take before it is killed.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Sends `signal` (`"TERM"`, `"INT"`) and waits up to `patience` for the
/// process to exit, then kills it. Its exit status, unless it had to be
/// killed.
pub fn stop(child: &mut Child, signal: &str, patience: Duration) -> Option<ExitStatus> {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// What a process printed so far, line by line, stdout and stderr as they came.
#[derive(Clone, Default)]
struct Printed {
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Printed {
    fn push(&self, line: String) {
        let (lines, arrived) = &*self.lines;
        if let Ok(mut lines) = lines.lock() {
            lines.push(line);
        }
        arrived.notify_all();
    }

    fn all(&self) -> Vec<String> {
        self.lines
            .0
            .lock()
            .map(|lines| lines.clone())
            .unwrap_or_default()
    }

    /// The first line `wanted` takes, waiting up to `patience` for it.
    fn first(&self, wanted: impl Fn(&str) -> bool, patience: Duration) -> Option<String> {
        let (lines, arrived) = &*self.lines;
        let deadline = Instant::now() + patience;
        let mut lines = lines.lock().ok()?;
        loop {
            if let Some(line) = lines.iter().find(|line| wanted(line)) {
                return Some(line.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = arrived.wait_timeout(lines, left).ok()?.0;
        }
    }
}

/// A started process whose output is drained (so it never blocks on a full
/// pipe) and kept. Killed when dropped, if still running.
pub struct Watched {
    child: Child,
    printed: Printed,
    readers: Vec<JoinHandle<()>>,
}

impl Watched {
    /// Starts `command` with its stdout and stderr piped to us.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let printed = Printed::default();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(drain(BufReader::new(stdout), printed.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(drain(BufReader::new(stderr), printed.clone()));
        }
        Ok(Self {
            child,
            printed,
            readers,
        })
    }

    /// The first line it printed that `wanted` takes, waiting up to
    /// `patience`; `None` if it printed none by then.
    pub fn line(&self, wanted: impl Fn(&str) -> bool, patience: Duration) -> Option<String> {
        self.printed.first(wanted, patience)
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stops it with `signal` (see [`stop`]); its exit status (`None`: it had
    /// to be killed) and everything it printed.
    pub fn stop(mut self, signal: &str) -> (Option<ExitStatus>, Vec<String>) {
        let status = stop(&mut self.child, signal, PATIENCE);
        // Its pipes close with it, and the readers finish.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        (status, self.printed.all())
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watched {
    /// A caller that ends without stopping it, or fails before it could,
    /// still stops it (a reaped child is not signalled again).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(reader: impl BufRead + Send + 'static, printed: Printed) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            printed.push(line);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_awaited_and_everything_printed_is_kept() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo one; echo two >&2; echo ready; exec sleep 30"]);
        let watched = Watched::spawn(&mut command).expect("sh starts");
        let ready = watched.line(|line| line == "ready", PATIENCE);
        assert_eq!(ready.as_deref(), Some("ready"));
        let (status, printed) = watched.stop("TERM");
        assert!(status.is_some_and(|status| !status.success()));
        let mut printed = printed;
        printed.sort();
        assert_eq!(printed, ["one", "ready", "two"]);
    }

    #[test]
    fn a_line_never_printed_is_none_in_time() {
        let mut command = Command::new("sh");
        command.args(["-c", "exec sleep 30"]);
        let watched = Watched::spawn(&mut command).expect("sh starts");
        assert_eq!(watched.line(|_| true, Duration::from_millis(50)), None);
        watched.kill();
    }
}
