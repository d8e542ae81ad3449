"""Orderhive-shaped domain models: attrs records with no I/O."""
