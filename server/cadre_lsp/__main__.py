"""`python -m cadre_lsp` is the `cadre-lsp` command (editors that prefer an interpreter use this)."""

import sys

from .cli import main

sys.exit(main())
