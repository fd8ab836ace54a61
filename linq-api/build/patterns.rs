//! Compiles the spec's `pattern`s, ECMA-262 regular expressions, into DFA tables at build time.
//!
//! Validation runs before every create and update, so matching must cost next to nothing: a
//! backtracking ECMA-262 engine at run time (`regress`) cost about 1.4 k instructions per value.
//! Here each pattern is
//!
//! 1. parsed with `regex-syntax` and *translated* into its syntax with ECMA-262's meaning:
//!    `\s`, `\d`, `\w` and `.` become explicit classes with ECMA-262's members (they differ
//!    from regex's Unicode ones), and every construct the two dialects read differently, or
//!    that this translation does not know, is refused with an error naming it;
//! 2. compiled by `regex-automata`'s lazy DFA, whose states are then all visited to write
//!    the complete DFA out as a table (`src/rules.rs` walks it: one lookup per byte).
//!
//! Both crates are already compiled for the build (progenitor uses `regex`), with these
//! features, so this costs a service's build nothing extra. The tests of `src/rules.rs` check
//! every table against `regress` on many values.

use std::collections::HashMap;

use regex_automata::{
    hybrid::{dfa::DFA, LazyStateID},
    util::start,
    Anchored, MatchKind,
};
use regex_syntax::ast::{self, Ast};

/// ECMA-262's `\s`: WhiteSpace (TAB, VT, FF, ZWNBSP and the Unicode `Zs` characters) and
/// LineTerminator (LF, CR, LS, PS).
const ECMA_SPACE: &str = r"\x{9}-\x{D}\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
/// ECMA-262's `\d` without the `u` flag.
const ECMA_DIGIT: &str = r"0-9";
/// ECMA-262's `\w` without the `u` and `i` flags.
const ECMA_WORD: &str = r"0-9A-Za-z_";
/// ECMA-262's `.` without the `s` flag: anything but a LineTerminator.
const ECMA_DOT: &str = r"[^\x{A}\x{D}\x{2028}\x{2029}]";

/// The most states a table can have: state ids are bytes.
const MAX_STATES: usize = 256;

/// A pattern as a complete DFA over UTF-8 bytes, for `src/rules.rs`.
pub struct Table {
    /// `classes[byte]`: the column of `byte`.
    pub classes: Vec<u8>,
    /// Columns per state.
    pub stride: usize,
    /// `next[state * stride + class]`: the state after a byte. State 0 is the dead state.
    pub next: Vec<u8>,
    /// Per state: bit 0, entering it means a match was found; bit 1, a value ending in it
    /// matches.
    pub flags: Vec<u8>,
    /// The state before the first byte.
    pub start: u8,
}

/// Bit of [`Table::flags`]: a match ended just before the byte that led here.
pub const MATCHED: u8 = 1;
/// Bit of [`Table::flags`]: a value that ends here matches.
pub const MATCHES_AT_END: u8 = 2;

/// Compiles an ECMA-262 `pattern`, matched anywhere in the value as JSON Schema says.
pub fn compile(pattern: &str) -> Result<Table, String> {
    let translated = translate(pattern)?;
    let dfa = DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .cache_capacity(64 << 20),
        )
        .build(&translated)
        .map_err(|e| format!("regex-automata cannot compile it ({translated}): {e}"))?;
    materialize(&dfa)
}

