#!/usr/bin/env bash
# The WASM every page (the end-user sign-in page included) loads, built as `cargo leptos build
# --release` builds it (profile wasm-release, wasm-bindgen), and its gzip -9 size.
# Usage: bench/wasm-size.sh   (from the repository root; prints bytes raw and gzipped)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
RUSTFLAGS="--cfg erase_components" cargo build -q -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
out="$(mktemp -d)"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name portcullis \
  "$target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
wasm="$out/portcullis_bg.wasm"
if command -v wasm-opt >/dev/null; then wasm-opt -Oz "$wasm" -o "$wasm"; fi
printf 'wasm %s bytes, gzip -9 %s bytes\n' "$(wc -c <"$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
