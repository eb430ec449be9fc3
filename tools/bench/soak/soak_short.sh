#!/usr/bin/env bash
# A short, bounded soak: exits non-zero on any lost or reordered entry, failed
# call, or subscriber that stayed and missed an entry.
set -euo pipefail
"$1" --seconds=6 --report_every=2 --rate=200 --http_watchers=10 --grpc_watchers=3 \
  --churners=2 --state_clients=2 --control_per_second=10
