//! The batch check's block reader reads exactly the records the `csv` crate reads from
//! the whole input, whatever the block size, and never panics. The first byte picks the
//! block size (1..=256 bytes) so that records, quoted line ends and long fields straddle
//! block boundaries.
#![no_main]
use embargo_records::blocks::{for_each_record, BlockReader};
use libfuzzer_sys::fuzz_target;

type Rec = (u64, Vec<Vec<u8>>);

fn reference(data: &[u8]) -> Vec<Rec> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while let Ok(true) = rdr.read_byte_record(&mut rec) {
        let mut start = rec.position().map_or(0, |p| p.byte() as usize);
        while matches!(data.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        let line = 1 + data[..start].iter().filter(|b| **b == b'\n').count() as u64;
        out.push((line, rec.iter().map(<[u8]>::to_vec).collect()));
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&size, data)) = input.split_first() else {
        return;
    };
    let block = usize::from(size) + 1;
    // A limit above the input size: no record is refused, so the two must agree.
    let max_record = data.len() + 1;
    let mut reader = BlockReader::new(data, Vec::new(), 1).with_sizes(block, max_record);
    let mut got: Vec<Rec> = Vec::new();
    loop {
        match reader.next_block() {
            Ok(Some(b)) => for_each_record(&b.data, b.first_line, max_record, |line, rec| {
                let fields = rec.expect("no record over the limit");
                got.push((line, fields.iter().map(|f| f.to_vec()).collect()));
            }),
            Ok(None) => break,
            Err(e) => panic!("reading a slice failed: {e}"),
        }
    }
    assert_eq!(got, reference(data));
    // With a small limit the reader may refuse, but never panics.
    let mut small = BlockReader::new(data, Vec::new(), 1).with_sizes(block, 16);
    while let Ok(Some(b)) = small.next_block() {
        for_each_record(&b.data, b.first_line, 16, |_, _| {});
    }
});
