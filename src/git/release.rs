//! One release upstream: its tag, the commit it points to, the signature
//! on either, and how the installed package compares with the commit's tree
//! (SPEC §8, docs/git-evidence.md).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use gix::objs::signature::Format;

use super::export::{self, AtPath, Exported};
use super::{tag_candidates, Finding, GitSignature, Repos, SignedObject, Upstream};
use crate::checksum_file::{ChecksumFile, Entry};
use crate::model::Ecosystem;
use crate::package::Limits;

/// How many differing paths one reason names.
const NAMED_PATHS: usize = 10;

/// GitHub's `web-flow` keys, which sign commits made in its web interface
/// (key IDs of the 2017 and the 2024 key). Such a signature attests GitHub,
/// not the author: it is never counted as the author's.
const GITHUB_WEB_FLOW: &[&str] = &["4AEE18F83AFDEB23", "B5690EEEBB952194"];

/// How the installed files are compared with the release commit's tree.
#[derive(Clone, Copy)]
enum Content<'a> {
    /// As `git archive` exports the tree (Composer dists).
    Archive,
    /// Each package file against the file at its path (Hex).
    PackageFiles,
    /// A checkout of the whole tree, whose HEAD is this commit (`composer
    /// install --prefer-source`).
    Checkout { head: &'a str, dir: &'a Path },
}

/// Reads the release of `installed` at `upstream`: fetched into the cache
/// if its tag is not there yet. An error means the repository could not be
/// reached or read (exit 2, never "unsigned").
pub(crate) fn examine(
    repos: &Repos,
    upstream: &Upstream,
    installed: &ChecksumFile,
    limits: &Limits,
) -> Result<Finding> {
    let tags = tag_candidates(&installed.package.version);
    let (repo, tag) = repos.with_tag(&upstream.url, &tags)?;
    let content = match installed.package.ecosystem {
        Ecosystem::Composer => Content::Archive,
        Ecosystem::Hex => Content::PackageFiles,
    };
    read_release(&repo, tag, upstream, installed, content, limits)
}

/// [`examine`] for an installed tree that is itself a git checkout: its
/// HEAD must be the release tag's commit, and every file but `.git` that
/// commit's. The checkout's own tag is used when it has one (its signature
/// is checked all the same), else the upstream repository's.
pub(crate) fn examine_checkout(
    repos: &Repos,
    upstream: &Upstream,
    checkout: &Path,
    installed: &ChecksumFile,
    limits: &Limits,
) -> Result<Finding> {
    let tags = tag_candidates(&installed.package.version);
    let local = super::fetch::open_checkout(checkout)?;
    let head = local
        .head_id()
        .with_context(|| {
            format!(
                "cannot read the HEAD of the checkout {}",
                checkout.display()
            )
        })?
        .to_string();
    let content = Content::Checkout {
        head: &head,
        dir: checkout,
    };
    match super::fetch::first_tag(&local, &tags) {
        Some(tag) => read_release(&local, Some(tag), upstream, installed, content, limits),
        None => {
            let (repo, tag) = repos.with_tag(&upstream.url, &tags)?;
            read_release(&repo, tag, upstream, installed, content, limits)
        }
    }
}

