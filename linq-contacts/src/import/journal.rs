//! The journal of finished rows: one JSON line per row, appended and flushed as each row
//! finishes, so that a re-run after Ctrl-C or a crash skips what was done.
//!
//! A row is known by its values (its fingerprint) and how many rows before it have the same
//! values, never by its line: a line number depends on how lines are counted and moves when a
//! row above is added or removed. An entry in another form (the line-keyed entries of earlier
//! versions) is ignored: that row is done again, and find-or-create finds what it made.

use std::{
    collections::HashMap,
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use super::{apply::Applied, rows::Row};
use crate::exit::Exit;

/// One finished row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The row's [`Row::read_fingerprint`]: an edited row is done again.
    pub fingerprint: String,
    /// The row's [`Row::occurrence`].
    pub occurrence: u32,
    #[serde(flatten)]
    pub applied: Applied,
}

/// The journal of one import.
pub struct Journal {
    path: PathBuf,
    file: File,
    earlier: HashMap<(String, u32), Entry>,
}

impl Journal {
    /// Opens the journal at `path`, reading what an earlier run finished (nothing with
    /// `restart`). A line cut short by a crash is ignored.
    pub fn open(path: &Path, restart: bool) -> Result<Journal, Exit> {
        let mut earlier = HashMap::new();
        if !restart {
            match File::open(path) {
                Ok(file) => {
                    for line in BufReader::new(file).lines() {
                        let line =
                            line.map_err(|e| Exit::io(format!("reading {}", path.display()), &e))?;
                        if let Ok(entry) = serde_json::from_str::<Entry>(&line) {
                            earlier.insert((entry.fingerprint.clone(), entry.occurrence), entry);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Exit::io(format!("reading {}", path.display()), &e)),
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(!restart)
            .write(true)
            .truncate(restart)
            .open(path)
            .map_err(|e| Exit::io(format!("opening {}", path.display()), &e))?;
        let mut journal = Journal {
            path: path.to_owned(),
            file,
            earlier,
        };
        // A line cut short by a crash must not swallow the next entry.
        journal.write_raw(b"\n")?;
        Ok(journal)
    }

    /// What an earlier run did with this row, if it finished it unchanged since.
    pub fn earlier(&self, row: &Row) -> Option<&Entry> {
        self.earlier
            .get(&(row.read_fingerprint.clone(), row.occurrence))
    }

    /// Records a finished row, on disk before this returns.
    pub fn record(&mut self, row: &Row, applied: Applied) -> Result<(), Exit> {
        let entry = Entry {
            fingerprint: row.read_fingerprint.clone(),
            occurrence: row.occurrence,
            applied,
        };
        let mut line = serde_json::to_vec(&entry)
            .map_err(|e| Exit::new(crate::exit::FAILED, format!("journal: {e}")))?;
        line.push(b'\n');
        self.write_raw(&line)
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), Exit> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| Exit::io(format!("writing {}", self.path.display()), &e))
    }

    /// Removes the journal: every row is done, nothing is left to resume.
    pub fn remove(self) -> Result<(), Exit> {
        drop(self.file);
        std::fs::remove_file(&self.path)
            .map_err(|e| Exit::io(format!("removing {}", self.path.display()), &e))
    }
}
