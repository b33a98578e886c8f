"""Benchmarks against the performance budgets in bench/README.md."""