/// The tag, its commit, the signature and the comparison, in `repo`.
fn read_release(
    repo: &gix::Repository,
    tag: Option<String>,
    upstream: &Upstream,
    installed: &ChecksumFile,
    content: Content,
    limits: &Limits,
) -> Result<Finding> {
    let tags = tag_candidates(&installed.package.version);
    let mut finding = Finding {
        url: upstream.url.clone(),
        tag: None,
        commit: None,
        signature: GitSignature::None,
        notes: Vec::new(),
        problems: Vec::new(),
    };
    let Some(tag) = tag else {
        finding.notes.push(format!(
            "git: {} has no tag {} or {}, so it says nothing about this release",
            upstream.url, tags[0], tags[1]
        ));
        return Ok(finding);
    };
    let cannot = || format!("cannot read the tag {tag} of {}", upstream.url);
    let reference = repo
        .find_reference(format!("refs/tags/{tag}").as_str())
        .with_context(cannot)?;
    // The tag object itself, not what it peels to: its signature is evidence.
    let target = reference
        .target()
        .try_id()
        .map(ToOwned::to_owned)
        .with_context(cannot)?;
    let object = repo.find_object(target).with_context(cannot)?;
    let annotated = object.kind == gix::objs::Kind::Tag;
    let tag_signature = if annotated {
        gix::objs::TagRefIter::signature(&object.data).map(|(sig, signed)| Found {
            format: Some(sig.format),
            armored: sig.data.to_vec(),
            payload: signed.to_bstring().to_vec(),
        })
    } else {
        None
    };
    let commit = object.peel_to_commit().with_context(cannot)?;
    let commit_id = commit.id.to_string();
    finding.tag = Some(tag.clone());
    finding.commit = Some(commit_id.clone());
    if let Some(expected) = &upstream.commit {
        if !expected.eq_ignore_ascii_case(&commit_id) {
            finding.problems.push(format!(
                "git: the tag {tag} of {} points to commit {commit_id}, but the lockfile records \
                 {expected}: the release was not built from the tagged commit, or the tag was moved",
                upstream.url
            ));
            return Ok(finding);
        }
    }
    let commit_signature = gix::objs::CommitRefIter::signature(&commit.data, repo.object_hash())
        .with_context(|| format!("cannot read the commit {commit_id}"))?
        .map(|(sig, signed)| Found {
            format: Format::from_signature(&sig),
            armored: sig.to_vec(),
            payload: signed.to_bstring().to_vec(),
        });
    let committed_on_github = commit
        .committer()
        .map(|c| c.email == "noreply@github.com")
        .unwrap_or(false);
    let commit_signature = match commit_signature {
        Some(found)
            if found.format == Some(Format::OpenPgp)
                && (committed_on_github || by_web_flow(&found.armored)) =>
        {
            finding.notes.push(format!(
                "git: the commit of tag {tag} was signed by GitHub's web-flow key (made in \
                 GitHub's web interface): that attests GitHub, not the author, and does not count"
            ));
            None
        }
        other => other,
    };
    finding.signature = choose_signature(
        &tag,
        annotated,
        tag_signature,
        commit_signature,
        &mut finding.notes,
    );

    let tree_id = commit.tree_id().with_context(cannot)?.detach();
    let described = finding.describe();
    match content {
        Content::Checkout { head, dir } => {
            if head != commit_id {
                finding.problems.push(format!(
                    "git: the checkout {} is at commit {head}, but {described} is not",
                    dir.display()
                ));
                return Ok(finding);
            }
            let files = export::checkout(repo, tree_id, limits)
                .with_context(|| format!("cannot read {described}"))?;
            let lines = compare_whole(&installed.entries, files);
            if !lines.is_empty() {
                finding.problems.push(format!(
                    "git: the checkout {}'s files differ from {described}:",
                    dir.display()
                ));
                finding.problems.extend(lines);
            }
        }
        Content::Archive => {
            match export::archive(repo, tree_id, limits)
                .with_context(|| format!("cannot read {described}"))?
            {
                Exported::Unexpandable(why) => finding
                    .problems
                    .push(format!("git: cannot compare with {described}: {why}")),
                Exported::Files(files) => {
                    let lines = compare_whole(&installed.entries, files);
                    if !lines.is_empty() {
                        finding.problems.push(format!(
                            "git: the installed files differ from {described} as git archive \
                             exports it:"
                        ));
                        finding.problems.extend(lines);
                    }
                }
            }
        }
        Content::PackageFiles => {
            let tree = repo.find_tree(tree_id).with_context(cannot)?;
            let (mut changed, mut absent) = (Vec::new(), Vec::new());
            for (path, entry) in &installed.entries {
                match export::compare(repo, &tree, path, entry, limits)? {
                    AtPath::Same => {}
                    AtPath::Differs => changed.push(path.clone()),
                    AtPath::Absent => absent.push(path.clone()),
                }
            }
            if !(changed.is_empty() && absent.is_empty()) {
                finding
                    .problems
                    .push(format!("git: the package's files differ from {described}:"));
                push_paths(&mut finding.problems, "files changed", &changed);
                push_paths(
                    &mut finding.problems,
                    "files the tag does not have",
                    &absent,
                );
            }
        }
    }
    Ok(finding)
}

/// Whether an armored signature was issued by one of GitHub's web-flow keys.
fn by_web_flow(armored: &[u8]) -> bool {
    use sequoia_openpgp::parse::Parse;
    use sequoia_openpgp::{KeyHandle, Packet, PacketPile};
    let Ok(pile) = PacketPile::from_bytes(armored) else {
        return false;
    };
    let web_flow: Vec<KeyHandle> = GITHUB_WEB_FLOW
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    pile.descendants().any(|p| match p {
        Packet::Signature(sig) => sig
            .get_issuers()
            .iter()
            .any(|h| web_flow.iter().any(|w| w.aliases(h))),
        _ => false,
    })
}

/// A signature found on a tag or commit: its format, as git tells it by the
/// armor, the armored signature and exactly the bytes it signs.
struct Found {
    format: Option<Format>,
    armored: Vec<u8>,
    payload: Vec<u8>,
}

