#!/usr/bin/env bash
# A real single-node Kubernetes for devloop's tests, built from Go modules offline:
#
#   tools/kube-cluster.sh build      # once per version, into ~/.cache/devloop/kube
#   tools/kube-cluster.sh up DIR     # writes DIR/kubeconfig and DIR/registry
#   tools/kube-cluster.sh down DIR   # stops it and leaves nothing behind
#
# The implementation and its pinned Go modules live in tools/kube/ (cluster.sh),
# so that Bazel tests can depend on them as one package.
exec "$(dirname "${BASH_SOURCE[0]}")/kube/cluster.sh" "$@"
