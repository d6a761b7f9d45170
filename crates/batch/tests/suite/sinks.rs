//! The sinks deliver exactly what the pipelines encode, and nothing when a run fails:
//! a file appears only on finish, a Parquet file reads back row for row, an HTTP upload
//! is one POST whose body is the output, cut off (no last chunk) when the run is aborted.

use arrow_array::{Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use embargo_batch::{sink, Encoded, Format, Sink, Target};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

/// A CSV or JSON-lines sink over `target`, with `header` as its first line (CSV).
fn text_sink(target: &Target, format: Format, header: &str) -> Box<dyn Sink> {
    let destination = target.open(format.media_type()).unwrap();
    sink::open(destination, format, header, Arc::new(Schema::empty())).unwrap()
}

fn text_block(s: &str) -> Encoded {
    Encoded::Text(s.as_bytes().to_vec())
}

#[test]
fn a_file_appears_only_when_the_sink_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verdicts.csv");
    let target = Target::File(out.clone());

    let mut s = text_sink(&target, Format::Csv, "a,b");
    s.write(text_block("1,2\n")).unwrap();
    drop(s); // an aborted run
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file left"
    );

    let mut s = text_sink(&target, Format::Csv, "a,b");
    s.write(text_block("1,2\n")).unwrap();
    s.write(text_block("3,4\n")).unwrap();
    let d = s.finish().unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a,b\n1,2\n3,4\n");
    assert_eq!(d.bytes, 12);
    assert_eq!(d.to, out.display().to_string());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_parquet_file_reads_back_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("line", DataType::UInt64, false),
        Field::new("verdict", DataType::Utf8, true),
    ]));
    let batch = |lines: Vec<u64>, verdicts: Vec<Option<&str>>| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(UInt64Array::from(lines)),
                Arc::new(StringArray::from(verdicts)),
            ],
        )
        .unwrap()
    };
    let target = Target::File(out.clone());
    let mut s = sink::open(
        target.open("").unwrap(),
        Format::Parquet,
        "",
        schema.clone(),
    )
    .unwrap();
    s.write(Encoded::Table(batch(
        vec![2, 3],
        vec![Some("prohibited"), None],
    )))
    .unwrap();
    s.write(Encoded::Table(batch(vec![], vec![]))).unwrap();
    s.write(Encoded::Table(batch(vec![4], vec![Some("permitted")])))
        .unwrap();
    // A text block is not Parquet: refused, naming the destination.
    let e = s.write(text_block("x\n")).unwrap_err().to_string();
    assert!(
        e.contains("rows.parquet") && e.contains("text block"),
        "{e}"
    );
    s.finish().unwrap();

    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(
        reader.metadata().num_row_groups(),
        2,
        "one row group per non-empty block"
    );
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
    let mut lines = Vec::new();
    let mut verdicts = Vec::new();
    for b in &batches {
        let l = b.column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
        let v = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..b.num_rows() {
            lines.push(l.value(i));
            verdicts.push((!v.is_null(i)).then(|| v.value(i).to_string()));
        }
    }
    assert_eq!(lines, vec![2, 3, 4]);
    assert_eq!(
        verdicts,
        vec![
            Some("prohibited".to_string()),
            None,
            Some("permitted".to_string())
        ]
    );
}

/// Whether curl is here; under CI (`EMBARGO_SHARED` set) it must be.
fn have_curl() -> bool {
    let ok = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("EMBARGO_SHARED").is_none(),
            "curl is needed for the HTTP sink's tests under CI"
        );
        eprintln!("notice: skipping, curl not found");
    }
    ok
}

/// What a one-request HTTP server saw.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<String>,
    body: Vec<u8>,
    /// The chunked body ended with its last (empty) chunk.
    complete: bool,
}

/// Serve one request on a loopback port: read the chunked body, answer `status`.
fn one_request_server(status: u16) -> (String, std::thread::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/results", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        // An aborted run may end before curl connects: wait a while, then report nothing.
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(_) => {
                    return Seen {
                        request_line: String::new(),
                        headers: Vec::new(),
                        body: Vec::new(),
                        complete: false,
                    }
                }
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut r = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        let _ = r.read_line(&mut request_line);
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                break;
            }
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            headers.push(h);
        }
        let mut body = Vec::new();
        let mut complete = false;
        loop {
            let mut size = String::new();
            if r.read_line(&mut size).unwrap_or(0) == 0 {
                break;
            }
            let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
                break;
            };
            if n == 0 {
                complete = true;
                break;
            }
            let mut chunk = vec![0u8; n + 2];
            if r.read_exact(&mut chunk).is_err() {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        if complete {
            let mut w = stream;
            let _ = write!(
                w,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
        Seen {
            request_line,
            headers,
            body,
            complete,
        }
    });
    (url, handle)
}

