//! The header mapped onto the fields: `--map` (and the mapping file) first, then this tool's
//! columns and the aliases of the common exports (`columns::ALIASES`), compared
//! case-, space- and punctuation-insensitively. Several columns of one field are candidates,
//! taken first non-empty first; columns nothing names are counted, never dropped in silence.

use std::{collections::HashMap, path::Path};

use serde::Serialize;

use crate::{
    columns::{lookup, normalize, Field, HONORIFIC_TITLE},
    exit::{Exit, REFUSED},
};

/// How many unknown columns a message lists by name.
const LISTED: usize = 20;

/// What a column of the file is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// A candidate for the field; lower ranks are taken first.
    Field(Field, usize),
    /// A column import knows and ignores: a read-only column, an export's id or date, or one
    /// `--map` ignores.
    Known,
    /// Outlook's `Title` beside a `Job Title`: an honorific.
    Honorific,
    /// Nothing names it: counted, and refused unless ignored.
    Unknown,
    /// It has no name (Excel's trailing empty columns): counted, never refused, listed in the
    /// summary when it holds anything.
    Unnamed,
}

/// The header, mapped.
#[derive(Debug)]
pub struct Mapping {
    header: Vec<String>,
    uses: Vec<Use>,
    /// The columns of each field, in the order they are tried.
    candidates: [Vec<usize>; Field::ALL.len()],
}

/// A header refused before anything is sent.
#[derive(Debug)]
pub struct Refused(String);

impl Refused {
    pub fn exit(self, file: &Path) -> Exit {
        Exit::new(REFUSED, format!("{}: {}", file.display(), self.0))
    }
}

/// Parses `Source Column=field` (a `--map` value, or a line of a mapping file): the field is
/// a column of this tool (`email`, `phone_number`, …) or `ignore`.
pub fn parse_map(text: &str) -> Result<(String, Option<Field>), String> {
    let (column, field) = text
        .rsplit_once('=')
        .ok_or("must be `Source Column=field`, such as `Work E-mail=email`")?;
    let column = column.trim();
    if column.is_empty() {
        return Err("names no source column (`Source Column=field`)".to_owned());
    }
    let field = field.trim();
    if field.eq_ignore_ascii_case("ignore") || field == "-" {
        return Ok((column.to_owned(), None));
    }
    let found = Field::ALL
        .into_iter()
        .find(|f| normalize(f.name()) == normalize(field));
    match found {
        Some(f) => Ok((column.to_owned(), Some(f))),
        None => Err(format!(
            "`{field}` is not a field: use one of {} or `ignore`",
            Field::ALL.map(Field::name).join(", ")
        )),
    }
}

/// Reads a mapping file: one `Source Column=field` a line; blank lines and lines starting
/// with `#` are skipped.
pub fn read_mapping_file(path: &Path) -> Result<Vec<(String, Option<Field>)>, Exit> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Exit::io(format!("reading {}", path.display()), &e))?;
    let mut maps = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        maps.push(parse_map(line).map_err(|why| {
            Exit::new(REFUSED, format!("{} line {}: {why}", path.display(), i + 1))
        })?);
    }
    Ok(maps)
}

impl Mapping {
    /// Maps `header`: `maps` first (in their order), then the columns and aliases. Refuses a
    /// `--map` of a column the header does not have, a name that appears twice, and a header
    /// that names no field.
    pub fn new(header: &[String], maps: &[(String, Option<Field>)]) -> Result<Mapping, Refused> {
        let mut uses = Vec::with_capacity(header.len());
        let mut names: HashMap<String, &str> = HashMap::new();
        for name in header {
            let normal = normalize(name);
            if !normal.is_empty() {
                if let Some(first) = names.insert(normal.clone(), name) {
                    return Err(Refused(format!(
                        "column `{name}` appears twice (or as `{first}`): keep one, or rename one"
                    )));
                }
            }
            let mapped = maps
                .iter()
                .position(|(column, _)| normalize(column) == normal);
            uses.push(match (mapped, lookup(name)) {
                (Some(i), _) => maps[i].1.map_or(Use::Known, |f| Use::Field(f, i)),
                (None, Some((Some(field), rank))) => Use::Field(field, maps.len() + rank),
                (None, Some((None, _))) => Use::Known,
                (None, None) if normal.is_empty() => Use::Unnamed,
                (None, None) => Use::Unknown,
            });
        }
        for (column, _) in maps {
            if !names.contains_key(&normalize(column)) {
                return Err(Refused(format!(
                    "the mapping names column `{column}`, which the header does not have"
                )));
            }
        }
        // Outlook: `Title` is the honorific when another column holds the job title.
        let job_title = |i: usize, u: &Use| {
            matches!(u, Use::Field(Field::Title, _)) && normalize(&header[i]) != HONORIFIC_TITLE
        };
        if uses.iter().enumerate().any(|(i, u)| job_title(i, u)) {
            for (i, u) in uses.iter_mut().enumerate() {
                let by_alias = !maps.iter().any(|(c, _)| normalize(c) == HONORIFIC_TITLE);
                if normalize(&header[i]) == HONORIFIC_TITLE && by_alias {
                    *u = Use::Honorific;
                }
            }
        }
        let mut candidates: [Vec<usize>; Field::ALL.len()] = Default::default();
        for (i, u) in uses.iter().enumerate() {
            if let Use::Field(field, _) = u {
                candidates[field.index()].push(i);
            }
        }
        for columns in &mut candidates {
            columns.sort_by_key(|&i| match uses[i] {
                Use::Field(_, rank) => rank,
                _ => usize::MAX,
            });
        }
        if candidates.iter().all(Vec::is_empty) {
            return Err(Refused(format!(
                "no column to import: the header names none of {} nor a column of the exports \
                 this tool knows (see `linq-contacts import --help`); name them with --map \
                 'Source Column=field'",
                Field::ALL.map(Field::name).join(", ")
            )));
        }
        Ok(Mapping {
            header: header.to_vec(),
            uses,
            candidates,
        })
    }

