//! A reader for Erlang term files (`file:consult/1` format), enough for Hex's
//! `metadata.config` and the `hex_metadata.config` Hex writes into `deps/`.
//!
//! Only data is read: tuples, lists, maps, binaries, strings, atoms and
//! numbers. Errors carry `line:column`.

use anyhow::Result;

use crate::terms::cursor::Cursor;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Term {
    Atom(String),
    Binary(Vec<u8>),
    /// A `"..."` charlist.
    String(String),
    Integer(i128),
    Float(f64),
    Tuple(Vec<Term>),
    List(Vec<Term>),
    Map(Vec<(Term, Term)>),
}

impl Term {
    /// The text of a binary or charlist, if it is UTF-8.
    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Term::Binary(b) => std::str::from_utf8(b).ok(),
            Term::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses every `Term.` in a file.
pub(crate) fn parse_consult(text: &str) -> Result<Vec<Term>> {
    let mut p = Parser {
        cur: Cursor::new(text, b'%'),
    };
    let mut terms = Vec::new();
    loop {
        p.skip_ws();
        if p.peek().is_none() {
            return Ok(terms);
        }
        terms.push(p.term(0)?);
        p.skip_ws();
        p.expect(b'.')?;
    }
}

/// Looks up `{<<"key">>, Value}` (or `{key, Value}`) among top-level terms.
pub(crate) fn lookup<'t>(terms: &'t [Term], key: &str) -> Option<&'t Term> {
    terms.iter().find_map(|t| match t {
        Term::Tuple(items) if items.len() == 2 => {
            let matches = match &items[0] {
                Term::Atom(a) => a == key,
                other => other.as_text() == Some(key),
            };
            matches.then_some(&items[1])
        }
        _ => None,
    })
}

struct Parser<'a> {
    cur: Cursor<'a>,
}

crate::terms::cursor::reads_through_cursor!(Parser);

