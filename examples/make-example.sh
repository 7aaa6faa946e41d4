#!/usr/bin/env bash
# Rebuilds the shipped example from the test keys and the Hex fixtures:
# a home that trusts Alice (her key is the user's own) and knows Mallory,
# a release Alice signed, and the same release altered after signing.
set -euo pipefail
cd "$(dirname "$0")"
bin=${PGP_PKG_BIN:-../target/debug/pgp-pkg}
rm -rf home packages
mkdir -p packages
export PGP_PKG_HOME=$PWD/home
"$bin" key import ../testkeys/alice.sec.asc ../testkeys/mallory.pub.asc >/dev/null
cp ../tests/fixtures/hex/foo-1.0.0.tar packages/
"$bin" sign packages/foo-1.0.0.tar
# A swapped release: foo 1.0.1 (a changed lib/foo.ex) served with 1.0.0's
# signature, as a compromised registry or mirror might.
cp ../tests/fixtures/hex/foo-1.0.1.tar packages/foo-1.0.1.tar
cp packages/foo-1.0.0.tar.asc packages/foo-1.0.1.tar.asc
cp packages/foo-1.0.0.tar.checksums packages/foo-1.0.1.tar.checksums
rm -f home/lock
