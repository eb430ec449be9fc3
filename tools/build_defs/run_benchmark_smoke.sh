#!/usr/bin/env bash
# Runs a benchmark binary with a tiny time budget: it must start, run every
# benchmark and exit 0. Numbers are not checked here (see docs/BENCHMARKS.md).
set -euo pipefail
exec "$1" --benchmark_min_time=0.001 >/dev/null
