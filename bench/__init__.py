"""Benchmarks (not tests): each `bench/bench_<area>.py` has `main() -> None` and prints ratios against a
baseline measured in the same run."""
