#!/usr/bin/env bash
# The WASM the end-user pages (sign-in, consent, device) load, as `./x run` builds it
# (`cargo leptos build --release --split`): the main module, raw and gzip -9, and the console's
# lazily loaded chunks beside it.
# Usage: bench/wasm-size.sh   (SPLIT=0 builds without --split, as before the console was split out)
set -euo pipefail
cd "$(dirname "$0")/.."
# Release builds run wasm-opt: the one `./x run` installs (binaryen from npm into .tools/).
if ! command -v wasm-opt >/dev/null; then
  [ -x .tools/node_modules/.bin/wasm-opt ] ||
    npm install --silent --no-audit --no-fund --prefix .tools "binaryen@$(sed -n 's/^BINARYEN_VERSION=//p' x)"
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi
flags=(--release --frontend-only)
[ "${SPLIT:-1}" = 0 ] || flags+=(--split)
cargo leptos build "${flags[@]}" >/dev/null 2>&1 || cargo leptos build "${flags[@]}"
pkg="${LEPTOS_SITE_ROOT:-target/site}/pkg"
main="$pkg/portcullis.wasm"
printf 'main module: %s bytes, gzip -9 %s bytes\n' "$(wc -c <"$main")" "$(gzip -9 -c "$main" | wc -c)"
for chunk in "$pkg"/*.wasm; do
  [ "$chunk" = "$main" ] && continue
  printf '  lazy chunk %s: gzip -9 %s bytes\n' "$(basename "$chunk")" "$(gzip -9 -c "$chunk" | wc -c)"
done
