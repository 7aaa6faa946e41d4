//! A reader for the subset of Elixir terms that `mix.lock` uses: maps
//! (`%{"k": v}` and `%{"k" => v}`), tuples, lists, keyword lists
//! (`[hex: :leaf, optional: false]`), atoms (`:a`, `:"a b"`, `true`, `nil`),
//! strings and integers. Nothing is evaluated. Errors carry `line:column`.

use anyhow::Result;

use crate::terms::cursor::Cursor;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Term {
    Atom(String),
    String(String),
    Integer(i128),
    Tuple(Vec<Term>),
    List(Vec<Term>),
    /// Keys in source order.
    Map(Vec<(Term, Term)>),
}

/// Where a term starts in the file, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl Term {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Term::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_atom(&self) -> Option<&str> {
        match self {
            Term::Atom(a) => Some(a),
            _ => None,
        }
    }
}

/// Parses one term that fills the whole input; map entries come with the
/// position where each entry's key starts.
pub(crate) fn parse_document(text: &str) -> Result<(Term, Vec<Position>)> {
    let mut p = Parser {
        cur: Cursor::new(text, b'#'),
        entry_positions: Vec::new(),
    };
    p.skip_ws();
    let term = p.term(0)?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return p.fail("unexpected text after the end of the term");
    }
    Ok((term, p.entry_positions))
}

struct Parser<'a> {
    cur: Cursor<'a>,
    /// Positions of the keys of the outermost map's entries.
    entry_positions: Vec<Position>,
}

crate::terms::cursor::reads_through_cursor!(Parser);

