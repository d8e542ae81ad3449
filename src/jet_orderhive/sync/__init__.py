"""The sync engine: import orders, push status, stock and prices."""
