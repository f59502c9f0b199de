"""Benchmarks of softr-orm, each run beside a baseline in the same process.

Run them all with ``python -m benchmarks``; see docs/performance.md. They are not tests.
"""
