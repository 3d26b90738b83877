#!/usr/bin/env bash
# Build, lint, test and package the VS Code extension; exits non-zero on the first failure.
# Needs node >= 20 and npm; the only network it uses is the npm registry (npm ci).
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund
step "compile"
npm run compile
step "lint"
npm run lint
step "unit tests"
npm test
step "package"
rm -f ./*.vsix
npm run package

vsix=$(ls ./*.vsix)
# The extension cannot start without its runtime dependency: check that vsce bundled it.
list_vsix() {
  if command -v unzip >/dev/null; then unzip -l "$1"; else python3 -m zipfile -l "$1"; fi
}
if ! list_vsix "$vsix" | grep -q 'extension/node_modules/vscode-languageclient/lib/node/main.js'; then
  echo "error: $vsix does not contain node_modules/vscode-languageclient" >&2
  exit 1
fi
step "ok: $vsix ($(du -k "$vsix" | cut -f1) KiB)"
