//! Where a batch's result rows go. A pipeline's workers encode their block of rows in the
//! chosen [`Format`] (bytes for CSV and JSON lines, an Arrow batch for Parquet); the
//! pipeline hands the blocks to a [`Sink`] in input order; the sink writes them to its
//! [`Destination`]. The split keeps formatting on the workers (it is most of the cost of a
//! row) and keeps the sink, which runs on one thread, to copying bytes.
//!
//! Nothing a sink writes counts until [`Sink::finish`]: a file is written under a
//! temporary name and renamed, an HTTP upload is one streamed request that only ends
//! cleanly on finish. A sink dropped without finishing is an aborted run: the temporary
//! file is removed, the upload is cut off before its last chunk (so the receiver sees a
//! broken request, never a complete-looking one). Standard output cannot take back what
//! it printed; it is flushed on finish.

use crate::destination::{Delivered, Destination, DestinationError, DestinationWriter};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// The formats a batch result is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line; fields quoted when they need it.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet (one row group per block of input), zstd-compressed.
    Parquet,
}

impl Format {
    /// The media type an HTTP destination sends.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line end (quotes doubled): the
/// one quoting rule of every CSV the pipelines write.
pub(crate) fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A block of result rows, encoded by the worker that produced them.
#[derive(Debug)]
pub enum Encoded {
    /// CSV or JSON lines: whole lines.
    Text(Vec<u8>),
    /// Parquet: the rows as one Arrow batch.
    Table(RecordBatch),
    /// CSV or JSON lines: whole lines in a file, from its start (a block a cluster's node
    /// left for the client), which the sink copies without reading it into memory.
    TextFile(std::fs::File),
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Destination(#[from] DestinationError),
    #[error("{to}: cannot write Parquet: {source}")]
    Parquet {
        to: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("{to}: a {got} block given to a {format} sink")]
    Mismatch {
        to: String,
        got: &'static str,
        format: &'static str,
    },
}

/// Takes a batch's blocks in order and delivers them on [`Sink::finish`].
pub trait Sink: Send {
    /// Write one block (blocks arrive in input order).
    fn write(&mut self, block: Encoded) -> Result<(), SinkError>;
    /// Deliver what was written: rename the file, end the upload and read the answer.
    fn finish(self: Box<Self>) -> Result<Delivered, SinkError>;
}

/// CSV and JSON lines: the blocks' bytes, after an optional header line.
pub struct TextSink {
    destination: Box<dyn Destination>,
    format: Format,
}

impl TextSink {
    /// `header` is written first (the CSV header line, with its line end).
    pub fn new(
        mut destination: Box<dyn Destination>,
        format: Format,
        header: &[u8],
    ) -> Result<TextSink, SinkError> {
        if !header.is_empty() {
            destination.write_bytes(header)?;
        }
        Ok(TextSink {
            destination,
            format,
        })
    }
}

impl Sink for TextSink {
    fn write(&mut self, block: Encoded) -> Result<(), SinkError> {
        match block {
            Encoded::Text(bytes) => Ok(self.destination.write_bytes(&bytes)?),
            Encoded::TextFile(mut file) => {
                self.destination.write_file(&mut file)?;
                Ok(())
            }
            Encoded::Table(_) => Err(SinkError::Mismatch {
                to: self.destination.describe(),
                got: "table",
                format: self.format.as_str(),
            }),
        }
    }

    fn finish(self: Box<Self>) -> Result<Delivered, SinkError> {
        Ok(self.destination.commit()?)
    }
}

/// Parquet: each block becomes one row group; the footer is written on finish.
pub struct ParquetSink {
    writer: ArrowWriter<DestinationWriter>,
    to: String,
}

impl ParquetSink {
    pub fn new(destination: Box<dyn Destination>, schema: SchemaRef) -> Result<Self, SinkError> {
        let to = destination.describe();
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let writer = ArrowWriter::try_new(DestinationWriter::new(destination), schema, Some(props))
            .map_err(|source| SinkError::Parquet {
                to: to.clone(),
                source,
            })?;
        Ok(ParquetSink { writer, to })
    }

    /// A write error from the destination, typed, rather than the writer's text of it.
    fn error(&mut self, source: parquet::errors::ParquetError) -> SinkError {
        match self.writer.inner_mut().take_failure() {
            Some(e) => SinkError::Destination(e),
            None => SinkError::Parquet {
                to: self.to.clone(),
                source,
            },
        }
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, block: Encoded) -> Result<(), SinkError> {
        let batch = match block {
            Encoded::Table(batch) => batch,
            Encoded::Text(_) | Encoded::TextFile(_) => {
                return Err(SinkError::Mismatch {
                    to: self.to.clone(),
                    got: "text",
                    format: "parquet",
                })
            }
        };
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.writer.write(&batch).map_err(|e| self.error(e))?;
        // One row group per block: memory stays one block's worth.
        self.writer.flush().map_err(|e| self.error(e))
    }

    fn finish(self: Box<Self>) -> Result<Delivered, SinkError> {
        // `into_inner` writes the footer and hands the destination back.
        let this = *self;
        let to = this.to;
        let inner = this
            .writer
            .into_inner()
            .map_err(|source| SinkError::Parquet { to, source })?;
        Ok(inner.commit()?)
    }
}

/// The sink for a format over a destination; `csv_header` is the CSV header line and
/// `schema` the Parquet schema of the pipeline's rows.
pub fn open(
    destination: Box<dyn Destination>,
    format: Format,
    csv_header: &str,
    schema: SchemaRef,
) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match format {
        Format::Csv => Box::new(TextSink::new(
            destination,
            format,
            format!("{csv_header}\n").as_bytes(),
        )?),
        Format::Jsonl => Box::new(TextSink::new(destination, format, b"")?),
        Format::Parquet => Box::new(ParquetSink::new(destination, schema)?),
    })
}
