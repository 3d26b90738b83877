#!/usr/bin/env bash
# Build, lint, test and package the VS Code extension; exits non-zero on the first failure.
# Needs node >= 20 and npm; the only network it uses is the npm registry (npm ci). The smoke test
# uses $CADRE_SMOKE_PYTHON or the repository's .venv (a Python with pygls) and skips without one.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*"; }

step "npm ci"
npm ci --no-audit --no-fund
step "compile"
npm run compile
step "lint"
npm run lint
step "unit tests"
npm test
step "smoke test (skips itself without a Python that has pygls)"
npm run smoke
step "bundle the cadre-lsp wheel (for 'cadre: Install Server')"
rm -rf server
py=${CADRE_SMOKE_PYTHON:-../../.venv/bin/python}
if [ -x "$py" ] || command -v "$py" >/dev/null 2>&1; then
  "$py" -m pip wheel -q --no-deps ../.. -w server || { echo "!! no wheel bundled: Install Server will use the package index" >&2; rm -rf server; }
else
  echo "!! no Python to build the wheel: Install Server will use the package index" >&2
fi
step "package"
rm -f ./*.vsix
npm run package

vsix=$(ls ./*.vsix)
# The extension cannot start without its runtime dependency: check that vsce bundled it.
# (grep reads the whole listing: with -q it would quit early and pipefail would see SIGPIPE.)
list_vsix() {
  if command -v unzip >/dev/null; then unzip -l "$1"; else python3 -m zipfile -l "$1"; fi
}
if ! list_vsix "$vsix" | grep 'extension/node_modules/vscode-languageclient/lib/node/main.js' >/dev/null; then
  echo "error: $vsix does not contain node_modules/vscode-languageclient" >&2
  exit 1
fi
step "ok: $vsix ($(du -k "$vsix" | cut -f1) KiB)"
