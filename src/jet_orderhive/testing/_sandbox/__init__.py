"""Private machinery of :class:`jet_orderhive.testing.JetSandbox`: state, routing, faults."""
