"""`python -m cadre_lsp.lsp [--config FILE] [--tcp HOST:PORT]`: run the language server (stdio by default)."""

from __future__ import annotations

import argparse
import sys

from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cadre_lsp.lsp", description=__doc__)
    parser.add_argument("--config", dest="config_path", help="config file layered over the defaults")
    parser.add_argument("--tcp", help="listen on HOST:PORT instead of stdio")
    args = parser.parse_args(argv)
    return serve(tcp=args.tcp, config_path=args.config_path)


if __name__ == "__main__":
    sys.exit(main())
