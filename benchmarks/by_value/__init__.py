"""Workloads for benchmarks/bench_by_value.py (pickling functions and classes by value)."""
