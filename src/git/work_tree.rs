//! A package directory inside a git work tree, read as `git archive HEAD`
//! exports it (docs/git-evidence.md, "Signing a release from git"): what an
//! author signs is then exactly what GitHub's dist zip of the tag holds,
//! never `.git/`, ignored files, `export-ignore`d paths or the signature
//! itself.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::export::{self, Exported};
use crate::checksum_file::ChecksumFile;
use crate::package::{read_checkout, IdentityHints, Limits, ReadPackage};

/// `Some` when `dir` is the root of a git work tree (an author's checkout of
/// the package): its files as HEAD exports them. Only the root: a folder
/// that merely lies inside some repository (`deps/foo` of a project kept in
/// git) is read as the files it holds.
/// Refused when the work tree's exported files differ from HEAD (uncommitted
/// changes would not be in a release of that commit).
pub(crate) fn read_work_tree(
    dir: &Path,
    hints: &IdentityHints,
    limits: &Limits,
) -> Result<Option<ReadPackage>> {
    if !dir.join(".git").exists() {
        return Ok(None);
    }
    let repo = super::fetch::open_checkout(dir)?;
    let head = repo
        .head_commit()
        .with_context(|| format!("cannot read HEAD of the git work tree {}", dir.display()))?;
    let tree = head.tree_id().context("cannot read HEAD's tree")?.detach();
    let exported = match export::archive(&repo, tree, limits)? {
        Exported::Files(files) => files,
        Exported::Unexpandable(why) => {
            bail!("{}: {why} (read the files with --plain)", dir.display())
        }
    };
    // The package's identity comes from its files, as for any directory.
    let on_disk = read_checkout(dir, hints, limits)?;
    let upstream = ChecksumFile {
        entries: exported,
        ..on_disk.checksum_file.clone()
    };
    let diff = on_disk.checksum_file.diff_contents(&upstream);
    if !(diff.changed.is_empty() && diff.missing.is_empty()) {
        let mut paths = diff.changed.clone();
        paths.extend(diff.missing.iter().cloned());
        bail!(
            "{}: the work tree differs from HEAD ({}): commit the changes so that the release \
             is a commit, or read the files as they are with --plain",
            dir.display(),
            paths.join(", ")
        );
    }
    Ok(Some(ReadPackage {
        checksum_file: upstream,
        integrity_errors: Vec::new(),
        made_from_commit: Some(head.id.to_string()),
    }))
}
