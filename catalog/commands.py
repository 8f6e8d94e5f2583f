"""Subcommands beyond `validate`; each is a thin wrapper around a stage module."""

from __future__ import annotations
