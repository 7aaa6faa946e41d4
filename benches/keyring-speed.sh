#!/usr/bin/env bash
# Keyring speed on a Debian-sized home, pgp-pkg beside gpg in one run
# (docs/performance.md, "A keyring that grows"). Every row is wall time and
# peak RSS of one command, release build, RUST_BACKTRACE unset unless said.
# Needs: apt-get install debian-keyring gnupg; cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/.."
keyring=${KEYRING:-/usr/share/keyrings/debian-keyring.gpg}
bin=$(realpath "${PGP_PKG_BIN:-target/release/pgp-pkg}")
work=$(mktemp -d /tmp/keyring-speed.XXXXXX)
trap 'for h in "$work"/gpg*; do gpgconf --homedir "$h" --kill all >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
export GNUPGHOME=$work/gpg PGP_PKG_HOME=$work/pgp-pkg
unset RUST_BACKTRACE
mkdir -m 700 "$GNUPGHOME" "$work/gpg-author"
gpgq() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }

# "SECONDS s, RSS MB" of one command.
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" ||
    { echo "FAILED: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  awk '{ printf "%5.2f s %4d MB", $1, $2 / 1024 }' "$work/time"
}
row() { printf '%-44s | gpg %s | pgp-pkg %s\n' "$1" "$2" "$3"; }

# An own key in both tools, certifying the five most prolific certifiers
# (full owner trust), as benches/debian-keyring.sh does.
g_import=$(measure gpg --batch --quiet --import "$keyring")
p_import=$(measure "$bin" key import "$keyring")
row "import the whole keyring" "$g_import" "$p_import"
gpgq --quick-generate-key "Own Key <own@example.org>" ed25519 sign,cert never 2>/dev/null
own=$(gpg --batch --with-colons --list-keys own@example.org | awk -F: '/^fpr/ {print $10; exit}')
gpgq --export-secret-keys "$own" > "$work/own.sec"
"$bin" key import "$work/own.sec" >/dev/null
# The five most prolific certifiers among the keys still usable (neither
# expired nor revoked: this keyring is from 2022).
gpg --batch --with-colons --list-sigs 2>/dev/null | awk -F: '
  $1 == "pub" { key = $5; self[key] = 1; usable[key] = ($2 !~ /[erdi]/) }
  $1 == "sub" { self[$5] = 1 }
  $1 == "fpr" && !(key in fpr) { fpr[key] = $10 }
  $1 == "sig" && !($5 in self) { n[$5]++ }
  END { for (k in n) if ((k in fpr) && usable[k]) print n[k], fpr[k] }' | sort -rn |
  awk 'NR <= 5 { print $2 }' > "$work/roots" # reads all: no SIGPIPE under pipefail
"$bin" key list --json > "$work/keys.json"
while read -r fpr; do
  gpgq --default-key "$own" --quick-lsign-key "$fpr" >/dev/null 2>&1
  uid=$(python3 -c 'import json, sys
keys = {k["fingerprint"]: k for k in json.load(open(sys.argv[1]))}
print(next(u["user_id"] for u in keys[sys.argv[2]]["user_ids"] if not u.get("revoked")))' "$work/keys.json" "$fpr")
  "$bin" key certify "$fpr" "$uid" >/dev/null
  echo "$fpr:5:" >> "$work/ownertrust"
done < "$work/roots"
gpg --batch --quiet --import-ownertrust "$work/ownertrust" 2>/dev/null
"$bin" trust import-gpg "$work/ownertrust" >/dev/null
g_check=$(measure gpg --batch --check-trustdb)

# One new author, certified by one of the five: import it into the big ring.
export GNUPGHOME=$work/gpg-author
gpgq --quick-generate-key "New Author <author@example.org>" ed25519 sign,cert 1y 2>/dev/null
author=$(gpg --batch --with-colons --list-keys author@example.org | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --armor --export "$author" > "$work/author.asc"
gpgq --export-secret-keys "$author" > "$work/author.sec"
export GNUPGHOME=$work/gpg
row "import one key into it" "$(measure gpg --batch --quiet --import "$work/author.asc")" \
  "$(measure "$bin" key import "$work/author.asc")"
row "certify it" "$(measure gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --default-key "$own" --quick-lsign-key "$author")" \
  "$(measure "$bin" key certify "$author" "New Author <author@example.org>")"
# Validity of every binding, recomputed: gpg after the owner-trust import,
# pgp-pkg after an owner-trust change (its snapshots are then stale; setting
# a value and back would not do: the snapshots match the file by content).
first=$(head -1 "$work/roots")
"$bin" trust set "$first" marginal >/dev/null # a real change: the rest of the run keeps it
row "validity of every binding, recomputed" "$g_check" "$(measure "$bin" key list --json)"
gpg --batch --check-trustdb 2>/dev/null
row "key list" "$(measure gpg --batch --list-keys)" "$(measure "$bin" key list)"
row "trust explain (gpg: list one key)" "$(measure gpg --batch --list-keys "$first")" \
  "$(measure "$bin" trust explain "$first")"
export GNUPGHOME=$work/gpg-author
gpgq --quick-generate-key "Another Author <another@example.org>" ed25519 sign,cert 1y 2>/dev/null
gpg --batch --armor --export another@example.org > "$work/another.asc"
export GNUPGHOME=$work/gpg
row "import one key, RUST_BACKTRACE=1" "-" "$(measure env RUST_BACKTRACE=1 "$bin" key import "$work/another.asc")"

# A package signed by the new author.
"$bin" --home "$work/author-home" key import "$work/author.sec" >/dev/null
cp tests/fixtures/hex/foo-1.0.0.tar "$work/"
"$bin" --home "$work/author-home" sign "$work/foo-1.0.0.tar" >/dev/null 2>&1
"$bin" checksum "$work/foo-1.0.0.tar" > "$work/CHECKSUMS"
cp "$work/foo-1.0.0.tar.asc" "$work/CHECKSUMS.asc"
"$bin" verify "$work/foo-1.0.0.tar" >/dev/null
row "verify one package (gpg: --verify)" "$(measure gpg --batch --verify "$work/CHECKSUMS.asc" "$work/CHECKSUMS")" \
  "$(measure "$bin" verify "$work/foo-1.0.0.tar")"
cp -a "$PGP_PKG_HOME" "$work/copied-home"
row "verify, first call in a copied home" "-" \
  "$(measure "$bin" --home "$work/copied-home" verify "$work/foo-1.0.0.tar")"

# An expiry inside the network: a certified key that expires in 20 seconds.
export GNUPGHOME=$work/gpg-author
gpgq --quick-generate-key "Short Lived <short@example.org>" ed25519 sign,cert seconds=20 2>/dev/null
short=$(gpg --batch --with-colons --list-keys short@example.org | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --armor --export "$short" > "$work/short.asc"
export GNUPGHOME=$work/gpg
"$bin" key import "$work/short.asc" >/dev/null
"$bin" key certify "$short" "Short Lived <short@example.org>" >/dev/null
"$bin" verify "$work/foo-1.0.0.tar" >/dev/null
sleep 21
row "verify, first call after an expiry" "-" "$(measure "$bin" verify "$work/foo-1.0.0.tar")"
row "verify, the call after that" "-" "$(measure "$bin" verify "$work/foo-1.0.0.tar")"
