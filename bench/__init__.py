"""Benchmarks (not tests): each `bench/bench_<area>.py` has `main(results, scale)` and records its figures
through `bench.results.Results`, each against a baseline measured in the same run (`python -m bench`)."""