/// SPEC §8: an OpenPGP signature on the annotated tag, else on its commit.
/// What is neither is said in a note and does not count.
fn choose_signature(
    tag: &str,
    annotated: bool,
    on_tag: Option<Found>,
    on_commit: Option<Found>,
    notes: &mut Vec<String>,
) -> GitSignature {
    let mut chosen = GitSignature::None;
    for (object, found) in [
        (SignedObject::Tag, on_tag),
        (SignedObject::Commit, on_commit),
    ] {
        let what = match object {
            SignedObject::Tag => format!("the tag {tag}"),
            SignedObject::Commit => format!("the commit of tag {tag}"),
        };
        let Some(found) = found else { continue };
        match found.format {
            Some(Format::OpenPgp) => {
                if matches!(chosen, GitSignature::None) {
                    chosen = GitSignature::OpenPgp {
                        object,
                        payload: found.payload,
                        armored: found.armored,
                    };
                }
            }
            Some(Format::Ssh) => notes.push(format!(
                "git: {what} carries an SSH signature, which pgp-pkg does not check"
            )),
            Some(Format::X509) => notes.push(format!(
                "git: {what} carries an X.509 (gitsign/S/MIME) signature, which pgp-pkg does not \
                 check"
            )),
            None => notes.push(format!(
                "git: {what} carries a signature in a format pgp-pkg does not know"
            )),
        }
    }
    if matches!(chosen, GitSignature::None) {
        notes.push(if annotated {
            format!("git: neither the tag {tag} nor its commit has an OpenPGP signature")
        } else {
            format!("git: {tag} is a lightweight tag and its commit has no OpenPGP signature")
        });
    }
    chosen
}

/// Installed files against the exported tree, one line per kind of difference.
fn compare_whole(
    installed: &BTreeMap<String, Entry>,
    exported: BTreeMap<String, Entry>,
) -> Vec<String> {
    let upstream = ChecksumFile {
        package: crate::model::PackageId {
            ecosystem: Ecosystem::Composer,
            name: String::new(),
            version: String::new(),
        },
        hex: None,
        entries: exported,
    };
    let here = ChecksumFile {
        entries: installed.clone(),
        ..upstream.clone()
    };
    let diff = here.diff_contents(&upstream);
    let mut lines = Vec::new();
    push_paths(&mut lines, "files changed", &diff.changed);
    push_paths(&mut lines, "files not in the tag", &diff.added);
    push_paths(
        &mut lines,
        "files in the tag but not installed",
        &diff.missing,
    );
    lines
}

fn push_paths(lines: &mut Vec<String>, label: &str, paths: &[String]) {
    if paths.is_empty() {
        return;
    }
    let mut named = paths
        .iter()
        .take(NAMED_PATHS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > NAMED_PATHS {
        named.push_str(&format!(" and {} more", paths.len() - NAMED_PATHS));
    }
    lines.push(format!("{label}: {named}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(format: Format, payload: &[u8]) -> Option<Found> {
        Some(Found {
            format: Some(format),
            armored: b"sig".to_vec(),
            payload: payload.to_vec(),
        })
    }

    fn pgp(payload: &[u8]) -> Option<Found> {
        found(Format::OpenPgp, payload)
    }

    #[test]
    fn the_tag_signature_wins_over_the_commit_one() {
        let mut notes = Vec::new();
        let chosen = choose_signature("v1", true, pgp(b"tag"), pgp(b"commit"), &mut notes);
        assert!(matches!(
            chosen,
            GitSignature::OpenPgp { object: SignedObject::Tag, ref payload, .. } if payload == b"tag"
        ));
        assert!(notes.is_empty());
    }

    #[test]
    fn an_ssh_tag_falls_back_to_the_commit_and_says_so() {
        let mut notes = Vec::new();
        let ssh = found(Format::Ssh, b"tag");
        let chosen = choose_signature("v1", true, ssh, pgp(b"commit"), &mut notes);
        assert!(matches!(
            chosen,
            GitSignature::OpenPgp {
                object: SignedObject::Commit,
                ..
            }
        ));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("SSH signature"), "{notes:?}");
    }

    #[test]
    fn an_x509_commit_signature_is_named_and_not_counted() {
        let mut notes = Vec::new();
        let x509 = found(Format::X509, b"commit");
        let chosen = choose_signature("v1", true, None, x509, &mut notes);
        assert!(matches!(chosen, GitSignature::None));
        assert!(notes[0].contains("X.509"), "{notes:?}");
        assert!(notes[1].contains("neither"), "{notes:?}");
    }

    #[test]
    fn nothing_signed_is_a_note() {
        let mut notes = Vec::new();
        let chosen = choose_signature("1.0.0", false, None, None, &mut notes);
        assert!(matches!(chosen, GitSignature::None));
        assert!(notes[0].contains("lightweight"), "{notes:?}");
    }

    #[test]
    fn long_path_lists_are_cut() {
        let paths: Vec<String> = (0..12).map(|i| format!("f{i}")).collect();
        let mut lines = Vec::new();
        push_paths(&mut lines, "files changed", &paths);
        assert!(lines[0].ends_with("f9 and 2 more"), "{lines:?}");
    }
}
