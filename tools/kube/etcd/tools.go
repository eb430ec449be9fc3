//go:build tools

// The etcd server that tools/kube-cluster.sh builds (the module's root package is
// its main).
package tools

import _ "go.etcd.io/etcd/server/v3"
