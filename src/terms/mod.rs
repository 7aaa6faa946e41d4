//! Readers for the term files the ecosystems use: Erlang terms
//! (`metadata.config`, `hex_metadata.config`) and the Elixir subset of
//! `mix.lock`, over one line-and-column cursor.

pub(crate) mod cursor;
pub(crate) mod elixir;
pub(crate) mod erlang;
