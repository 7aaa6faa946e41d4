#!/usr/bin/env bash
# Runs one fuzz target (or all) for a while, seeding its corpus from the
# repository's test fixtures. Needs nightly Rust and cargo-fuzz:
#   cargo install cargo-fuzz
#   fuzz/run.sh zip_reader 600     # one target, 600 s
#   fuzz/run.sh all 300            # every target, 300 s each
# Findings land in fuzz/artifacts/TARGET/; see docs/development.md.
set -euo pipefail
cd "$(dirname "$0")"
root=..
seconds=${2:-60}

seed() {
  local target=$1 dir=corpus/$1
  mkdir -p "$dir"
  case $target in
    zip_reader) cp $root/tests/fixtures/composer/*.zip "$dir"/ ;;
    hex_reader) cp $root/tests/fixtures/hex/*.tar "$dir"/ ;;
    mix_lock) cp $root/examples/project/mix.lock "$dir"/ ;;
    composer_lock) cp $root/examples/project/composer.lock "$dir"/ ;;
    checksum_file) find $root/examples -name '*.checksums' -exec cp {} "$dir"/ \; ;;
    policy_file) printf 'min_trust = "full"\nallow_unsigned = ["hex/bar"]\n[signers]\n"hex/foo" = ["0123456789ABCDEF0123456789ABCDEF01234567"]\n' > "$dir/policy.toml" ;;
    signatures) find $root/examples -name '*.asc' -exec cp {} "$dir"/ \; ;;
  esac
}

targets=$1
[ "$targets" = all ] && targets="zip_reader hex_reader mix_lock composer_lock checksum_file policy_file signatures"
# FUZZ_BIN=DIR runs prebuilt targets from DIR instead of building them
# (useful while the sources change under a long run).
for t in $targets; do
  seed "$t"
  mkdir -p "artifacts/$t"
  opts=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="artifacts/$t/")
  if [ -n "${FUZZ_BIN:-}" ]; then
    "$FUZZ_BIN/$t" "corpus/$t" "${opts[@]}"
  else
    cargo +nightly fuzz run "$t" "corpus/$t" -- "${opts[@]}"
  fi
done
