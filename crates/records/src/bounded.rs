//! A reader that refuses endless lines: input files read through it fail at the first
//! line longer than the limit (`/dev/zero`, a 100 MB line without a line end) instead of
//! growing a buffer until memory runs out.

use std::io::Read;

/// The longest line accepted in a CSV input read through [`LineBound`]: 1 MiB.
/// (Comtrade, BACI and plain trade rows are under 1 KiB; list and batch rows under 64 KiB.)
pub const MAX_LINE_BYTES: usize = 1 << 20;

pub struct LineBound<R> {
    inner: R,
    limit: usize,
    /// Bytes since the last line end.
    run: usize,
    line: u64,
    /// After the error, the input ends: a caller that reads on (a CSV reader collecting
    /// row errors) meets the end of the file instead of the same error forever.
    failed: bool,
}

impl<R: Read> LineBound<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        LineBound {
            inner,
            limit,
            run: 0,
            line: 1,
            failed: false,
        }
    }
}

impl<R: Read> Read for LineBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.failed {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        for &b in buf.get(..n).unwrap_or(&[]) {
            if b == b'\n' {
                self.run = 0;
                self.line += 1;
            } else {
                self.run += 1;
                if self.run > self.limit {
                    self.failed = true;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "line {}: longer than {} bytes without a line end",
                            self.line, self.limit
                        ),
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// Whether `bytes` end inside a line: there are some and the last is no line end. CSV
/// has no end marker, so a file cut short in its last row still reads as rows; this is
/// the one hint that it may have been. (Many tools write a last line without an end, so
/// a reader warns rather than refuses: [`cut_warning`].)
pub fn ends_inside_a_line(bytes: &[u8]) -> bool {
    !matches!(bytes.last(), None | Some(b'\n' | b'\r'))
}

/// [`ends_inside_a_line`] for the file at `path`, reading its last byte only.
pub fn file_ends_inside_a_line(path: &std::path::Path) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(ends_inside_a_line(&last))
}

/// What a reader says of the input `name` when it ends inside a line.
pub fn cut_warning(name: &str) -> String {
    format!(
        "{name}: the last line has no line end: if the file was cut short, its last row is \
         incomplete (it was read as written)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_last_line_without_an_end_is_told() {
        assert!(ends_inside_a_line(b"name\nKIM JO"));
        for whole in [&b""[..], b"name\nKIM\n", b"name\r\nKIM\r\n", b"a\r"] {
            assert!(!ends_inside_a_line(whole), "{whole:?}");
        }
    }

    #[test]
    fn stops_at_the_first_endless_line() {
        let mut ok = LineBound::new(&b"ab\ncd\n"[..], 2);
        let mut s = String::new();
        ok.read_to_string(&mut s).expect("short lines");
        let mut r = LineBound::new(std::io::repeat(b'x').take(1 << 30), 1000);
        let err = std::io::copy(&mut r, &mut std::io::sink()).expect_err("endless");
        assert_eq!(
            err.to_string(),
            "line 1: longer than 1000 bytes without a line end"
        );
        let mut rest = Vec::new();
        assert_eq!(r.read_to_end(&mut rest).expect("the end"), 0);
    }
}
