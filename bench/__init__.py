"""Benchmarks and proofs under load: `python -m bench` (raw broker versus the full pipeline),
`python -m bench.crash` (kill -9 under load, nothing lost or duplicated)."""
