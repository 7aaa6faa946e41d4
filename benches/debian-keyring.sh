#!/usr/bin/env bash
# Web-of-trust figures on real data, pgp-pkg next to GnuPG, in one run, and
# the binding-by-binding comparison with every difference classified.
# Needs: apt-get install debian-keyring gnupg python3; cargo build --release.
# Prints the rows of docs/performance.md's web-of-trust table.
set -euo pipefail
cd "$(dirname "$0")/.."
keyring=${KEYRING:-/usr/share/keyrings/debian-keyring.gpg}
bin=${PGP_PKG_BIN:-target/release/pgp-pkg}
work=$(mktemp -d /tmp/bench.XXXXXX)
trap 'gpgconf --homedir "$work/gpg" --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export GNUPGHOME=$work/gpg PGP_PKG_HOME=$work/pgp-pkg
mkdir -m 700 "$GNUPGHOME"

secs() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }

gpg_import=$(secs gpg --batch --quiet --import "$keyring")
# The five most prolific certifiers, by gpg's count of third-party certifications.
gpg --batch --with-colons --list-sigs 2>/dev/null | python3 -c '
import sys, collections
count, fpr_of, key, self_ids = collections.Counter(), {}, None, set()
for line in sys.stdin:
    f = line.split(":")
    if f[0] == "pub": key, self_ids = f[4], {f[4]}
    elif f[0] == "fpr" and key and key not in fpr_of: fpr_of[key] = f[9]
    elif f[0] == "sub": self_ids.add(f[4])
    elif f[0] == "sig" and f[4] not in self_ids: count[f[4]] += 1
roots = [fpr_of[kid] for kid, _ in count.most_common(50) if kid in fpr_of][:5]
print("".join(r + ":6:\n" for r in roots), end="")
' > "$work/roots.txt"
# SETUP=introducers (the default): your own key certifies those five, which
# get full owner trust (depth-2 paths). SETUP=roots: the five are ultimate.
if [ "${SETUP:-introducers}" = introducers ]; then
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-generate-key "Own Key <own@example.org>" ed25519 sign,cert never
  own=$(gpg --batch --with-colons --list-keys own@example.org | awk -F: '/^fpr/ {print $10; exit}')
  while IFS=: read -r fpr _; do
    gpg --batch --quiet --pinentry-mode loopback --passphrase '' --default-key "$own" --quick-sign-key "$fpr" 2>/dev/null || true
  done < "$work/roots.txt"
  sed -i 's/:6:$/:5:/' "$work/roots.txt"
  echo "$own:6:" >> "$work/roots.txt"
  gpg --batch --quiet --export --export-options export-local-sigs > "$work/export.pgp"
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' --export-secret-keys "$own" > "$work/own.sec"
  keyring=$work/export.pgp
fi
gpg --batch --quiet --import-ownertrust "$work/roots.txt"
gpg_trustdb=$(secs gpg --batch --check-trustdb)

pgp_import=$(secs env -u RUST_BACKTRACE "$bin" key import "$keyring")
# The same import with RUST_BACKTRACE=1 (as CI shells often have): must cost nothing extra.
pgp_import_bt=$(secs env RUST_BACKTRACE=1 "$bin" --home "$work/bt-home" key import "$keyring")
[ -f "$work/own.sec" ] && "$bin" key import "$work/own.sec" >/dev/null
"$bin" trust import-gpg "$work/roots.txt" >/dev/null
pgp_full_cold=$(secs "$bin" key list --json)
pgp_full=$(secs "$bin" key list --json)

# One key's trust, as verify needs it: a package signed by a key in the keyring.
"$bin" key import testkeys/alice.sec.asc >/dev/null
cp tests/fixtures/hex/foo-1.0.0.tar "$work/"
"$bin" sign "$work/foo-1.0.0.tar" --key 6033A8A5B5F837A98884B7D0E14BC0EF45753E99 2>/dev/null
"$bin" verify "$work/foo-1.0.0.tar" >/dev/null
pgp_verify=$(secs "$bin" verify "$work/foo-1.0.0.tar")
# A copied home (cp -a: new inodes) must keep its speed (issue 11).
cp -a "$PGP_PKG_HOME" "$work/copied-home"
pgp_copied=$(secs "$bin" --home "$work/copied-home" verify "$work/foo-1.0.0.tar")

gpg --batch --with-colons --list-sigs > "$work/gpg-sigs.txt" 2>/dev/null
"$bin" key list --json > "$work/ours.json"
# Per binding: pgp-pkg must never rank higher than gpg; every binding below
# gpg is classified by cause (docs/trust-model.md).
comparison=$(python3 benches/classify-debian.py "$work/gpg-sigs.txt" "$work/ours.json" "$work/roots.txt" || true)
echo "certificates: $(gpg --batch --list-keys --with-colons 2>/dev/null | grep -c '^pub')"
echo "gpg --import:                         $gpg_import s"
echo "gpg --check-trustdb (${SETUP:-introducers}):  $gpg_trustdb s"
echo "pgp-pkg key import (checks all certifications once): $pgp_import s"
echo "pgp-pkg key import with RUST_BACKTRACE=1: $pgp_import_bt s"
echo "pgp-pkg full validity, after an owner-trust change: $pgp_full_cold s"
echo "pgp-pkg full validity, warm (key list --json): $pgp_full s"
echo "pgp-pkg verify (one signer's trust):  $pgp_verify s"
echo "pgp-pkg verify, first call in a copied home: $pgp_copied s"
echo "$comparison"