/// Visits every state of the lazy DFA from the unanchored start and writes the table.
fn materialize(dfa: &DFA) -> Result<Table, String> {
    let mut cache = dfa.create_cache();
    let gave_up = |e: &dyn std::fmt::Display| format!("the lazy DFA gave up: {e}");
    let quits = || "its DFA would need to give up on some input".to_owned();
    let too_many = |_| {
        format!(
            "its DFA has more than {MAX_STATES} states; simplify the pattern or widen the \
             table's state ids in linq-api/build/patterns.rs"
        )
    };
    // One column per byte class, each with a representative byte (the end of the value is
    // not a column: the flags say what it does).
    let byte_classes = dfa.byte_classes();
    let classes: Vec<u8> = (0..=255u8).map(|b| byte_classes.get(b)).collect();
    let stride = byte_classes.alphabet_len() - 1;
    let mut representatives = vec![0u8; stride];
    // A bounded range yields one byte per class and leaves the end-of-input unit out.
    for byte in byte_classes
        .representatives(0..=255)
        .filter_map(|unit| unit.as_u8())
    {
        if let Some(column) = representatives.get_mut(usize::from(byte_classes.get(byte))) {
            *column = byte;
        }
    }

    // Breadth first from the start; state 0 is dead: it leads nowhere and never matches.
    let start_id = dfa
        .start_state(&mut cache, &start::Config::new().anchored(Anchored::No))
        .map_err(|e| gave_up(&e))?;
    let mut order: Vec<LazyStateID> = vec![LazyStateID::default()];
    let mut ids: HashMap<LazyStateID, u8> = HashMap::new();
    let mut index_of = |id: LazyStateID, order: &mut Vec<LazyStateID>| -> Result<u8, String> {
        if id.is_quit() {
            return Err(quits());
        }
        if id.is_dead() {
            return Ok(0);
        }
        if let Some(&index) = ids.get(&id) {
            return Ok(index);
        }
        let index = u8::try_from(order.len()).map_err(too_many)?;
        order.push(id);
        ids.insert(id, index);
        Ok(index)
    };
    let start = index_of(start_id, &mut order)?;
    let mut next = vec![0u8; stride];
    let mut flags = vec![0u8];
    let mut visiting = 1;
    while let Some(&id) = order.get(visiting) {
        let at_end = dfa
            .next_eoi_state(&mut cache, id)
            .map_err(|e| gave_up(&e))?;
        if at_end.is_quit() {
            return Err(quits());
        }
        let mut flag = 0;
        if id.is_match() {
            flag |= MATCHED;
        }
        if at_end.is_match() {
            flag |= MATCHES_AT_END;
        }
        flags.push(flag);
        for &byte in &representatives {
            let to = dfa
                .next_state(&mut cache, id, byte)
                .map_err(|e| gave_up(&e))?;
            next.push(index_of(to, &mut order)?);
        }
        visiting += 1;
    }
    if cache.clear_count() != 0 {
        return Err("the lazy DFA's cache was cleared while its states were read".to_owned());
    }
    Ok(Table {
        classes,
        stride,
        next,
        flags,
        start,
    })
}

/// Rewrites an ECMA-262 pattern (without flags) in regex-syntax's dialect, with the same
/// meaning, or says which construct it cannot carry over.
pub fn translate(pattern: &str) -> Result<String, String> {
    let parsed = ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| format!("regex-syntax cannot read it: {}", e.kind()))?;
    let mut out = String::new();
    emit(&parsed, pattern, &mut out)?;
    Ok(out)
}

fn refuse(what: &str, span: &ast::Span, pattern: &str) -> String {
    let text = pattern
        .get(span.start.offset..span.end.offset)
        .unwrap_or("");
    format!(
        "{what} (`{text}` at offset {}) is not carried over from ECMA-262; \
         see linq-api/build/patterns.rs for what is",
        span.start.offset
    )
}

fn emit(node: &Ast, pattern: &str, out: &mut String) -> Result<(), String> {
    match node {
        Ast::Empty(_) => {}
        Ast::Literal(literal) => out.push_str(&literal_code(literal, pattern)?),
        Ast::Dot(_) => out.push_str(ECMA_DOT),
        Ast::Assertion(assertion) => match assertion.kind {
            // Without the `m` flag both dialects mean the start and the end of the value.
            ast::AssertionKind::StartLine => out.push('^'),
            ast::AssertionKind::EndLine => out.push('$'),
            _ => return Err(refuse("this assertion", &assertion.span, pattern)),
        },
        Ast::ClassPerl(class) => out.push_str(&perl_class(class)),
        Ast::ClassBracketed(class) => bracketed(class, pattern, out)?,
        Ast::Repetition(repetition) => {
            let op = &repetition.op;
            let text = pattern
                .get(op.span.start.offset..op.span.end.offset)
                .unwrap_or("");
            // ECMA-262 reads `{,3}` and `{ 3}` as literal text.
            if text.starts_with("{,") || text.contains(char::is_whitespace) {
                return Err(refuse("this repetition", &op.span, pattern));
            }
            out.push_str("(?:");
            emit(&repetition.ast, pattern, out)?;
            out.push(')');
            match &op.kind {
                ast::RepetitionKind::ZeroOrOne => out.push('?'),
                ast::RepetitionKind::ZeroOrMore => out.push('*'),
                ast::RepetitionKind::OneOrMore => out.push('+'),
                ast::RepetitionKind::Range(ast::RepetitionRange::Exactly(n)) => {
                    out.push_str(&format!("{{{n}}}"))
                }
                ast::RepetitionKind::Range(ast::RepetitionRange::AtLeast(n)) => {
                    out.push_str(&format!("{{{n},}}"))
                }
                ast::RepetitionKind::Range(ast::RepetitionRange::Bounded(m, n)) => {
                    out.push_str(&format!("{{{m},{n}}}"))
                }
            }
        }
        Ast::Group(group) => {
            match &group.kind {
                ast::GroupKind::CaptureIndex(_) => {}
                ast::GroupKind::CaptureName {
                    starts_with_p: false,
                    ..
                } => {}
                ast::GroupKind::NonCapturing(flags) if flags.items.is_empty() => {}
                _ => return Err(refuse("this kind of group", &group.span, pattern)),
            }
            out.push_str("(?:");
            emit(&group.ast, pattern, out)?;
            out.push(')');
        }
        Ast::Alternation(alternation) => {
            for (i, branch) in alternation.asts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                out.push_str("(?:");
                emit(branch, pattern, out)?;
                out.push(')');
            }
        }
        Ast::Concat(concat) => {
            for item in &concat.asts {
                emit(item, pattern, out)?;
            }
        }
        Ast::Flags(flags) => return Err(refuse("an inline flag", &flags.span, pattern)),
        Ast::ClassUnicode(class) => {
            return Err(refuse("a Unicode property class", &class.span, pattern))
        }
    }
    Ok(())
}

