#!/usr/bin/env bash
# devloop's main job: set-up, then `devloop dev` on the bundled getting-started
# example. Extra arguments go to `devloop dev` (for example --rpc-port=0).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
testing/examples/prepare.sh   # the example images need busybox in their contexts
cd testing/examples/getting-started
exec bazel run //apps:devloop -- dev "$@"
