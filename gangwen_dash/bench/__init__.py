"""Benchmarks (``python -m gangwen_dash bench <name>``): they print figures; they are not timed tests."""
