"""Benchmarks (not tests): ``python -m bench <name>`` prints figures and ratios to a raw baseline."""
