"""Tests of the language server (cadre_lsp.lsp): unit tests of its parts and pytest-lsp end-to-end tests."""
