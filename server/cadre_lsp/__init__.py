"""cadre-lsp: a language server that routes editor requests to a cadre of local models."""

__version__ = "0.1.0"
