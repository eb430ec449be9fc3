#!/usr/bin/env bash
# Runs one test binary against a real single-node Kubernetes of its own:
# brings a cluster up with tools/kube/cluster.sh in a fresh directory, exports
# DEVLOOP_KUBE_DIR (the cluster's directory, pids under pids/), DEVLOOP_KUBECONFIG
# and DEVLOOP_REGISTRY (host:port of the cluster's loopback
# registry) and KUBECONFIG, runs "$@", and takes the cluster down again (also
# when the test fails or is killed), so a suite leaves nothing behind.
#
#   with_kube_cluster.sh path/to/test_binary [args...]
#
# The cluster's binaries must already be built (`tools/kube-cluster.sh build`,
# which tools/test.sh runs first); a missing build fails at once rather than
# starting a 20-minute compile inside a test.
set -uo pipefail

cluster=""
for c in "${TEST_SRCDIR:-}/${TEST_WORKSPACE:-__main__}/tools/kube/cluster.sh" \
         "$(dirname "$0")/../../tools/kube/cluster.sh"; do
  [ -x "$c" ] && { cluster="$c"; break; }
done
[ -n "$cluster" ] || { echo "with_kube_cluster: tools/kube/cluster.sh not found" >&2; exit 1; }
export DEVLOOP_KUBE_NO_BUILD=1

dir="$(mktemp -d /tmp/kube-test.XXXXXX)"
down() {
  local rc=$?
  "$cluster" down "$dir" >&2 || rc=1
  [ -d "$dir/logs" ] && [ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ] &&
    cp -r "$dir/logs" "$TEST_UNDECLARED_OUTPUTS_DIR/cluster-logs" 2>/dev/null
  rm -rf "$dir"
  exit $rc
}
trap down EXIT
trap 'exit 143' TERM INT

"$cluster" up "$dir" >&2 || { echo "with_kube_cluster: the cluster did not come up" >&2; exit 1; }
export DEVLOOP_KUBE_DIR="$dir"
export DEVLOOP_KUBECONFIG="$dir/kubeconfig"
export KUBECONFIG="$dir/kubeconfig"
export DEVLOOP_REGISTRY="$(cat "$dir/registry")"
# kubectl and docker keep caches under $HOME.
export HOME="$dir/home"
mkdir -p "$HOME"
"$@"