#[test]
fn an_http_upload_is_one_post_of_the_whole_output() {
    if !have_curl() {
        return;
    }
    let (url, server) = one_request_server(200);
    let target = Target::from_out(Some(std::path::Path::new(&url)));
    assert_eq!(target, Target::Http(url.clone()));
    let mut s = text_sink(&target, Format::Csv, "line,verdict");
    let big = "3,permitted\n".repeat(200_000); // 2.4 MB: more than one pipe's worth
    s.write(text_block("2,prohibited\n")).unwrap();
    s.write(text_block(&big)).unwrap();
    let d = s.finish().unwrap();
    let seen = server.join().unwrap();
    assert!(seen.request_line.starts_with("POST /results "), "{seen:?}");
    assert!(seen
        .headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-type: text/csv; charset=utf-8")));
    assert!(seen.complete);
    let expect = format!("line,verdict\n2,prohibited\n{big}");
    assert_eq!(seen.body.len(), expect.len());
    assert!(seen.body == expect.as_bytes());
    assert_eq!(d.http_status, Some(200));
    assert_eq!(d.bytes as usize, expect.len());
}

#[test]
fn an_aborted_upload_never_ends_its_body() {
    if !have_curl() {
        return;
    }
    let (url, server) = one_request_server(200);
    let target = Target::Http(url);
    let mut s = text_sink(&target, Format::Jsonl, "");
    // More than the sink buffers, so that curl has connected and sent part of it.
    s.write(text_block(&"{\"row\":1}\n".repeat(300_000)))
        .unwrap();
    drop(s); // the run failed after its first block
    let seen = server.join().unwrap();
    assert!(
        !seen.complete,
        "the endpoint must not see a complete body: {seen:?}"
    );
}

#[test]
fn a_refused_upload_is_an_error_naming_the_url_and_status() {
    if !have_curl() {
        return;
    }
    let (url, server) = one_request_server(503);
    let target = Target::Http(url.clone());
    let mut s = text_sink(&target, Format::Jsonl, "");
    s.write(text_block("{\"row\":1}\n")).unwrap();
    let e = s.finish().unwrap_err().to_string();
    server.join().unwrap();
    assert!(e.starts_with(&url), "{e}");
    assert!(e.contains("503"), "{e}");
}

#[test]
fn an_unreachable_endpoint_is_an_error_naming_the_url() {
    if !have_curl() {
        return;
    }
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/x");
    let target = Target::Http(url.clone());
    let mut s = text_sink(&target, Format::Csv, "a");
    // Writes may succeed into the pipe before curl gives up; finish must fail.
    let r = s.write(text_block(&"1\n".repeat(1 << 20)));
    let e = match r {
        Err(e) => e.to_string(),
        Ok(()) => s.finish().unwrap_err().to_string(),
    };
    assert!(e.starts_with(&format!("{url}: upload failed")), "{e}");
}

#[test]
fn out_values_name_their_destination() {
    use std::path::Path;
    assert_eq!(Target::from_out(None), Target::Stdout);
    assert_eq!(Target::from_out(Some(Path::new("-"))), Target::Stdout);
    assert_eq!(
        Target::from_out(Some(Path::new("https://example.org/in"))),
        Target::Http("https://example.org/in".into())
    );
    assert_eq!(
        Target::from_out(Some(Path::new("http.csv"))),
        Target::File("http.csv".into())
    );
}

#[test]
fn standard_output_reads_as_a_dash() {
    let mut buf = Vec::new();
    // Only the description: writing here would go to the test's own stdout.
    let d = Target::Stdout.open("text/csv").unwrap();
    buf.extend_from_slice(d.describe().as_bytes());
    assert_eq!(buf, b"-");
    let _ = std::io::stdout().flush();
}

/// A block in a file (as a cluster's node leaves it), from its start to its end.
fn file_block(dir: &std::path::Path, name: &str, s: &str) -> Encoded {
    let path = dir.join(name);
    std::fs::write(&path, s).unwrap();
    Encoded::TextFile(std::fs::File::open(&path).unwrap())
}

#[test]
fn blocks_in_files_are_copied_in_their_place_among_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = tempfile::tempdir().unwrap();
    let big = "3,permitted\n".repeat(200_000); // 2.4 MB: more than one read's worth
    let expect = format!("line,verdict\n2,prohibited\n{big}4,conditional\n5,permitted\n");
    let write = |s: &mut Box<dyn Sink>| {
        s.write(text_block("2,prohibited\n")).unwrap();
        s.write(file_block(blocks.path(), "a", &big)).unwrap();
        s.write(text_block("4,conditional\n")).unwrap();
        s.write(file_block(blocks.path(), "b", "5,permitted\n"))
            .unwrap();
        s.write(file_block(blocks.path(), "c", "")).unwrap();
    };

    // To a file (a copy in the kernel).
    let out = dir.path().join("verdicts.csv");
    let mut s = text_sink(&Target::File(out.clone()), Format::Csv, "line,verdict");
    write(&mut s);
    let d = s.finish().unwrap();
    assert!(std::fs::read(&out).unwrap() == expect.as_bytes());
    assert_eq!(d.bytes as usize, expect.len());

    // To an upload (through the process, a megabyte at a time).
    if have_curl() {
        let (url, server) = one_request_server(200);
        let mut s = text_sink(&Target::Http(url), Format::Csv, "line,verdict");
        write(&mut s);
        let d = s.finish().unwrap();
        let seen = server.join().unwrap();
        assert!(seen.complete);
        assert!(seen.body == expect.as_bytes());
        assert_eq!(d.bytes as usize, expect.len());
    }

    // A Parquet sink takes tables only.
    let schema = Arc::new(Schema::new(vec![Field::new(
        "line",
        DataType::UInt64,
        false,
    )]));
    let destination = Target::File(dir.path().join("rows.parquet"))
        .open(Format::Parquet.media_type())
        .unwrap();
    let mut s = sink::open(destination, Format::Parquet, "", schema).unwrap();
    let e = s.write(file_block(blocks.path(), "d", "1\n")).unwrap_err();
    assert!(
        e.to_string()
            .contains("a text block given to a parquet sink"),
        "{e}"
    );
}
