"""The language server: pygls 2 features over the pipeline (see server.py for the registration point)."""
