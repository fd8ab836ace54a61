//! What the workspace depends on: no deprecated, archived or unsound crate in `Cargo.lock`.

const LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"));

/// Crates that must never come back, with the reason.
const REFUSED: [(&str, &str); 2] = [
    ("serde_yaml", "deprecated and archived upstream"),
    ("serde_yml", "unsound"),
];

#[test]
fn no_deprecated_or_unsound_crate_is_locked() {
    let locked: Vec<&str> = LOCK
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .collect();
    assert!(locked.contains(&"progenitor"), "Cargo.lock was not read");
    for (name, why) in REFUSED {
        assert!(!locked.contains(&name), "`{name}` is in Cargo.lock: {why}");
    }
}
