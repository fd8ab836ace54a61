//! The rules of a value that its Rust type does not carry (`maxLength`, `minLength`, `pattern`,
//! `minimum`/`maximum`, `minItems`/`maxItems`), and whether a change of them admits fewer values
//! (tighter) or more (looser). Enum values are compared apart (`Changes::enum_values`).

use serde_json::Value;

/// Bounds that admit fewer values as they fall.
const UPPER: [&str; 3] = ["maxLength", "maximum", "maxItems"];
/// Bounds that admit fewer values as they rise.
const LOWER: [&str; 3] = ["minLength", "minimum", "minItems"];
/// OpenAPI 3.0's boolean flags that make a bound exclusive.
const FLAGS: [&str; 2] = ["exclusiveMinimum", "exclusiveMaximum"];
/// The rules `linq-api`'s build takes into `linq_api::rules`, which ext and the fake apply.
pub(super) const EXT_APPLIES: [&str; 2] = ["maxLength", "pattern"];

/// How a change of one rule moves the set of values it admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// Fewer values: some that were valid are not any more.
    Tighter,
    /// More values: every value that was valid still is.
    Looser,
    /// Another pattern: neither set is known to hold the other.
    Changed,
}

/// The rules of one schema node, in a fixed order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Constraints(Vec<(&'static str, Value)>);

/// One rule that changed: its keyword, how it reads, and its direction.
pub(super) struct RuleChange {
    pub keyword: &'static str,
    pub what: String,
    pub direction: Direction,
}

impl Constraints {
    /// The rules written on `node` (already unwrapped from `$ref`s).
    pub fn of(node: &Value) -> Constraints {
        let keywords = UPPER
            .iter()
            .chain(&LOWER)
            .chain(&FLAGS)
            .chain(["pattern"].iter());
        Constraints(
            keywords
                .filter_map(|k| Some((*k, node.get(*k)?.clone())))
                .collect(),
        )
    }

    /// `node` without its rules (nor its words: `description`, `title`, examples), to tell a
    /// schema whose Rust type changed only because a rule did (typify makes an integer with
    /// `minimum: 1` a `NonZeroU64`) from one that changed its JSON type.
    pub fn without_rules(node: &Value) -> Value {
        let mut node = node.clone();
        if let Some(object) = node.as_object_mut() {
            for keyword in UPPER.iter().chain(&LOWER).chain(&FLAGS).chain(&[
                "pattern",
                "description",
                "title",
                "example",
                "examples",
            ]) {
                object.remove(*keyword);
            }
        }
        node
    }

    fn get(&self, keyword: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == keyword).map(|(_, v)| v)
    }

    /// Every rule that differs between `self` (before) and `new`.
    pub fn changes(&self, new: &Constraints) -> Vec<RuleChange> {
        let mut out = Vec::new();
        let keywords = UPPER
            .iter()
            .chain(&LOWER)
            .chain(&FLAGS)
            .chain(["pattern"].iter());
        for keyword in keywords {
            let (was, is) = (self.get(keyword), new.get(keyword));
            if was == is {
                continue;
            }
            let shown = |v: &Value| match v.as_str() {
                Some(text) => format!("`{text}`"),
                None => v.to_string(),
            };
            let what = match (was, is) {
                (None, Some(v)) => format!("`{keyword}` {} added", shown(v)),
                (Some(v), None) => format!("`{keyword}` {} removed", shown(v)),
                (Some(a), Some(b)) => format!("`{keyword}` {} → {}", shown(a), shown(b)),
                (None, None) => continue,
            };
            let number = |v: Option<&Value>| v.and_then(Value::as_f64);
            let flag = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
            let direction = if UPPER.contains(keyword) {
                match (number(was), number(is)) {
                    (Some(a), Some(b)) if b > a => Direction::Looser,
                    (Some(_), None) => Direction::Looser,
                    _ => Direction::Tighter,
                }
            } else if LOWER.contains(keyword) {
                match (number(was), number(is)) {
                    (Some(a), Some(b)) if b < a => Direction::Looser,
                    (Some(_), None) => Direction::Looser,
                    _ => Direction::Tighter,
                }
            } else if FLAGS.contains(keyword) {
                if flag(is) {
                    Direction::Tighter
                } else {
                    Direction::Looser
                }
            } else {
                match (was, is) {
                    (None, _) => Direction::Tighter,
                    (_, None) => Direction::Looser,
                    _ => Direction::Changed,
                }
            };
            out.push(RuleChange {
                keyword,
                what,
                direction,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn directions(old: Value, new: Value) -> Vec<(String, Direction)> {
        Constraints::of(&old)
            .changes(&Constraints::of(&new))
            .into_iter()
            .map(|c| (c.what, c.direction))
            .collect()
    }

    #[test]
    fn bounds_move_both_ways() {
        assert_eq!(
            directions(json!({"maxLength": 255}), json!({"maxLength": 100})),
            [("`maxLength` 255 → 100".to_owned(), Direction::Tighter)]
        );
        assert_eq!(
            directions(json!({"minimum": 1}), json!({})),
            [("`minimum` 1 removed".to_owned(), Direction::Looser)]
        );
        assert_eq!(
            directions(json!({}), json!({"minLength": 1, "exclusiveMaximum": true})),
            [
                ("`minLength` 1 added".to_owned(), Direction::Tighter),
                (
                    "`exclusiveMaximum` true added".to_owned(),
                    Direction::Tighter
                )
            ]
        );
        assert_eq!(
            directions(json!({"pattern": "^a$"}), json!({"pattern": "^a+$"})),
            [("`pattern` `^a$` → `^a+$`".to_owned(), Direction::Changed)]
        );
        assert_eq!(directions(json!({"maximum": 3}), json!({"maximum": 3})), []);
    }
}
