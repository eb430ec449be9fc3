//go:build tools

// The helm CLI that tools/helm/build.sh builds, for `helm template` in the
// kubectl deployer's tests.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
