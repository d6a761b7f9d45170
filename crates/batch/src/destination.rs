//! The places a batch's bytes go: standard output, a file (written under a temporary name
//! beside it and renamed when the run succeeds), or an HTTP endpoint (one streamed
//! `POST`, sent by the system's `curl`: embargo carries no TLS stack).

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// What a destination took, once committed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivered {
    /// `-` (standard output), the file's path or the URL.
    pub to: String,
    pub bytes: u64,
    /// The HTTP status the endpoint answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    #[error("{}: cannot create: {source}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{to}: cannot write: {source}")]
    Write {
        to: String,
        #[source]
        source: std::io::Error,
    },
    #[error("rename {} -> {}: {source}", from.display(), to.display())]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The upload failed; `message` is curl's account of it. (No `io::Error` source: a
    /// closed pipe to curl is a failed upload, not a reader that stopped reading.)
    #[error("{url}: upload failed: {message}")]
    Upload { url: String, message: String },
}

/// A place bytes are written to, made visible by [`Destination::commit`]. Dropped without
/// a commit, it takes back what it can (a file is removed, an upload cut off).
pub trait Destination: Send {
    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), DestinationError>;
    /// Write the rest of `file`; the bytes copied. A destination that can copies in the
    /// kernel (file to file), without the bytes passing through this process.
    fn write_file(&mut self, file: &mut std::fs::File) -> Result<u64, DestinationError> {
        copy_through(self, file)
    }

    fn commit(self: Box<Self>) -> Result<Delivered, DestinationError>;
    /// `-`, the path or the URL, for messages.
    fn describe(&self) -> String;
}

/// The rest of `file` written to `to` a megabyte at a time.
fn copy_through<D: Destination + ?Sized>(
    to: &mut D,
    file: &mut std::fs::File,
) -> Result<u64, DestinationError> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut copied = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(DestinationError::Write {
                    to: to.describe(),
                    source: std::io::Error::new(
                        source.kind(),
                        format!("reading a block to copy: {source}"),
                    ),
                })
            }
        };
        to.write_bytes(&buffer[..n])?;
        copied += n as u64;
    }
}

/// Where the user asked the output to go (`--out`): nothing is standard output, a value
/// starting `http://` or `https://` an HTTP endpoint, anything else a file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    File(PathBuf),
    Http(String),
}

impl Target {
    pub fn from_out(out: Option<&Path>) -> Target {
        match out {
            None => Target::Stdout,
            Some(p) => match p.to_str() {
                Some("-") => Target::Stdout,
                Some(s) if s.starts_with("http://") || s.starts_with("https://") => {
                    Target::Http(s.to_string())
                }
                _ => Target::File(p.to_path_buf()),
            },
        }
    }

    /// Open the destination; `media_type` is what an HTTP upload declares.
    pub fn open(&self, media_type: &str) -> Result<Box<dyn Destination>, DestinationError> {
        Ok(match self {
            Target::Stdout => Box::new(StdoutDestination::new()),
            Target::File(p) => Box::new(FileDestination::create(p)?),
            Target::Http(url) => Box::new(HttpDestination::start(url, media_type)?),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Stdout => "-".into(),
            Target::File(p) => p.display().to_string(),
            Target::Http(u) => u.clone(),
        }
    }
}

/// A [`Destination`] as `std::io::Write`, for writers that take one (Parquet's, a caller's
/// own serializer). A write error keeps its typed form, with the path or URL, for
/// [`DestinationWriter::commit`] and [`DestinationWriter::take_failure`] to hand back.
pub struct DestinationWriter {
    destination: Box<dyn Destination>,
    failed: Option<DestinationError>,
}

impl DestinationWriter {
    pub fn new(destination: Box<dyn Destination>) -> Self {
        DestinationWriter {
            destination,
            failed: None,
        }
    }

    /// The typed error of the last failed write, if any.
    pub fn take_failure(&mut self) -> Option<DestinationError> {
        self.failed.take()
    }

    /// Deliver what was written, unless a write failed.
    pub fn commit(mut self) -> Result<Delivered, DestinationError> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.destination.commit(),
        }
    }
}

