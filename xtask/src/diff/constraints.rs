//! The rules of a value that its Rust type does not (always) carry, and whether a change of them
//! admits fewer values (tighter) or more (looser): the bounds (`maxLength`, `minLength`,
//! `minimum`/`maximum` with their exclusive flags, `minItems`/`maxItems`,
//! `minProperties`/`maxProperties`), `uniqueItems`, `multipleOf`, and the rules that restrict by
//! being there (`pattern`, `format`, `enum`). Enum values of a schema that has an enum before and
//! after are compared apart (`Changes::enum_values`); here an enum only comes or goes.

use serde_json::Value;

/// Bounds that admit fewer values as they fall.
const UPPER: [&str; 4] = ["maxLength", "maximum", "maxItems", "maxProperties"];
/// Bounds that admit fewer values as they rise.
const LOWER: [&str; 4] = ["minLength", "minimum", "minItems", "minProperties"];
/// Boolean rules that admit fewer values when `true`: OpenAPI 3.0's flags that make a bound
/// exclusive, and `uniqueItems`.
const FLAGS: [&str; 3] = ["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"];
/// Rules that admit fewer values by being there; another value of one admits neither more nor
/// fewer as far as this module can tell (but see [`format_rank`]).
const PRESENCE: [&str; 3] = ["pattern", "format", "enum"];
/// A number admitted only as a multiple of this one.
const MULTIPLE: &str = "multipleOf";
/// The rules `linq-api`'s build takes into `linq_api::rules`, which ext and the fake apply.
pub(super) const EXT_APPLIES: [&str; 2] = ["maxLength", "pattern"];
/// The string formats typify gives a Rust type of their own (`uuid::Uuid`, `chrono` types,
/// `std::net` addresses); any other format stays a `String`.
pub(super) const TYPED_STRING_FORMATS: [&str; 6] =
    ["uuid", "date", "date-time", "ip", "ipv4", "ipv6"];

/// Every keyword this module compares, in the order changes are reported.
fn keywords() -> impl Iterator<Item = &'static str> {
    UPPER
        .into_iter()
        .chain(LOWER)
        .chain(FLAGS)
        .chain([MULTIPLE])
        .chain(PRESENCE)
}

/// Where a numeric format sits among the formats of its JSON type, narrowest first: a wider one
/// admits every value of a narrower one (`int32` < `int64`, `float` < `double`).
fn format_rank(format: &str) -> Option<(u8, u8)> {
    match format {
        "int32" => Some((0, 0)),
        "int64" => Some((0, 1)),
        "float" => Some((1, 0)),
        "double" => Some((1, 1)),
        _ => None,
    }
}

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
    /// Whether typify carries the change in the generated Rust type: an enum comes or goes (a
    /// Rust enum, or a newtype that refuses other values, instead of the plain type), or a string
    /// format it types ([`TYPED_STRING_FORMATS`]) comes, goes or changes.
    pub retypes: bool,
}

impl Constraints {
    /// The rules written on `node` (already unwrapped from `$ref`s).
    pub fn of(node: &Value) -> Constraints {
        Constraints(
            keywords()
                .filter_map(|k| Some((k, node.get(k)?.clone())))
                .collect(),
        )
    }

    /// `node` without its rules (nor its words: `description`, `title`, examples), to tell a
    /// schema whose Rust type changed only because a rule did (typify makes an integer with
    /// `minimum: 1` a `NonZeroU64`, a string with an `enum` a Rust enum) from one that changed
    /// its JSON type.
    pub fn without_rules(node: &Value) -> Value {
        let mut node = node.clone();
        if let Some(object) = node.as_object_mut() {
            for keyword in keywords().chain(["description", "title", "example", "examples"]) {
                object.remove(keyword);
            }
        }
        node
    }

