"""Benchmarks against DESIGN.md's performance budgets; see bench/README.md."""
