//! What a commit's tree holds, as pgp-pkg compares it with an installed
//! package: the files `git archive` would export (Composer's dist archives
//! are made so), or the file at one path (a Hex package's files).
//!
//! Every file goes through the same `ContentCollector` as archives and
//! installed trees do, so paths are normalised and hashed one way.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{Context, Result};
use gix::bstr::ByteSlice;

use crate::checksum_file::Entry;
use crate::package::contents::{hash_bounded, ContentCollector};
use crate::package::Limits;

/// The placeholder `export-subst` expands; a file marked so but without
/// one is exported unchanged.
const FORMAT_PLACEHOLDER: &[u8] = b"$Format:";

/// The files of `tree` as `git archive` exports them: `export-ignore`d paths
/// left out (attributes read from the tree itself, as git archive does), the
/// content after the tree's own filters. A file that `export-subst` would
/// rewrite cannot be compared: pgp-pkg does not reimplement `git log --format`.
pub(crate) fn archive(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    limits: &Limits,
) -> Result<Exported> {
    let (mut stream, index) = repo
        .worktree_stream(tree)
        .context("cannot read the commit's tree")?;
    let mut attributes = repo
        .attributes_only(
            &index,
            gix::worktree::stack::state::attributes::Source::IdMapping,
        )
        .context("cannot read the tree's .gitattributes")?;
    let mut subst = gix::attrs::search::Outcome::default();
    subst.initialize_with_selection(&Default::default(), Some("export-subst"));
    let mut collector = ContentCollector::new(limits);
    while let Some(mut entry) = stream
        .next_entry()
        .context("cannot read the commit's tree")?
    {
        let path = entry
            .relative_path()
            .to_str()
            .map(str::to_string)
            .map_err(|_| anyhow::anyhow!("a file name in the tree is not UTF-8"))?;
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .with_context(|| format!("cannot read {path} from the tree"))?;
        if entry.mode.is_link() {
            let target = String::from_utf8(content).map_err(|_| {
                anyhow::anyhow!("the symlink {path} has a target that is not UTF-8")
            })?;
            collector.add_symlink(&path, &target)?;
            continue;
        }
        if content.find(FORMAT_PLACEHOLDER).is_some() {
            subst.reset();
            let at = attributes
                .at_entry(path.as_str(), Some(entry.mode.into()))
                .with_context(|| format!("cannot read the attributes of {path}"))?;
            at.matching_attributes(&mut subst);
            if subst.iter_selected().any(|m| m.assignment.state.is_set()) {
                return Ok(Exported::Unexpandable(format!(
                    "{path} is marked export-subst and holds a $Format: placeholder, which git \
                     archive expands from the commit; pgp-pkg does not expand placeholders, so \
                     it cannot compare this file"
                )));
            }
        }
        collector.add_file(&path, &mut content.as_slice())?;
    }
    Ok(Exported::Files(collector.finish()?))
}

/// What `git archive` of a tree gives, as far as pgp-pkg can tell.
pub(crate) enum Exported {
    Files(BTreeMap<String, Entry>),
    /// A file git archive would rewrite (`export-subst`): why it cannot be compared.
    Unexpandable(String),
}

/// Every file of `tree`, as a checkout of it holds them (no filters: the
/// repositories pgp-pkg opens have no git configuration of their own).
pub(crate) fn checkout(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    limits: &Limits,
) -> Result<BTreeMap<String, Entry>> {
    let tree = repo
        .find_tree(tree)
        .context("cannot read the commit's tree")?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .context("cannot read the commit's tree")?;
    let mut collector = ContentCollector::new(limits);
    for entry in recorder.records {
        // Folders come with their files; submodules are not part of a checkout's files.
        if !(entry.mode.is_blob() || entry.mode.is_link()) {
            continue;
        }
        let path = entry
            .filepath
            .to_str()
            .map_err(|_| anyhow::anyhow!("a file name in the tree is not UTF-8"))?;
        let object = repo
            .find_object(entry.oid)
            .with_context(|| format!("cannot read {path} from the tree"))?;
        if entry.mode.is_link() {
            let target = std::str::from_utf8(&object.data).map_err(|_| {
                anyhow::anyhow!("the symlink {path} has a target that is not UTF-8")
            })?;
            collector.add_symlink(path, target)?;
        } else {
            collector.add_file(path, &mut &object.data[..])?;
        }
    }
    collector.finish()
}

/// How the file at `path` in `tree` compares with `installed`.
pub(crate) enum AtPath {
    Same,
    Differs,
    Absent,
}

/// Compares one installed file with the file at the same path in `tree`.
pub(crate) fn compare(
    repo: &gix::Repository,
    tree: &gix::Tree<'_>,
    path: &str,
    installed: &Entry,
    limits: &Limits,
) -> Result<AtPath> {
    let Some(found) = tree
        .lookup_entry_by_path(path)
        .with_context(|| format!("cannot look {path} up in the tree"))?
    else {
        return Ok(AtPath::Absent);
    };
    let mode = found.mode();
    if !(mode.is_blob() || mode.is_link()) {
        return Ok(AtPath::Absent);
    }
    let object = repo
        .find_object(found.object_id())
        .with_context(|| format!("cannot read {path} from the tree"))?;
    let data: &[u8] = &object.data;
    let same = match installed {
        Entry::Symlink { target } => mode.is_link() && data == target.as_bytes(),
        Entry::File { sha256, size } => {
            !mode.is_link()
                && data.len() as u64 == *size
                && hash_bounded(&mut &data[..], limits.max_unpacked_bytes)?
                    .is_some_and(|(digest, _)| digest == *sha256)
        }
    };
    Ok(if same { AtPath::Same } else { AtPath::Differs })
}