    fn get(&self, keyword: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == keyword).map(|(_, v)| v)
    }

    /// Every rule that differs between `self` (before) and `new`. An `enum` is reported only
    /// when it comes or goes; a change of its values is `Changes::enum_values`'.
    pub fn changes(&self, new: &Constraints) -> Vec<RuleChange> {
        let mut out = Vec::new();
        for keyword in keywords() {
            let (was, is) = (self.get(keyword), new.get(keyword));
            if was == is || (keyword == "enum" && was.is_some() && is.is_some()) {
                continue;
            }
            let shown = |v: &Value| match v.as_str() {
                Some(text) => format!("`{text}`"),
                None if v.is_array() => format!("`{v}`"),
                None => v.to_string(),
            };
            let what = match (was, is) {
                (None, Some(v)) => format!("`{keyword}` {} added", shown(v)),
                (Some(v), None) => format!("`{keyword}` {} removed", shown(v)),
                (Some(a), Some(b)) => format!("`{keyword}` {} → {}", shown(a), shown(b)),
                (None, None) => continue,
            };
            let number = |v: Option<&Value>| v.and_then(Value::as_f64);
            let rank = |v: Option<&Value>| v.and_then(Value::as_str).and_then(format_rank);
            let flag = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
            let direction = if UPPER.contains(&keyword) {
                match (number(was), number(is)) {
                    (Some(a), Some(b)) if b > a => Direction::Looser,
                    (Some(_), None) => Direction::Looser,
                    _ => Direction::Tighter,
                }
            } else if LOWER.contains(&keyword) {
                match (number(was), number(is)) {
                    (Some(a), Some(b)) if b < a => Direction::Looser,
                    (Some(_), None) => Direction::Looser,
                    _ => Direction::Tighter,
                }
            } else if FLAGS.contains(&keyword) {
                match (flag(was), flag(is)) {
                    (false, true) => Direction::Tighter,
                    (true, false) => Direction::Looser,
                    // `false` written or left out: the same rule.
                    _ => continue,
                }
            } else if keyword == MULTIPLE {
                // Every multiple of `b` is a multiple of `a` when `b` is a multiple of `a`.
                let divides = |a: f64, b: f64| a > 0.0 && (b / a).fract() == 0.0;
                match (number(was), number(is)) {
                    (None, _) => Direction::Tighter,
                    (_, None) => Direction::Looser,
                    (Some(a), Some(b)) if divides(a, b) => Direction::Tighter,
                    (Some(a), Some(b)) if divides(b, a) => Direction::Looser,
                    _ => Direction::Changed,
                }
            } else {
                match (was, is, rank(was), rank(is)) {
                    (None, ..) => Direction::Tighter,
                    (_, None, ..) => Direction::Looser,
                    (_, _, Some((a, x)), Some((b, y))) if a == b && y > x => Direction::Looser,
                    (_, _, Some((a, x)), Some((b, y))) if a == b && y < x => Direction::Tighter,
                    _ => Direction::Changed,
                }
            };
            let typed = |v: Option<&Value>| {
                v.and_then(Value::as_str)
                    .is_some_and(|f| TYPED_STRING_FORMATS.contains(&f))
            };
            let retypes = match keyword {
                "enum" => true,
                // A numeric format is the Rust type's width (`i32`, `i64`, `f32`, `f64`).
                "format" => typed(was) || typed(is) || rank(was).is_some() || rank(is).is_some(),
                _ => false,
            };
            out.push(RuleChange {
                keyword,
                what,
                direction,
                retypes,
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

    #[test]
    fn object_array_number_and_presence_rules_move_both_ways() {
        assert_eq!(
            directions(json!({}), json!({"minProperties": 1, "maxProperties": 5})),
            [
                ("`maxProperties` 5 added".to_owned(), Direction::Tighter),
                ("`minProperties` 1 added".to_owned(), Direction::Tighter),
            ]
        );
        assert_eq!(
            directions(json!({"uniqueItems": true}), json!({"uniqueItems": false})),
            [("`uniqueItems` true → false".to_owned(), Direction::Looser)]
        );
        // `false` written or left out is the same rule.
        assert_eq!(directions(json!({"uniqueItems": false}), json!({})), []);
        assert_eq!(
            directions(json!({"multipleOf": 2}), json!({"multipleOf": 4})),
            [("`multipleOf` 2 → 4".to_owned(), Direction::Tighter)]
        );
        assert_eq!(
            directions(json!({"multipleOf": 4}), json!({"multipleOf": 2})),
            [("`multipleOf` 4 → 2".to_owned(), Direction::Looser)]
        );
        assert_eq!(
            directions(json!({"multipleOf": 2}), json!({"multipleOf": 3})),
            [("`multipleOf` 2 → 3".to_owned(), Direction::Changed)]
        );
        assert_eq!(
            directions(json!({"format": "int32"}), json!({"format": "int64"})),
            [("`format` `int32` → `int64`".to_owned(), Direction::Looser)]
        );
        assert_eq!(
            directions(json!({"format": "email"}), json!({"format": "uri"})),
            [("`format` `email` → `uri`".to_owned(), Direction::Changed)]
        );
        assert_eq!(
            directions(json!({}), json!({"enum": [2]})),
            [("`enum` `[2]` added".to_owned(), Direction::Tighter)]
        );
        // Values of an enum there before and after are `Changes::enum_values`' to compare.
        assert_eq!(
            directions(json!({"enum": [1]}), json!({"enum": [1, 2]})),
            []
        );
    }

    #[test]
    fn an_enum_or_a_typed_format_retypes_in_rust_other_rules_do_not() {
        let retypes = |old: Value, new: Value| -> Vec<bool> {
            Constraints::of(&old)
                .changes(&Constraints::of(&new))
                .into_iter()
                .map(|c| c.retypes)
                .collect()
        };
        assert_eq!(retypes(json!({}), json!({"enum": ["a"]})), [true]);
        assert_eq!(retypes(json!({}), json!({"format": "date-time"})), [true]);
        assert_eq!(
            retypes(json!({"format": "int64"}), json!({"format": "int32"})),
            [true]
        );
        assert_eq!(retypes(json!({}), json!({"format": "email"})), [false]);
        assert_eq!(
            retypes(json!({}), json!({"minProperties": 1, "uniqueItems": true})),
            [false, false]
        );
    }
}