    /// Whether a column nothing names is in the header.
    pub fn has_unknown(&self) -> bool {
        self.uses.contains(&Use::Unknown)
    }

    /// The value of `field` in `record`: its first non-empty column's, and whether another of
    /// its columns holds another value.
    pub fn value<'r>(&self, field: Field, record: &'r [String]) -> (Option<&'r str>, bool) {
        let mut values = self.candidates[field.index()]
            .iter()
            .filter_map(|&i| record.get(i).map(|v| v.trim()))
            .filter(|v| !v.is_empty());
        let first = values.next();
        let others = first.is_some_and(|first| values.any(|v| !v.eq_ignore_ascii_case(first)));
        (first, others)
    }

    /// The name of the column `field` was taken from in `record`.
    pub fn column_taken(&self, field: Field, record: &[String]) -> String {
        self.candidates[field.index()]
            .iter()
            .find(|&&i| record.get(i).is_some_and(|v| !v.trim().is_empty()))
            .map_or(String::new(), |&i| format!("`{}`", self.header[i]))
    }

    /// What the mapping does beyond the obvious, one line each: fields with several columns,
    /// an honorific `Title`.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for field in Field::ALL {
            let columns = &self.candidates[field.index()];
            if columns.len() > 1 {
                notes.push(format!(
                    "`{}` is the first non-empty of {}",
                    field.name(),
                    columns
                        .iter()
                        .map(|&i| format!("`{}`", self.header[i]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        for (i, u) in self.uses.iter().enumerate() {
            if *u == Use::Honorific {
                notes.push(format!(
                    "`{}` is read as an honorific (Mr., Dr.: Outlook's), not the job title, and \
                     is not imported",
                    self.header[i]
                ));
            }
        }
        notes
    }

    /// The refusal of a header with unknown columns, each with how many values it holds.
    pub fn refuse_unknown(&self, file: &Path, stats: &Stats) -> Exit {
        let listed = stats.listed(self, LISTED);
        Exit::new(
            REFUSED,
            format!(
                "{}: unknown column(s) {listed}; name them with --map 'Source Column=field' \
                 (or a --mapping file), or pass --ignore-unknown-columns to leave them out \
                 (the summary then lists what they held)",
                file.display()
            ),
        )
    }

    fn column_label(&self, i: usize) -> String {
        match self.header[i].trim() {
            "" => format!("column {} (no name)", i + 1),
            name => format!("`{name}`"),
        }
    }
}

/// What the rows hold in the columns that are not imported, and how often a field had
/// several values.
#[derive(Debug)]
pub struct Stats {
    /// For each unknown column: its index, how many values it holds, how many look like an
    /// email address, how many like a phone number.
    unknown: Vec<(usize, u64, u64, u64)>,
    /// For each field: the rows where another of its columns held another value.
    pub alternates: [u64; Field::ALL.len()],
}

/// A column that was not imported, as the report lists it.
#[derive(Debug, Serialize)]
pub struct IgnoredColumn {
    pub column: String,
    pub values: u64,
}

impl Stats {
    pub fn new(mapping: &Mapping) -> Stats {
        Stats {
            unknown: (0..mapping.uses.len())
                .filter(|&i| matches!(mapping.uses[i], Use::Unknown | Use::Unnamed))
                .map(|i| (i, 0, 0, 0))
                .collect(),
            alternates: [0; Field::ALL.len()],
        }
    }

    pub fn count(&mut self, record: &[String]) {
        for (i, values, emails, phones) in &mut self.unknown {
            let Some(value) = record.get(*i).map(|v| v.trim()) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            *values += 1;
            *emails += u64::from(looks_like_email(value));
            *phones += u64::from(looks_like_phone(value));
        }
    }

    /// The columns not imported (unknown or unnamed) that hold values, for the report.
    pub fn ignored(&self, mapping: &Mapping) -> Vec<IgnoredColumn> {
        self.unknown
            .iter()
            .filter(|u| u.1 > 0)
            .map(|&(i, values, ..)| IgnoredColumn {
                column: mapping.column_label(i),
                values,
            })
            .collect()
    }

    /// The unknown columns, with what they hold and the `--map` that would take a column of
    /// email addresses or phone numbers (at most `most`, then a count).
    pub fn listed(&self, mapping: &Mapping, most: usize) -> String {
        let mut listed: Vec<String> = self
            .unknown
            .iter()
            .filter(|u| u.1 > 0 || mapping.uses[u.0] == Use::Unknown)
            .take(most)
            .map(|&(i, values, emails, phones)| {
                let label = mapping.column_label(i);
                let name = mapping.header[i].trim();
                let hint = match () {
                    _ if values == 0 => String::new(),
                    _ if emails * 2 > values => {
                        format!(", mostly email addresses: --map '{name}=email'")
                    }
                    _ if phones * 2 > values => {
                        format!(", mostly phone numbers: --map '{name}=phone_number'")
                    }
                    _ => String::new(),
                };
                format!("{label} ({values} non-empty{hint})")
            })
            .collect();
        if self.unknown.len() > most {
            listed.push(format!("and {} more", self.unknown.len() - most));
        }
        listed.join(", ")
    }
}

fn looks_like_email(value: &str) -> bool {
    value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace)
    })
}