/// A literal whose meaning is the same in both dialects, written as `\x{…}`.
fn literal_code(literal: &ast::Literal, pattern: &str) -> Result<String, String> {
    use ast::{HexLiteralKind as Hex, LiteralKind as Kind, SpecialLiteralKind as Special};
    match &literal.kind {
        Kind::Verbatim | Kind::Meta | Kind::Superfluous => {}
        Kind::HexFixed(Hex::X | Hex::UnicodeShort) => {}
        Kind::Special(
            Special::Tab
            | Special::LineFeed
            | Special::CarriageReturn
            | Special::FormFeed
            | Special::VerticalTab,
        ) => {}
        // `\a`, `\U0001F600`, `\x{7F}`, octal: ECMA-262 reads these otherwise.
        _ => return Err(refuse("this escape", &literal.span, pattern)),
    }
    // Without the `u` flag ECMA-262 reads a pattern by UTF-16 code units, so a quantifier
    // after a character beyond U+FFFF would apply to half of it.
    if u32::from(literal.c) > 0xFFFF {
        return Err(refuse("a character beyond U+FFFF", &literal.span, pattern));
    }
    Ok(format!("\\x{{{:X}}}", u32::from(literal.c)))
}

fn perl_class(class: &ast::ClassPerl) -> String {
    let members = match class.kind {
        ast::ClassPerlKind::Digit => ECMA_DIGIT,
        ast::ClassPerlKind::Space => ECMA_SPACE,
        ast::ClassPerlKind::Word => ECMA_WORD,
    };
    let negation = if class.negated { "^" } else { "" };
    format!("[{negation}{members}]")
}

fn bracketed(class: &ast::ClassBracketed, pattern: &str, out: &mut String) -> Result<(), String> {
    let text = pattern
        .get(class.span.start.offset..class.span.end.offset)
        .unwrap_or("");
    // ECMA-262's `[]` matches nothing and `[^]` anything; regex-syntax reads a `]` there as
    // a member.
    if text.starts_with("[]") || text.starts_with("[^]") {
        return Err(refuse("an empty class", &class.span, pattern));
    }
    out.push('[');
    if class.negated {
        out.push('^');
    }
    match &class.kind {
        ast::ClassSet::Item(item) => class_item(item, pattern, out)?,
        // `&&`, `--`, `~~` are literal characters in ECMA-262.
        ast::ClassSet::BinaryOp(op) => return Err(refuse("a class operation", &op.span, pattern)),
    }
    out.push(']');
    Ok(())
}

fn class_item(item: &ast::ClassSetItem, pattern: &str, out: &mut String) -> Result<(), String> {
    match item {
        ast::ClassSetItem::Empty(_) => {}
        ast::ClassSetItem::Literal(literal) => out.push_str(&literal_code(literal, pattern)?),
        ast::ClassSetItem::Range(range) => {
            out.push_str(&literal_code(&range.start, pattern)?);
            out.push('-');
            out.push_str(&literal_code(&range.end, pattern)?);
        }
        // A nested class is a union in regex-syntax.
        ast::ClassSetItem::Perl(class) => out.push_str(&perl_class(class)),
        ast::ClassSetItem::Union(union) => {
            for item in &union.items {
                class_item(item, pattern, out)?;
            }
        }
        ast::ClassSetItem::Ascii(class) => {
            return Err(refuse("a POSIX class", &class.span, pattern))
        }
        ast::ClassSetItem::Unicode(class) => {
            return Err(refuse("a Unicode property class", &class.span, pattern))
        }
        ast::ClassSetItem::Bracketed(class) => {
            return Err(refuse("a nested class", &class.span, pattern))
        }
    }
    Ok(())
}