impl Write for DestinationWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.destination.write_bytes(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                let io = std::io::Error::other(e.to_string());
                self.failed = Some(e);
                Err(io)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Standard output, buffered.
pub struct StdoutDestination {
    out: BufWriter<std::io::Stdout>,
    bytes: u64,
    /// Standard output as a file, when it is a regular file (known at the first copy).
    regular: Option<Option<std::fs::File>>,
}

impl StdoutDestination {
    pub fn new() -> Self {
        StdoutDestination {
            out: BufWriter::with_capacity(1 << 20, std::io::stdout()),
            bytes: 0,
            regular: None,
        }
    }
}

impl Default for StdoutDestination {
    fn default() -> Self {
        Self::new()
    }
}

fn stdout_error(source: std::io::Error) -> DestinationError {
    DestinationError::Write {
        to: "standard output".into(),
        source,
    }
}

impl Destination for StdoutDestination {
    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), DestinationError> {
        self.out.write_all(bytes).map_err(stdout_error)?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn write_file(&mut self, file: &mut std::fs::File) -> Result<u64, DestinationError> {
        // Standard output redirected to a file: copied in the kernel, through a handle on
        // the same open file (same offset), once the buffer ahead of it is written. A pipe
        // or a terminal: through the buffer, a megabyte at a time.
        let regular = self.regular.get_or_insert_with(|| {
            use std::os::fd::AsFd;
            std::io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(std::fs::File::from)
                .filter(|f| f.metadata().is_ok_and(|m| m.file_type().is_file()))
        });
        let Some(to) = regular.as_mut() else {
            return copy_through(self, file);
        };
        self.out.flush().map_err(stdout_error)?;
        let copied = std::io::copy(file, to).map_err(stdout_error)?;
        self.bytes += copied;
        Ok(copied)
    }

    fn commit(mut self: Box<Self>) -> Result<Delivered, DestinationError> {
        self.out.flush().map_err(stdout_error)?;
        Ok(Delivered {
            to: "-".into(),
            bytes: self.bytes,
            http_status: None,
        })
    }

    fn describe(&self) -> String {
        "-".into()
    }
}

/// A file written as `.NAME.tmp-PID` beside its final path, synced and renamed on commit.
pub struct FileDestination {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<std::fs::File>>,
    bytes: u64,
}

impl FileDestination {
    pub fn create(path: &Path) -> Result<Self, DestinationError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
            std::process::id()
        ));
        let file = std::fs::File::create(&tmp).map_err(|source| DestinationError::Create {
            path: tmp.clone(),
            source,
        })?;
        Ok(FileDestination {
            path: path.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            bytes: 0,
        })
    }

    fn write_error(&self, source: std::io::Error) -> DestinationError {
        DestinationError::Write {
            to: self.tmp.display().to_string(),
            source,
        }
    }
}

