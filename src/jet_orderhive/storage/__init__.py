"""The Storage protocol and its reference adapters."""
