#!/usr/bin/env bash
# Install what the real-VS Code test (tests/vscode_real) needs, offline except for the Debian, npm and
# PyPI registries: Debian's chromium (+ ripgrep, libkrb5-dev for code-server's native modules),
# code-server from npm (pinned: 4.100.3 is the newest release that runs on Node 20), and pip playwright
# into .venv (driving the system chromium: no browser download).
#
#   scripts/install-vscode-test-tools.sh [TOOLS_DIR]     (default: $CADRE_VSCODE_TOOLS or ~/.cache/cadre-vscode-test)
#
# code-server lands in TOOLS_DIR/code-server/node_modules/.bin/code-server; the test finds it there (or through
# $CADRE_CODE_SERVER, or on PATH). Re-running skips what is already installed. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.55.0
TOOLS=${1:-${CADRE_VSCODE_TOOLS:-$HOME/.cache/cadre-vscode-test}}
mkdir -p "$TOOLS"
t0=$SECONDS
step() { printf '== [vscode tools %3ds] %s\n' "$((SECONDS - t0))" "$*"; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -e /usr/include/krb5.h ] || need_apt+=(libkrb5-dev)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "!! need ${need_apt[*]} and cannot apt-get install them" >&2
    exit 1
  fi
  step "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  step "apt-get install nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

CODE_SERVER="$TOOLS/code-server/node_modules/.bin/code-server"
if [ ! -x "$CODE_SERVER" ]; then
  step "npm install code-server@$CODE_SERVER_VERSION"
  scratch=$(mktemp -d)
  # @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache holds the archive: give it
  # Debian's rg in the archive it expects.
  mkdir -p "$scratch/vscode-ripgrep-cache-1.15.11"
  tar -czf "$scratch/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" \
    -C "$(dirname "$(command -v rg)")" rg
  rm -rf "$TOOLS/code-server.partial"
  mkdir -p "$TOOLS/code-server.partial"
  echo '{"private": true}' >"$TOOLS/code-server.partial/package.json"
  # npx may fetch node-gyp (node-pty's postinstall); node headers from the nodejs package, not the
  # internet; root may run the postinstall scripts.
  (cd "$TOOLS/code-server.partial" &&
    TMPDIR="$scratch" npm_config_yes=true npm_config_nodedir=/usr npm_config_unsafe_perm=true \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION")
  rm -rf "$TOOLS/code-server" "$scratch"
  mv "$TOOLS/code-server.partial" "$TOOLS/code-server"
fi
"$CODE_SERVER" --version | head -1

if ! .venv/bin/python -c 'import playwright' 2>/dev/null; then
  step "pip install playwright==$PLAYWRIGHT_VERSION"
  .venv/bin/python -m pip install -q "playwright==$PLAYWRIGHT_VERSION"
fi
step "done"
