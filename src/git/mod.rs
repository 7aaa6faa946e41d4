//! Evidence from a package's upstream git repository (docs/git-evidence.md):
//! the release tag, the OpenPGP signature on it or on the commit it points
//! to, and whether what is installed is what that commit holds.
//!
//! git is read with gix, in pure Rust. This layer finds and compares; it does
//! not judge signatures: it hands over the exact bytes git signed and the
//! armored signature, and `signatures::verify` checks them like any other.

mod export;
mod fetch;
mod release;
mod work_tree;

pub(crate) use fetch::Repos;
pub(crate) use release::{examine, examine_checkout};
pub(crate) use work_tree::read_work_tree;

pub(crate) use crate::lockfile::Upstream;

/// The git object a signature is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignedObject {
    /// An annotated tag: git signs the tag object up to its signature block.
    Tag,
    /// A commit: git signs the commit object without its `gpgsig` header.
    Commit,
}

/// What was found on the release tag and its commit.
#[derive(Clone, Debug)]
pub(crate) enum GitSignature {
    /// An OpenPGP signature: `payload` is exactly what git signed.
    OpenPgp {
        object: SignedObject,
        payload: Vec<u8>,
        armored: Vec<u8>,
    },
    /// Neither the tag nor the commit carries an OpenPGP signature.
    None,
}

/// Everything learnt about one release upstream.
#[derive(Clone, Debug)]
pub(crate) struct Finding {
    pub(crate) url: String,
    /// The release tag, when one was found (`VERSION`, else `vVERSION`).
    pub(crate) tag: Option<String>,
    /// The commit the tag points to.
    pub(crate) commit: Option<String>,
    pub(crate) signature: GitSignature,
    /// What was seen and is not evidence: a missing tag, signatures that are
    /// not OpenPGP (SSH, X.509), a lightweight tag.
    pub(crate) notes: Vec<String>,
    /// What fails the package: a tag that points elsewhere than the lockfile
    /// says, files that differ from the tag's tree.
    pub(crate) problems: Vec<String>,
}

impl Finding {
    /// "tag v1.2.0 (commit 0123abcd…) of URL", for messages.
    pub(crate) fn describe(&self) -> String {
        match (&self.tag, &self.commit) {
            (Some(tag), Some(commit)) => {
                format!("tag {tag} (commit {}) of {}", short(commit), self.url)
            }
            _ => self.url.clone(),
        }
    }
}

/// The first 12 digits of an object id, as people quote them.
pub(crate) fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The tags a release may carry (SPEC §8): `VERSION`, else `vVERSION`.
pub(crate) fn tag_candidates(version: &str) -> [String; 2] {
    [version.to_string(), format!("v{version}")]
}
