"""Fixtures every test folder shares: the throwaway PostgreSQL server (see postgres_server.py)."""

from __future__ import annotations

from postgres_server import postgres_conninfo, postgres_server

__all__ = ["postgres_conninfo", "postgres_server"]