impl Parser<'_> {
    fn here(&self) -> Position {
        Position {
            line: self.line,
            column: self.col,
        }
    }

    fn term(&mut self, depth: usize) -> Result<Term> {
        if depth > crate::terms::cursor::MAX_DEPTH {
            return self.fail("terms nested too deeply");
        }
        self.skip_ws();
        match self.peek() {
            None => self.fail("expected a term, found the end of the file"),
            Some(b'%') => {
                self.bump();
                self.expect(b'{')?;
                self.map(depth)
            }
            Some(b'{') => {
                self.bump();
                Ok(Term::Tuple(self.sequence(b'}', depth)?))
            }
            Some(b'[') => {
                self.bump();
                Ok(Term::List(self.sequence(b']', depth)?))
            }
            Some(b'"') => Ok(Term::String(self.string()?)),
            Some(b':') => {
                self.bump();
                if self.peek() == Some(b'"') {
                    Ok(Term::Atom(self.string()?))
                } else {
                    let name = self.identifier();
                    if name.is_empty() {
                        return self.fail("expected an atom name after `:`");
                    }
                    Ok(Term::Atom(name))
                }
            }
            Some(b) if b.is_ascii_digit() || b == b'-' => self.integer(),
            Some(b) if b.is_ascii_lowercase() => {
                let word = self.identifier();
                match word.as_str() {
                    "true" | "false" | "nil" => Ok(Term::Atom(word)),
                    _ => self.fail(format!(
                        "unexpected `{word}` (mix.lock holds data, not code)"
                    )),
                }
            }
            Some(b) => self.fail(format!("unexpected `{}`", b as char)),
        }
    }

    /// Items of a tuple or list; a list may end in keyword pairs (`a: 1`).
    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Term>> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.bump();
                return Ok(items);
            }
            items.push(match self.keyword_key()? {
                Some(key) => Term::Tuple(vec![Term::Atom(key), self.term(depth + 1)?]),
                None => self.term(depth + 1)?,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                }
                Some(b) if b == close => {}
                _ => return self.fail(format!("expected `,` or `{}`", close as char)),
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Term> {
        let mut pairs = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.bump();
                return Ok(Term::Map(pairs));
            }
            let at = self.here();
            if depth == 0 {
                self.entry_positions.push(at);
            }
            let key = match self.keyword_key()? {
                Some(key) => Term::Atom(key),
                None => {
                    let key = self.term(depth + 1)?;
                    // `"name": value` is the string-keyed keyword form mix.lock uses.
                    if matches!(key, Term::String(_)) && self.peek() == Some(b':') {
                        self.bump();
                    } else {
                        self.expect(b'=')?;
                        self.expect(b'>')?;
                    }
                    key
                }
            };
            let value = self.term(depth + 1)?;
            pairs.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                }
                Some(b'}') => {}
                _ => return self.fail("expected `,` or `}` in a map"),
            }
        }
    }

    /// `name:` (a keyword key) at the current position, consumed if present.
    fn keyword_key(&mut self) -> Result<Option<String>> {
        self.skip_ws();
        if !self
            .peek()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        {
            return Ok(None);
        }
        let save = (self.pos, self.line, self.col);
        let word = self.identifier();
        if self.peek() == Some(b':') && self.src.get(self.pos + 1) != Some(&b':') {
            self.bump();
            return Ok(Some(word));
        }
        (self.pos, self.line, self.col) = save;
        Ok(None)
    }

    fn identifier(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'@' | b'?' | b'!' | b'.')
        }) {
            self.bump();
        }
        String::from_utf8_lossy(&self.src[start..self.pos]).into_owned()
    }

    fn string(&mut self) -> Result<String> {
        self.bump();
        let mut out = Vec::new();
        loop {
            match self.bump() {
                None => return self.fail("unterminated string"),
                Some(b'"') => break,
                Some(b'\\') => match self.bump() {
                    Some(b'n') => out.push(b'\n'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'"') => out.push(b'"'),
                    Some(b'#') => out.push(b'#'),
                    Some(b) => return self.fail(format!("unsupported escape `\\{}`", b as char)),
                    None => return self.fail("unterminated string"),
                },
                Some(b'#') if self.peek() == Some(b'{') => {
                    return self.fail("string interpolation is code, not data");
                }
                Some(b) => out.push(b),
            }
        }
        match String::from_utf8(out) {
            Ok(s) => Ok(s),
            Err(_) => self.fail("string is not UTF-8"),
        }
    }

    fn integer(&mut self) -> Result<Term> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'_') {
            self.bump();
        }
        let text: String = String::from_utf8_lossy(&self.src[start..self.pos]).replace('_', "");
        match text.parse() {
            Ok(n) => Ok(Term::Integer(n)),
            Err(_) => self.fail(format!("bad integer `{text}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_real_mix_lock() {
        let text = r#"%{
  "jason": {:hex, :jason, "1.4.1", "af1504e35f629ddcdd6addb3513c3853991f694921b1b9368b0bd32beb9f1b63", [:mix], [{:decimal, "~> 1.0 or ~> 2.0", [hex: :decimal, repo: "hexpm", optional: true]}], "hexpm", "fbb01ecdfd565b56261302f7e1fcc27c4fb8f32d56eab74db621fc154604a7a1"},
  "my_app_dep": {:git, "https://example.org/dep.git", "0123456789abcdef0123456789abcdef01234567", [branch: "main"]},
  "old": {:hex, :old, "0.1.0", "aa"},
}
"#;
        let (term, positions) = parse_document(text).unwrap();
        let Term::Map(entries) = term else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].0, Term::String("jason".into()));
        let Term::Tuple(items) = &entries[0].1 else {
            panic!()
        };
        assert_eq!(items[0], Term::Atom("hex".into()));
        assert_eq!(items.len(), 8);
        assert_eq!(positions[1], Position { line: 3, column: 3 });
        let Term::Tuple(git) = &entries[1].1 else {
            panic!()
        };
        assert_eq!(
            git[3],
            Term::List(vec![Term::Tuple(vec![
                Term::Atom("branch".into()),
                Term::String("main".into())
            ])])
        );
    }

    #[test]
    fn errors_name_line_and_column_and_code_is_refused() {
        let err = parse_document("%{\n  \"a\": {:hex, :a \"1.0\"}\n}").unwrap_err();
        assert_eq!(err.to_string(), "2:18: expected `,` or `}`");
        let err = parse_document("%{\"a\": System.cmd(\"rm\")}").unwrap_err();
        assert!(err.to_string().contains("unexpected"), "{err}");
        let err = parse_document("%{\"a\": \"#{evil}\"}").unwrap_err();
        assert!(err.to_string().contains("interpolation"), "{err}");
        assert!(parse_document(&"[".repeat(500)).is_err());
        assert!(parse_document("%{} extra").is_err());
    }
}
