#!/usr/bin/env bash
# Runs the adapters harness in its tiny smoke mode.
set -euo pipefail
exec "$1" smoke >/dev/null
