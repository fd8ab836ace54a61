//! `FILE.failed.csv`: each failed row in the file's own columns, plus a `reason` column, so
//! that the operator fixes the rows in a spreadsheet and imports just that file (import
//! ignores the `reason` column). It holds the operator's own data by design; it is written
//! only when a row fails, UTF-8 with a byte-order mark (so that Excel reads it right), with
//! the file's delimiter, and a stale one from an earlier run is removed.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::PathBuf,
};

use super::problem::Problem;
use crate::exit::{one_line, Exit};

pub struct FailedRows {
    path: PathBuf,
    header: Vec<String>,
    delimiter: u8,
    writer: Option<csv::Writer<BufWriter<File>>>,
}

impl FailedRows {
    /// The failed-rows file at `path`, for a file with this header; an earlier run's is
    /// removed now, so that what is there at the end is this run's.
    pub fn new(path: PathBuf, header: &[String], delimiter: u8) -> Result<FailedRows, Exit> {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Exit::io(format!("removing {}", path.display()), &e)),
        }
        Ok(FailedRows {
            path,
            header: header.to_vec(),
            delimiter,
            writer: None,
        })
    }

    /// Appends a failed row: its values as read, padded to the header, and the reasons.
    pub fn write(
        &mut self,
        line: u64,
        original: &[String],
        problems: &[Problem],
    ) -> Result<(), Exit> {
        let failed = |e: &dyn std::fmt::Display| {
            Exit::new(
                crate::exit::FAILED,
                format!("writing {}: {e}", self.path.display()),
            )
        };
        if self.writer.is_none() {
            let mut file = BufWriter::new(
                File::create(&self.path)
                    .map_err(|e| Exit::io(format!("creating {}", self.path.display()), &e))?,
            );
            file.write_all(b"\xEF\xBB\xBF").map_err(|e| failed(&e))?;
            let mut writer = csv::WriterBuilder::new()
                .delimiter(self.delimiter)
                .flexible(true)
                .from_writer(file);
            let header = self.header.iter().map(String::as_str).chain(["reason"]);
            writer.write_record(header).map_err(|e| failed(&e))?;
            self.writer = Some(writer);
        }
        let reasons: Vec<String> = problems.iter().map(|p| one_line(&p.to_string())).collect();
        let reason = format!("line {line}: {}", reasons.join("; "));
        let width = self.header.len().max(original.len());
        let values = (0..width)
            .map(|i| original.get(i).map_or("", String::as_str))
            .chain([reason.as_str()]);
        if let Some(writer) = &mut self.writer {
            writer.write_record(values).map_err(|e| failed(&e))?;
        }
        Ok(())
    }

    /// Flushes the file; its path, when a row failed.
    pub fn finish(self) -> Result<Option<PathBuf>, Exit> {
        let Some(writer) = self.writer else {
            return Ok(None);
        };
        writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|mut file| file.flush())
            .map_err(|e| Exit::io(format!("writing {}", self.path.display()), &e))?;
        Ok(Some(self.path))
    }
}
