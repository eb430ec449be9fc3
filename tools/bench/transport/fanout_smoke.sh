#!/usr/bin/env bash
# Runs the fan-out harness briefly; it exits non-zero if any subscriber missed an
# entry or saw one out of order.
set -euo pipefail
"$1" --http=20 --grpc=5 --rate=2000 --seconds=0.5
