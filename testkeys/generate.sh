#!/usr/bin/env bash
# Regenerates the TEST-ONLY keys in this folder with GnuPG. They were generated
# once and committed; tests rely on their fingerprints staying the same, so run
# this only to replace them all, then update tests/common/mod.rs.
#
# NEVER use these keys for anything real: their secret parts are public.
set -euo pipefail
cd "$(dirname "$0")"
export GNUPGHOME=$(mktemp -d)
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
g() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }

fpr_of() { gpg --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10; exit}'; }

export_pair() { # name uid
  local fpr; fpr=$(fpr_of "$2")
  gpg --armor --export "$fpr" > "$1.pub.asc"
  g --armor --export-secret-keys "$fpr" > "$1.sec.asc"
  echo "$1 $fpr"
}

# Alice: one Ed25519 key that certifies and signs.
g --quick-generate-key "Alice Author (TEST KEY) <alice@example.org>" ed25519 sign,cert never
# Bob: RSA-3072 primary for certification, RSA-3072 signing subkey.
g --quick-generate-key "Bob Builder (TEST KEY) <bob@example.org>" rsa3072 cert never
g --quick-add-key "$(fpr_of bob@example.org)" rsa3072 sign never
# Carol: Ed25519 primary for certification, Ed25519 signing subkey.
g --quick-generate-key "Carol Coder (TEST KEY) <carol@example.org>" ed25519 cert never
g --quick-add-key "$(fpr_of carol@example.org)" ed25519 sign never
# Mallory: a stranger nobody trusts.
g --quick-generate-key "Mallory Stranger (TEST KEY) <mallory@example.org>" ed25519 sign,cert never

{
  export_pair alice alice@example.org
  export_pair bob bob@example.org
  export_pair carol carol@example.org
  export_pair mallory mallory@example.org
} > FINGERPRINTS


# Dave: RSA-8192, beyond what the pure-Rust backend verifies (a clear refusal is
# tested). --quick-generate-key caps RSA at 4096, so a parameter file it is.
g --enable-large-rsa --full-generate-key <(printf '%s\n' '%no-protection' 'Key-Type: RSA' \
  'Key-Length: 8192' 'Key-Usage: sign,cert' 'Name-Real: Dave Bigkey (TEST KEY)' \
  'Name-Email: dave@example.org' 'Expire-Date: 0' '%commit')
export_pair dave dave@example.org >> FINGERPRINTS
cat FINGERPRINTS