impl Parser<'_> {
    fn term(&mut self, depth: usize) -> Result<Term> {
        if depth > crate::terms::cursor::MAX_DEPTH {
            return self.fail("terms nested too deeply");
        }
        self.skip_ws();
        match self.peek() {
            None => self.fail("expected a term, found end of file"),
            Some(b'{') => {
                self.bump();
                Ok(Term::Tuple(self.sequence(b'}', depth)?))
            }
            Some(b'[') => {
                self.bump();
                Ok(Term::List(self.sequence(b']', depth)?))
            }
            Some(b'#') => {
                self.bump();
                self.expect(b'{')?;
                self.map(depth)
            }
            Some(b'<') => self.binary(),
            Some(b'"') => Ok(Term::String(self.quoted(b'"')?)),
            Some(b'\'') => Ok(Term::Atom(self.quoted(b'\'')?)),
            Some(b) if b.is_ascii_lowercase() => Ok(Term::Atom(self.bare_atom())),
            Some(b) if b.is_ascii_digit() || b == b'-' => self.number(),
            Some(b) => self.fail(format!("unexpected `{}`", b as char)),
        }
    }

    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Term>> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.term(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b) if b == close => {
                    self.bump();
                    return Ok(items);
                }
                _ => return self.fail(format!("expected `,` or `{}`", close as char)),
            };
        }
    }

    fn map(&mut self, depth: usize) -> Result<Term> {
        let mut pairs = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Term::Map(pairs));
        }
        loop {
            let key = self.term(depth + 1)?;
            self.expect(b'=')?;
            self.expect(b'>')?;
            let value = self.term(depth + 1)?;
            pairs.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return Ok(Term::Map(pairs));
                }
                _ => return self.fail("expected `,` or `}` in map"),
            };
        }
    }

    fn binary(&mut self) -> Result<Term> {
        self.bump();
        if self.bump() != Some(b'<') {
            return self.fail("expected `<<`");
        }
        self.skip_ws();
        let mut bytes = Vec::new();
        if self.peek() == Some(b'"') {
            bytes = self.quoted(b'"')?.into_bytes();
            self.skip_ws();
            // `<<"text"/utf8>>` is how newer Hex writes non-ASCII text.
            if self.peek() == Some(b'/') {
                self.bump();
                if self.bare_atom() != "utf8" {
                    return self.fail("unsupported binary type specifier");
                }
            }
        } else {
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                let Term::Integer(n) = self.number()? else {
                    return self.fail("expected a byte");
                };
                let Ok(byte) = u8::try_from(n) else {
                    return self.fail("byte out of range");
                };
                bytes.push(byte);
                self.skip_ws();
                if self.peek() == Some(b',') {
                    self.bump();
                    self.skip_ws();
                }
            }
        }
        self.expect(b'>')?;
        if self.bump() != Some(b'>') {
            return self.fail("expected `>>`");
        }
        Ok(Term::Binary(bytes))
    }

    fn quoted(&mut self, quote: u8) -> Result<String> {
        self.bump();
        let mut out = Vec::new();
        loop {
            match self.bump() {
                None => return self.fail("unterminated quoted text"),
                Some(b) if b == quote => break,
                Some(b'\\') => match self.bump() {
                    Some(b'n') => out.push(b'\n'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'"') => out.push(b'"'),
                    Some(b'\'') => out.push(b'\''),
                    Some(b) => return self.fail(format!("unsupported escape `\\{}`", b as char)),
                    None => return self.fail("unterminated escape"),
                },
                Some(b) => out.push(b),
            }
        }
        match String::from_utf8(out) {
            Ok(s) => Ok(s),
            Err(_) => self.fail("quoted text is not UTF-8"),
        }
    }

    fn bare_atom(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@')
        {
            self.bump();
        }
        String::from_utf8_lossy(&self.src[start..self.pos]).into_owned()
    }

    fn number(&mut self) -> Result<Term> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        let mut float = false;
        while let Some(b) = self.peek() {
            if b.is_ascii_digit() {
                self.bump();
            } else if b == b'.'
                && !float
                && self
                    .src
                    .get(self.pos + 1)
                    .is_some_and(|d| d.is_ascii_digit())
            {
                float = true;
                self.bump();
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&self.src[start..self.pos]).expect("ASCII digits");
        let parsed = if float {
            text.parse().map(Term::Float).ok()
        } else {
            text.parse().map(Term::Integer).ok()
        };
        match parsed {
            Some(t) => Ok(t),
            None => self.fail(format!("bad number `{text}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hex_metadata() {
        let text = r#"{<<"app">>,<<"foo">>}.
{<<"build_tools">>,[<<"mix">>]}.
% a comment
{<<"name">>,<<"foo">>}.
{<<"requirements">>,#{<<"bar">> => #{<<"optional">> => false,<<"requirement">> => <<"~> 1.0">>}}}.
{<<"version">>,<<"1.2.3">>}.
{<<"description">>,<<"Ünïcode"/utf8>>}.
{<<"n">>,[-1, 2.5, 'quoted atom', "chars", <<1,2>>]}.
"#;
        let terms = parse_consult(text).unwrap();
        assert_eq!(lookup(&terms, "name").and_then(Term::as_text), Some("foo"));
        assert_eq!(
            lookup(&terms, "version").and_then(Term::as_text),
            Some("1.2.3")
        );
        assert_eq!(
            lookup(&terms, "description").and_then(Term::as_text),
            Some("Ünïcode")
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = parse_consult("{<<\"name\">>,\n  <<\"foo\">> ]}.").unwrap_err();
        assert_eq!(err.to_string(), "2:13: expected `,` or `}`");
        assert!(parse_consult("{a, b}")
            .unwrap_err()
            .to_string()
            .contains("end of the file"));
        let deep = "[".repeat(1000);
        assert!(
            parse_consult(&deep).is_err(),
            "deep nesting must be an error, not a stack overflow"
        );
    }
}