fn looks_like_phone(value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-./".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn candidates_are_taken_first_non_empty_in_the_table_s_order() {
        let h = header(&[
            "Business Phone",
            "E-mail 2 Address",
            "Mobile Phone",
            "E-mail Address",
        ]);
        let m = Mapping::new(&h, &[]).unwrap();
        let record = header(&["030 1", "b@x.org", "", "a@x.org"]);
        assert_eq!(m.value(Field::Email, &record), (Some("a@x.org"), true));
        assert_eq!(m.value(Field::PhoneNumber, &record), (Some("030 1"), false));
        assert!(m.notes().iter().any(|n| n.contains(
            "`phone_number` is the first non-empty of `Mobile Phone`, `Business Phone`"
        )));
    }

    #[test]
    fn outlook_s_title_is_an_honorific_beside_a_job_title() {
        let m = Mapping::new(&header(&["Title", "Job Title", "E-mail Address"]), &[]).unwrap();
        assert_eq!(
            m.value(Field::Title, &header(&["Dr.", "CTO", "a@x.org"])).0,
            Some("CTO")
        );
        // Alone (Salesforce, this tool's own export), `Title` is the job title.
        let m = Mapping::new(&header(&["Title", "Email"]), &[]).unwrap();
        assert_eq!(
            m.value(Field::Title, &header(&["CTO", "a@x.org"])).0,
            Some("CTO")
        );
    }

    #[test]
    fn maps_come_first_and_must_name_a_column() {
        let maps = [
            parse_map("Work Mail = email").unwrap(),
            parse_map("Email=ignore").unwrap(),
        ];
        let m = Mapping::new(&header(&["Email", "work_mail"]), &maps).unwrap();
        assert_eq!(
            m.value(Field::Email, &header(&["a@x.org", "w@x.org"])),
            (Some("w@x.org"), false)
        );
        assert!(Mapping::new(&header(&["Email"]), &maps).is_err());
        assert!(parse_map("Work Mail=e-mail address").is_err());
        assert!(parse_map("no equals sign").is_err());
    }

    #[test]
    fn unknown_columns_are_counted_and_guessed() {
        let m = Mapping::new(&header(&["Email", "Work Mail", "", ""]), &[]).unwrap();
        assert!(m.has_unknown());
        let mut stats = Stats::new(&m);
        stats.count(&header(&["a@x.org", "w@x.org", "", ""]));
        stats.count(&header(&["b@x.org", "", "x", ""]));
        let listed = stats.listed(&m, 20);
        assert!(
            listed.contains(
                "`Work Mail` (1 non-empty, mostly email addresses: --map 'Work Mail=email')"
            ),
            "{listed}"
        );
        assert!(
            listed.contains("column 3 (no name) (1 non-empty)"),
            "{listed}"
        );
        assert!(
            !listed.contains("column 4"),
            "an empty column without a name: {listed}"
        );
        assert!(!listed.contains("w@x.org"), "{listed}");
        // Unnamed columns alone are no reason to refuse the file.
        assert!(!Mapping::new(&header(&["Email", ""]), &[])
            .unwrap()
            .has_unknown());
    }
}
