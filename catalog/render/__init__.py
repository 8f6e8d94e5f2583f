"""Rendering: pure functions from the catalog to Markdown page strings (no MkDocs needed)."""
