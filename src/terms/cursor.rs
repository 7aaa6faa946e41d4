//! A cursor over text that tracks line and column: the shared mechanics of
//! the term readers (Erlang's `metadata.config`, Elixir's `mix.lock`).

use anyhow::{bail, Result};

/// How deeply terms may nest: a bound on recursion for hostile input.
pub(crate) const MAX_DEPTH: usize = 64;

/// A term reader is a `Cursor` plus its own state (field `cur`); this lets
/// it use the cursor's methods as its own.
macro_rules! reads_through_cursor {
    ($parser:ident) => {
        impl<'a> std::ops::Deref for $parser<'a> {
            type Target = $crate::terms::cursor::Cursor<'a>;
            fn deref(&self) -> &Self::Target {
                &self.cur
            }
        }

        impl std::ops::DerefMut for $parser<'_> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.cur
            }
        }
    };
}
pub(crate) use reads_through_cursor;

pub(crate) struct Cursor<'a> {
    pub(crate) src: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) line: usize,
    pub(crate) col: usize,
    /// The character that starts a comment running to the end of the line.
    comment: u8,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str, comment: u8) -> Self {
        Cursor {
            src: text.as_bytes(),
            pos: 0,
            line: 1,
            col: 1,
            comment,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    pub(crate) fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if b & 0xC0 != 0x80 {
            // Columns count characters, not UTF-8 continuation bytes.
            self.col += 1;
        }
        Some(b)
    }

    /// An error at the current `line:column`.
    pub(crate) fn fail<T>(&self, msg: impl std::fmt::Display) -> Result<T> {
        bail!("{}:{}: {msg}", self.line, self.col)
    }

    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if b == self.comment {
                while self.peek().is_some_and(|b| b != b'\n') {
                    self.bump();
                }
            } else if b.is_ascii_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    pub(crate) fn expect(&mut self, want: u8) -> Result<()> {
        self.skip_ws();
        match self.peek() {
            Some(b) if b == want => {
                self.bump();
                Ok(())
            }
            Some(b) => self.fail(format!(
                "expected `{}`, found `{}`",
                want as char, b as char
            )),
            None => self.fail(format!(
                "expected `{}`, found the end of the file",
                want as char
            )),
        }
    }
}
