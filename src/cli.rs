//! The command line (docs/interface.md, stable interface): definitions only. The work
//! is in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::model::Ecosystem;
use crate::trust::TrustLevel;

/// What each status means and what to do, for `verify-tree --help` (the
/// integrations point here; docs/integrations.md has the same table).
const STATUSES: &str = "\
Statuses:
  ok                 a good signature by a key trusted enough
  checksum-mismatch  the files differ from what was signed (or from the cache, the lock, the
                     release tag): do not run them; fetch again from a trusted source, report it
  bad-signature      the signature does not fit this package or version: as above
  revoked, expired   the signer's key is revoked or expired now: import the author's current key
  weak-crypto        SHA-1 or a short RSA key: ask the author to re-sign
  below-policy       signer distrusted, below the minimum, not the pinned one, or a threshold or
                     countersignature missing: read the reason; update a pin only if the change is real
  unsigned, unknown-key, unverifiable
                     nothing vouches for it: a warning by default, a failure under a minimum
                     unless pgp-pkg.toml allows it
  missing-package    not installed or cached: fetch the dependencies first";

/// Every environment variable, for `--help` (docs/interface.md, "Environment").
const ENVIRONMENT: &str = "\
Environment:
  PGP_PKG_HOME                the home, when --home is not given
  PGP_PKG_SIGNATURES          signature directories and URL templates, whitespace-separated
  PGP_PKG_MIN_TRUST           the minimum trust, when --min-trust is not given
  PGP_PKG_OFFLINE=1           as --offline
  PGP_PKG_FETCH_KEYS=1        as --fetch-keys (the hooks honour it)
  PGP_PKG_GIT=1               as --git (the hooks honour it)
  PGP_PKG_KEYSERVERS          keyservers, whitespace-separated, when --keyserver is not given
  PGP_PKG_WKD_BASE            replaces https://openpgpkey.DOMAIN in WKD lookups (mirrors, tests)
  PGP_PKG_NET_TIMEOUT         seconds a request may take in all (default 30)
  PGP_PKG_GPG                 the gpg program `sign --gpg` runs (default gpg)
  PGP_PKG_MAX_UNPACKED_BYTES  the bound on a package's unpacked size (default 8 GiB)
  PGP_PKG_BIN                 (integrations) the pgp-pkg binary
  HEX_HOME, MIX_XDG           where the Hex cache is
  MIX_DEPS_PATH               where mix installs dependencies
  COMPOSER_CACHE_DIR, COMPOSER_HOME, COMPOSER_VENDOR_DIR   Composer's cache and vendor folder
  NO_COLOR                    no colour with --color auto

Exit codes: 0 the policy is met, 1 it is not, 2 the command could not run.";

#[derive(Debug, Parser)]
#[command(
    name = "pgp-pkg",
    version,
    about = "OpenPGP author signatures and a web of trust for Hex (mix) and Composer packages",
    after_help = ENVIRONMENT
)]
pub struct Cli {
    /// The pgp-pkg home: keyring, own keys, trust settings [default: the platform's data directory]
    #[arg(long, global = true, env = "PGP_PKG_HOME", value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,

    /// No network at all: a command that needs it fails (exit 2) and says so
    #[arg(long, global = true, env = "PGP_PKG_OFFLINE", action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) offline: bool,

