"""The certification suites, one package per standard."""
