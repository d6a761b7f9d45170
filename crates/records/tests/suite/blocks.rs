//! The batch check's block reader against the `csv` crate reading the whole file: same
//! records, same fields, same lines, whatever the block size and wherever quoted line
//! ends, long fields and records fall against the block boundaries.

use embargo_records::blocks::{for_each_record, BlockError, BlockReader, RecordTooLong};
use proptest::prelude::*;

type Rec = (u64, Result<Vec<Vec<u8>>, RecordTooLong>);

/// The reference: the `csv` crate over the whole input; a record's line is the line of
/// its first byte (the crate's own line counter lags behind CRLF line ends).
fn reference(data: &[u8], first_line: u64) -> Vec<Rec> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).expect("csv reads a slice") {
        let mut start = rec.position().expect("position").byte() as usize;
        while matches!(data.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        let line = first_line + data[..start].iter().filter(|b| **b == b'\n').count() as u64;
        out.push((line, Ok(rec.iter().map(<[u8]>::to_vec).collect())));
    }
    out
}

fn blocks(data: &[u8], block: usize, max_record: usize) -> Result<Vec<Rec>, BlockError> {
    // Hand the reader part of the input up front, as the batch check does after the header.
    let split = (block / 2).min(data.len());
    let mut r =
        BlockReader::new(&data[split..], data[..split].to_vec(), 1).with_sizes(block, max_record);
    let mut out = Vec::new();
    let mut seq = 0;
    while let Some(b) = r.next_block()? {
        assert_eq!(b.seq, seq);
        seq += 1;
        for_each_record(&b.data, b.first_line, max_record, |line, rec| {
            out.push((line, rec.map(|f| f.iter().map(|x| x.to_vec()).collect())));
        });
    }
    Ok(out)
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9 .-]{0,6}",
        2 => "[A-Za-z0-9 ,.\r\n\"-]{0,12}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        1 => (1usize..200).prop_map(|n| "X".repeat(n)),
        1 => (1usize..200).prop_map(|n| format!("\"{}\n{}\"", "Q".repeat(n), "PHANTOM,KP,CN")),
    ]
}