    /// Colour in the verify-tree table: auto (at a terminal, unless NO_COLOR is set), always, never
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub(crate) color: ColorChoice,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Manage keys: your own and other people's certificates
    #[command(subcommand)]
    Key(KeyCommand),
    /// Owner trust and the web of trust
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Entry points for the package-manager integrations (docs/integrations.md)
    #[command(subcommand)]
    Hook(HookCommand),
    /// Print a package's checksum file, the text that signatures cover
    Checksum {
        /// A Hex .tar, a Composer .zip, or a directory
        package: PathBuf,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// Write a detached, armored signature over a package's checksum file
    Sign {
        /// A Hex .tar, a Composer .zip, or a directory
        package: PathBuf,
        /// Your own key to sign with (fingerprint or key ID) [default: your only key]
        #[arg(long, value_name = "FPR")]
        key: Option<String>,
        /// Where to write the signature ("-" for stdout) [default: PACKAGE.asc]
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Sign through the installed gpg (its agent, pinentry and tokens) instead
        #[arg(long)]
        gpg: bool,
        /// Replace an existing signature file instead of adding this signature to it
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// Verify one package against its signatures and your keyring
    Verify {
        /// A Hex .tar, a Composer .zip, or a directory
        package: PathBuf,
        /// The signature file [default: from --signatures, else PACKAGE.asc beside the package]
        #[arg(long, value_name = "FILE")]
        signature: Option<PathBuf>,
        /// A signature directory (DIR/ECOSYSTEM/NAME/VERSION.asc) or URL template to look in
        /// before PACKAGE.asc; repeatable [env: PGP_PKG_SIGNATURES]
        #[arg(
            long = "signatures",
            value_name = "DIR_OR_URL",
            conflicts_with = "signature"
        )]
        signatures: Vec<String>,
        #[command(flatten)]
        trust: MinTrustArgs,
        #[command(flatten)]
        fetch: FetchArgs,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// Print shell completions: `pgp-pkg completions bash > /etc/bash_completion.d/pgp-pkg`
    Completions {
        /// bash, zsh, fish (also elvish, powershell)
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `pgp-pkg man > pgp-pkg.1`; with --output-dir,
    /// write it and one page per subcommand (pgp-pkg-verify-tree.1, ...)
    Man {
        /// Write every page into DIR instead of printing the main one
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
    },
    /// Verify every package a mix.lock or composer.lock pins
    #[command(after_help = STATUSES)]
    VerifyTree {
        /// mix.lock and/or composer.lock files; installed trees are looked for beside each
        #[arg(required = true, value_name = "LOCKFILE")]
        lockfiles: Vec<PathBuf>,
        /// A signature directory (DIR/ECOSYSTEM/NAME/VERSION.asc) or URL template
        /// (https://…/{ecosystem}/{name}/{version}.asc); repeatable [env: PGP_PKG_SIGNATURES]
        #[arg(long = "signatures", value_name = "DIR_OR_URL")]
        signatures: Vec<String>,
        #[command(flatten)]
        trust: MinTrustArgs,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        git: GitArgs,
        /// Pin each signed package's current signers in pgp-pkg.toml (where none is pinned yet)
        #[arg(long)]
        record_pins: bool,
        /// Show only the packages that need attention (warnings and failures)
        #[arg(long)]
        problems: bool,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Commands that never create the home: for them a named home that does
    /// not exist is a mistake to report (`Home::require_existing`).
    pub(crate) fn only_reads_the_home(&self) -> bool {
        match self {
            Command::Key(k) => matches!(
                k,
                KeyCommand::List { .. } | KeyCommand::Export { .. } | KeyCommand::PublishWkd { .. }
            ),
            Command::Trust(t) => {
                matches!(t, TrustCommand::List { .. } | TrustCommand::Explain { .. })
            }
            Command::Hook(_) | Command::Verify { .. } | Command::VerifyTree { .. } => true,
            Command::Sign { gpg, .. } => !gpg,
            Command::Checksum { .. } | Command::Completions { .. } | Command::Man { .. } => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Make a new Ed25519 signing key and keep it as your own (ultimately trusted),
    /// with a revocation certificate kept in the home
    Generate {
        /// Your name and address, as people will look you up: "Name <email>"
        #[arg(long, value_name = "\"Name <email>\"")]
        user_id: String,
        /// How long the key is valid: 3y, 18m, 90d, or never (extend it later
        /// with a new self-signature) [default: 3y]
        #[arg(long, value_name = "DURATION", default_value = "3y")]
        expires: String,
    },
    /// Look certificates up (email: WKD, then keyservers; fingerprint or key ID:
    /// keyservers) and import what is found. A fetched key is not trusted for being fetched
    Fetch {
        /// Email addresses, fingerprints (40 or 64 hex digits) or key IDs (16 hex digits)
        #[arg(required = true, value_name = "QUERY")]
        queries: Vec<String>,
        #[command(flatten)]
        servers: KeyserverArgs,
    },
    /// Ask the keyservers and WKD for updates (revocations, new expiry dates,
    /// subkeys, certifications) of certificates in the keyring, and merge them
    Refresh {
        /// The certificates to refresh [default: every certificate in the keyring]
        #[arg(value_name = "FPR")]
        fingerprints: Vec<String>,
        #[command(flatten)]
        servers: KeyserverArgs,
    },
    /// Revoke one of your own keys: the revocation is imported, and printed for publishing
    Revoke {
        /// Your own key [default: your only key]
        #[arg(value_name = "FPR")]
        fingerprint: Option<String>,
        /// compromised, superseded, retired or unspecified
        #[arg(long, default_value = "unspecified")]
        reason: String,
        /// A short explanation, published with the revocation
        #[arg(long, default_value = "")]
        message: String,
    },
    /// Remove a certificate from the keyring
    Delete {
        /// The certificate's fingerprint (or key ID)
        #[arg(value_name = "FPR")]
        fingerprint: String,
        /// Needed to delete one of your own keys: its secret key is deleted too
        #[arg(long)]
        secret: bool,
    },
    /// Write your key into a Web Key Directory tree (DIR/.well-known/openpgpkey/DOMAIN/...)
    /// to publish on https://openpgpkey.DOMAIN
    PublishWkd {
        /// Your own key, or any certificate [default: your only key]
        #[arg(value_name = "FPR")]
        fingerprint: Option<String>,
        /// Where to write the tree
        #[arg(long, value_name = "DIR")]
        directory: PathBuf,
        /// The domain [default: each domain of the key's user IDs]
        #[arg(long)]
        domain: Option<String>,
    },
    /// Import certificates, secret keys and revocation certificates (armored or binary)
    Import {
        /// Files to read; "-" reads standard input
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List every certificate with its user IDs and their validity
    List {
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print a certificate, armored (local certifications left out)
    Export {
        /// The certificate's fingerprint (or key ID)
        #[arg(value_name = "FPR")]
        fingerprint: String,
    },
    /// Certify that USERID belongs to FPR, with your own key (a local certification, never exported)
    Certify {
        /// The certificate to certify (fingerprint or key ID)
        #[arg(value_name = "FPR")]
        fingerprint: String,
        /// One of its user IDs, exactly as `key list` shows it
        #[arg(value_name = "USERID")]
        user_id: String,
        /// Your own key to certify with [default: your only key]
        #[arg(long, value_name = "FPR")]
        key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum HookCommand {
    /// Called by the Composer plugin for each package, before it is installed
    Composer {
        /// The downloaded dist archive
        #[arg(long, conflicts_with = "tree", required_unless_present = "tree")]
        archive: Option<PathBuf>,
        /// The installed tree, for packages without an archive (path repositories)
        #[arg(long)]
        tree: Option<PathBuf>,
        /// Also extract the verified files of --archive into DIR (a new folder),
        /// removed again unless the package meets the policy: Composer then installs these
        #[arg(long, value_name = "DIR", requires = "archive")]
        extract_to: Option<PathBuf>,
        /// The package's Composer name (vendor/name)
        #[arg(long)]
        name: String,
        /// The package's version, as composer.lock records it
        #[arg(long = "version", value_name = "VERSION")]
        pkg_version: String,
        /// The package's upstream git repository (Composer's source URL), for --git
        #[arg(long, value_name = "URL")]
        source_url: Option<String>,
        /// The commit the release was built from (Composer's source reference), for --git
        #[arg(long, value_name = "COMMIT", requires = "source_url")]
        source_reference: Option<String>,
        #[command(flatten)]
        trust: MinTrustArgs,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        git: GitArgs,
    },
    /// Called by the mix task: verifies the project's mix.lock (found from the working directory)
    Mix {
        /// The lockfile [default: mix.lock in the nearest folder holding one]
        #[arg(long)]
        lockfile: Option<PathBuf>,
        #[command(flatten)]
        trust: MinTrustArgs,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        git: GitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TrustCommand {
    /// Set how far you trust a key's owner to certify other keys
    Set {
        /// The key's fingerprint (or key ID)
        #[arg(value_name = "FPR")]
        fingerprint: String,
        /// ultimate, full, marginal, never or unknown
        #[arg(value_name = "LEVEL")]
        level: TrustLevel,
        /// Needed to give `ultimate` to a key that is not one of your own: it
        /// then authenticates others exactly like your own key does
        #[arg(long)]
        confirm_ultimate: bool,
    },
    /// Every owner-trust setting, and which keys are trust roots
    List {
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
    },
    /// Read owner trust from `gpg --export-ownertrust` output ("-" for stdin)
    ImportGpg {
        /// The file `gpg --export-ownertrust` wrote ("-" for stdin)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Show the paths that authenticate a key's user IDs, or why none does
    Explain {
        /// The key's fingerprint (or key ID)
        #[arg(value_name = "FPR")]
        fingerprint: String,
        /// Print the explanation as JSON
        #[arg(long)]
        json: bool,
    },
}

/// Who the package is, where the package cannot say it itself.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct IdentityArgs {
    /// hex or composer [default: from the package's form]
    #[arg(long, value_parser = parse_ecosystem)]
    pub(crate) ecosystem: Option<Ecosystem>,
    /// The package's name [default: from its metadata]
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The package's version [default: from its metadata; Composer zips carry none]
    #[arg(long = "version", value_name = "VERSION")]
    pub(crate) pkg_version: Option<String>,
    /// Read a directory as the files it holds, even in a git work tree (where the
    /// default is what `git archive HEAD` exports: tracked files, export-ignore honoured)
    #[arg(long)]
    pub(crate) plain: bool,
}

#[derive(Debug, Args, Default, Clone)]
pub(crate) struct MinTrustArgs {
    /// Require a good signature at this trust or above (never, unknown, marginal, full, ultimate)
    #[arg(long, env = "PGP_PKG_MIN_TRUST", value_name = "LEVEL")]
    pub(crate) min_trust: Option<TrustLevel>,
}

/// Where certificates are looked up.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct KeyserverArgs {
    /// A keyserver (HKP), https://HOST[:PORT]; repeatable [default: PGP_PKG_KEYSERVERS,
    /// else the home's config.toml, else https://keys.openpgp.org]
    #[arg(long = "keyserver", value_name = "URL")]
    pub(crate) keyservers: Vec<String>,
}

/// `--fetch-keys`: look up signers that are not in the keyring, and refresh
/// expired or revoked ones once, before judging them.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct FetchArgs {
    /// Look up unknown signers (keyservers, WKD) and refresh expired or revoked ones
    /// before judging them; fetched keys get no trust for being fetched
    #[arg(long, env = "PGP_PKG_FETCH_KEYS", action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) fetch_keys: bool,
    #[command(flatten)]
    pub(crate) servers: KeyserverArgs,
}

/// `--git`: upstream release tags and commits as a second kind of author
/// signature (docs/git-evidence.md).
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct GitArgs {
    /// Also use the OpenPGP signature on each release's tag (or its commit) in the
    /// package's upstream git repository, and check the installed files against it
    #[arg(long, env = "PGP_PKG_GIT", action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) git: bool,
}

fn parse_ecosystem(s: &str) -> Result<Ecosystem, String> {
    Ecosystem::parse(s).map_err(|e| e.to_string())
}
