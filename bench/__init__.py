"""Benchmarks and search-quality evaluation (`python -m bench …`); never part of the test suite."""
