"""Pure mapping functions between Jet wire models and Orderhive records."""