impl Destination for FileDestination {
    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), DestinationError> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        out.write_all(bytes).map_err(|e| self.write_error(e))?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn write_file(&mut self, file: &mut std::fs::File) -> Result<u64, DestinationError> {
        let Some(out) = self.out.as_mut() else {
            return Ok(0);
        };
        // File to (buffered) file: the standard library copies in the kernel
        // (`copy_file_range`) after flushing the buffer.
        let copied = std::io::copy(file, out).map_err(|e| self.write_error(e))?;
        self.bytes += copied;
        Ok(copied)
    }

    fn commit(mut self: Box<Self>) -> Result<Delivered, DestinationError> {
        let Some(out) = self.out.take() else {
            return Err(self.write_error(std::io::Error::other("already committed")));
        };
        let file = out
            .into_inner()
            .map_err(|e| self.write_error(e.into_error()))?;
        file.sync_all().map_err(|e| self.write_error(e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(|source| DestinationError::Rename {
            from: self.tmp.clone(),
            to: self.path.clone(),
            source,
        })?;
        // Committed: nothing for Drop to take back.
        self.tmp = PathBuf::new();
        Ok(Delivered {
            to: self.path.display().to_string(),
            bytes: self.bytes,
            http_status: None,
        })
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for FileDestination {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.out = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The environment variable whose value is sent as the upload's `Authorization` header.
/// It is handed to curl in a file only this user can read, never on a command line.
pub const AUTHORIZATION_ENV: &str = "EMBARGO_OUT_AUTHORIZATION";

/// One `POST` whose body is streamed to curl's standard input (chunked transfer
/// encoding). The request ends cleanly only on commit; an aborted run kills curl, so the
/// endpoint sees a request cut off before its last chunk.
pub struct HttpDestination {
    url: String,
    child: Option<Child>,
    body: Option<BufWriter<ChildStdin>>,
    header_file: Option<PathBuf>,
    bytes: u64,
}

impl HttpDestination {
    pub fn start(url: &str, media_type: &str) -> Result<Self, DestinationError> {
        let upload_error = |message: String| DestinationError::Upload {
            url: url.to_string(),
            message,
        };
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--fail", "--request", "POST"])
            .args(["--upload-file", "-"])
            .args(["--header", &format!("Content-Type: {media_type}")])
            // No "Expect: 100-continue" round trip before the body.
            .args(["--header", "Expect:"])
            .args(["--output", "/dev/null", "--write-out", "%{http_code}"]);
        let header_file = match std::env::var(AUTHORIZATION_ENV) {
            Ok(v) if !v.is_empty() => {
                let path = private_header_file(&format!("Authorization: {v}\n"))
                    .map_err(|e| upload_error(format!("cannot pass {AUTHORIZATION_ENV}: {e}")))?;
                cmd.arg("--header").arg(format!("@{}", path.display()));
                Some(path)
            }
            _ => None,
        };
        cmd.arg("--")
            .arg(url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            upload_error(format!(
                "cannot start curl (needed for http:// and https:// outputs): {e}"
            ))
        })?;
        let body = child
            .stdin
            .take()
            .map(|s| BufWriter::with_capacity(1 << 20, s));
        Ok(HttpDestination {
            url: url.to_string(),
            child: Some(child),
            body,
            header_file,
            bytes: 0,
        })
    }

    /// curl's account of a failed upload: its exit status, its message, the HTTP status.
    fn failure(&mut self, what: &str) -> DestinationError {
        self.body = None;
        let mut message = what.to_string();
        if let Some(mut child) = self.child.take() {
            let status = child.wait();
            let mut err = String::new();
            let mut code = String::new();
            if let Some(e) = child.stderr.take() {
                let _ = e.take(4096).read_to_string(&mut err);
            }
            if let Some(o) = child.stdout.take() {
                let _ = o.take(16).read_to_string(&mut code);
            }
            let err = err.trim();
            if !err.is_empty() {
                message = format!("{message}: {err}");
            }
            if let Ok(s) = status {
                message = match s.code() {
                    Some(c) => format!("{message} (curl exit {c}"),
                    None => format!("{message} (curl stopped"),
                };
                if !code.trim().is_empty() && code.trim() != "000" {
                    message = format!("{message}, HTTP {}", code.trim());
                }
                message.push(')');
            }
        }
        DestinationError::Upload {
            url: self.url.clone(),
            message,
        }
    }
}

impl Destination for HttpDestination {
    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), DestinationError> {
        let Some(body) = self.body.as_mut() else {
            return Err(self.failure("the upload has ended"));
        };
        if body.write_all(bytes).is_err() {
            return Err(self.failure("the endpoint stopped taking the body"));
        }
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<Delivered, DestinationError> {
        if let Some(body) = self.body.take() {
            if body.into_inner().map(drop).is_err() {
                return Err(self.failure("the endpoint stopped taking the body"));
            }
        }
        let Some(mut child) = self.child.take() else {
            return Err(self.failure("the upload has ended"));
        };
        let status = child.wait();
        let mut code = String::new();
        if let Some(mut o) = child.stdout.take() {
            let _ = o.by_ref().take(16).read_to_string(&mut code);
        }
        let ok = status.as_ref().is_ok_and(|s| s.success());
        if !ok {
            self.child = Some(child);
            return Err(self.failure("the endpoint refused the upload"));
        }
        let http_status = code.trim().parse::<u16>().ok();
        Ok(Delivered {
            to: self.url.clone(),
            bytes: self.bytes,
            http_status,
        })
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}

impl Drop for HttpDestination {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Killed before the body's last chunk: the endpoint sees a broken request.
            let _ = child.kill();
            self.body = None;
            let _ = child.wait();
        }
        if let Some(p) = self.header_file.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A header line in a new file only this user can read, for curl's `--header @file`.
fn private_header_file(line: &str) -> std::io::Result<PathBuf> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let path = std::env::temp_dir().join(format!(
        "embargo-header-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let mut f = opts.open(&path)?;
    f.write_all(line.as_bytes())?;
    Ok(path)
}