fn file() -> impl Strategy<Value = Vec<u8>> {
    let record = proptest::collection::vec(field(), 1..6).prop_map(|f| f.join(","));
    let end = prop_oneof![4 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r"), 1 => Just("\n\n")];
    (
        proptest::collection::vec((record, end), 0..30),
        any::<bool>(),
    )
        .prop_map(|(recs, last_end)| {
            let mut s = String::new();
            let n = recs.len();
            for (i, (r, e)) in recs.into_iter().enumerate() {
                s.push_str(&r);
                if i + 1 < n || last_end {
                    s.push_str(e);
                }
            }
            s.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn blocks_read_what_the_csv_crate_reads(data in file(), block in 1usize..96) {
        let got = blocks(&data, block, 1 << 20).expect("no record is over the limit");
        prop_assert_eq!(got, reference(&data, 1));
    }

    /// Blocks without quotes or CRs (nearly every block of a real file) take the one-pass
    /// split; a record over the limit is an error in its place, with or without commas.
    #[test]
    fn plain_blocks_read_as_the_csv_crate_reads(
        data in proptest::collection::vec(
            prop_oneof![4 => Just(b'a'), 2 => Just(b','), 1 => Just(b'\n'), 1 => Just(b' ')], 0..300),
        block in 1usize..64,
        limit in 4usize..40,
    ) {
        let got = blocks(&data, block, 1 << 20).expect("no record is over the limit");
        prop_assert_eq!(got, reference(&data, 1));
        // With a small limit (blocks whole), the records under it are the csv crate's and
        // those over it are errors of their length.
        let mut r = BlockReader::new(&data[..], Vec::new(), 1).with_sizes(1 << 20, limit);
        let mut got = Vec::new();
        while let Some(b) = r.next_block().expect("read") {
            for_each_record(&b.data, b.first_line, limit, |line, rec| {
                got.push((line, rec.map(|f| f.iter().map(|x| x.to_vec()).collect())));
            });
        }
        let expected: Vec<Rec> = reference(&data, 1)
            .into_iter()
            .map(|(line, rec)| {
                let fields = rec.expect("reference");
                let bytes = fields.iter().map(Vec::len).sum::<usize>() + fields.len() - 1;
                if bytes > limit {
                    (line, Err(RecordTooLong { bytes, limit }))
                } else {
                    (line, Ok(fields))
                }
            })
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn any_bytes_read_as_the_csv_crate_reads(
        data in proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b' ')], 0..200),
        block in 1usize..64,
    ) {
        // A quote left open may swallow the rest of the input: with a limit above the
        // input's size, the records are still exactly the csv crate's.
        let got = blocks(&data, block, 1 << 20).expect("no record is over the limit");
        prop_assert_eq!(got, reference(&data, 1));
    }
}

/// Text inside a quoted field is never a row of its own, however the blocks fall.
#[test]
fn a_quoted_line_end_is_not_a_record_end() {
    let mut data = b"id,hs\n".to_vec();
    let body = format!(
        "1,\"{}\nPHANTOM,2701,KP,CN,2017-09-15\"\n2,x\n",
        "a".repeat(5000)
    );
    data.extend_from_slice(body.as_bytes());
    for block in [7, 64, 4096, 5003, 5004, 5010, 1 << 20] {
        let got = blocks(&data, block, 1 << 20).expect("read");
        assert_eq!(got.len(), 3, "block {block}");
        assert_eq!(got[1].0, 2);
        let fields = got[1].1.as_ref().expect("fields");
        assert!(fields[1].ends_with(b"PHANTOM,2701,KP,CN,2017-09-15"));
        assert_eq!(got[2], (4, Ok(vec![b"2".to_vec(), b"x".to_vec()])));
    }
}

/// A record over the limit within a block comes as an error in its place; the records
/// around it stay.
#[test]
fn long_records_are_errors_in_place() {
    let data = format!("a,b\n{}\nc,d\n", "Z".repeat(300));
    let got = blocks(data.as_bytes(), 64, 1000).expect("read");
    assert_eq!(got.len(), 3);
    let got = blocks(data.as_bytes(), 512, 100).expect("read");
    assert_eq!(
        got[1],
        (
            2,
            Err(RecordTooLong {
                bytes: 300,
                limit: 100
            })
        )
    );
    assert_eq!(got[2].0, 3);
    // The same through the quoted path.
    let data = format!("a,\"b\"\n\"{}\"\nc,d\n", "Z".repeat(300));
    let got = blocks(data.as_bytes(), 512, 100).expect("read");
    assert!(matches!(got[1], (2, Err(RecordTooLong { limit: 100, .. }))));
    assert_eq!(got[2].0, 3);
}

/// A quote left open, or a file without line ends, stops the read once no record end
/// turns up within the limit, instead of filling memory.
#[test]
fn an_unterminated_record_stops_the_read() {
    let mut data = b"a,b\n1,\"open".to_vec();
    data.extend(std::iter::repeat_n(b'x', 10_000));
    data.extend_from_slice(b"\n2,y\n");
    match blocks(&data, 256, 1000) {
        Err(BlockError::Unterminated {
            line,
            limit,
            in_quotes,
            ..
        }) => assert_eq!((line, limit, in_quotes), (2, 1000, true)),
        other => panic!("expected an unterminated record, got {other:?}"),
    }
    let zeros = std::io::repeat(0).take(1 << 30);
    let mut r = BlockReader::new(zeros, Vec::new(), 2).with_sizes(1 << 16, 1 << 20);
    let t = std::time::Instant::now();
    let err = r.next_block().expect_err("no line end in 1 GiB of zeros");
    assert!(
        err.to_string()
            .starts_with("line 2: no record end within 1"),
        "{err}"
    );
    assert!(t.elapsed().as_secs() < 5);
}

use std::io::Read as _;
