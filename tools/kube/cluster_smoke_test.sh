#!/usr/bin/env bash
# Brings up two real clusters side by side with tools/kube-cluster.sh, runs a tiny
# HTTP app on them the way devloop will (image pushed to the cluster's loopback
# registry, Deployment + Service, rollout, port-forward, logs, exec, copy-in,
# delete by label), then takes them down and checks nothing is left.
#
# REQUIRES: root, the Docker Engine, and binaries already built by
# `tools/kube-cluster.sh build` (a cold build takes 15-26 min: CI does it before
# the tests; this test refuses to start one).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cluster="$here/cluster.sh"
export DEVLOOP_KUBE_NO_BUILD=1

work="$(mktemp -d /tmp/kube-smoke.XXXXXX)"
# kubectl and docker keep caches under $HOME: keep them in the test's directory.
export HOME="$work/home"
mkdir -p "$HOME"
token="smoke-$(basename "$work" | cut -d. -f2)-$RANDOM"
images=()
forwards=()
checks=0

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { checks=$((checks + 1)); echo "ok $checks - $*"; }

cleanup() {
  local rc=$? pid img d
  for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done
  for d in "$work/b" "$work/a"; do
    [ -d "$d" ] && { "$cluster" down "$d" || rc=1; }
  done
  for img in "${images[@]}"; do docker rmi -f "$img" >/dev/null 2>&1 || true; done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# What the host looked like before any cluster, to compare after the last down.
sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
sysctls_before="$(sysctl "${sysctls[@]}")"
chains() { { iptables-save; ip6tables-save; } 2>/dev/null | grep '^:' | cut -d' ' -f1 | sort -u; }
chains_before="$(chains)"
host_dirs=(/var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni /run/containerd
  /run/devloop-kube /opt/cni /etc/cni /opt/containerd /usr/libexec/kubernetes)
others_before="$(cat /run/devloop-kube/clusters/* 2>/dev/null || true)"
dirs_before="$(for d in "${host_dirs[@]}"; do [ -e "$d" ] && echo "$d"; done || true)"

# --- the app: busybox httpd in a FROM scratch image -------------------------
ctx="$work/image"
mkdir -p "$ctx/bin" "$ctx/www" "$ctx/tmp"
cp /bin/busybox "$ctx/bin/busybox"
for tool in sh cat echo tar httpd ls; do ln -s busybox "$ctx/bin/$tool"; done
echo "$token" >"$ctx/www/index.html"
cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY bin /bin
COPY www /www
COPY tmp /tmp
ENTRYPOINT ["/bin/sh", "-c", "echo app-started; exec httpd -f -v -p 8080 -h /www"]
EOF

kc() { kubectl --kubeconfig "$dir/kubeconfig" --request-timeout=20s "$@"; }

# Runs one `kubectl port-forward --address 127.0.0.1 TARGET :PORT` and checks the
# app answers through it with the token.
check_forward() {  # TARGET PORT
  local out="$work/forward.$RANDOM" pid port body i
  kc port-forward --address 127.0.0.1 "$1" ":$2" >"$out" 2>&1 &
  pid=$!
  forwards+=("$pid")
  for i in $(seq 100); do
    port="$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$out")"
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$port" ] || { cat "$out" >&2; fail "port-forward $1 printed no port"; }
  body="$(curl -fsS --max-time 10 "http://127.0.0.1:$port/")" || fail "GET through $1 failed"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  [ "$body" = "$token" ] || fail "port-forward $1 answered '$body', want '$token'"
  pass "port-forward $1 answers"
}

# Deploys the app on the cluster in $dir and runs every check against it.
exercise() {  # DIR
  dir="$1"
  local registry image pod
  registry="$(cat "$dir/registry")"
  image="$registry/devloop-smoke:$token"
  # A second try when a concurrent test removed a cached layer mid-build
  # ("unknown parent image ID" from the engine's legacy builder).
  docker build -q -t "$image" "$ctx" >/dev/null || docker build -q -t "$image" "$ctx" >/dev/null
  images+=("$image")
  docker push -q "$image" >/dev/null || docker push "$image" >/dev/null
  docker rmi "$image" >/dev/null
  pass "pushed $image to the cluster's registry"

  kc apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: smoke, labels: {app: devloop-smoke}}
spec:
  replicas: 1
  selector: {matchLabels: {app: devloop-smoke}}
  template:
    metadata: {labels: {app: devloop-smoke}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: $image
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: smoke, labels: {app: devloop-smoke}}
spec:
  selector: {app: devloop-smoke}
  ports: [{port: 80, targetPort: 8080}]
EOF
  kc rollout status deployment/smoke --timeout=180s >/dev/null ||
    { kc describe pods -l app=devloop-smoke >&2; fail "rollout did not finish"; }
  pass "rollout of $image"
  pod="$(kc get pods -l app=devloop-smoke -o jsonpath='{.items[0].metadata.name}')"

  check_forward "pod/$pod" 8080
  check_forward service/smoke 80

  # Read the whole log first: with pipefail, `kubectl logs | grep -q` fails
  # whenever grep's early exit makes kubectl die of SIGPIPE on a later line.
  local i logs=""
  for i in $(seq 50); do
    logs="$(kc logs "pod/$pod" 2>&1)"
    grep -q '^app-started$' <<<"$logs" && break
    sleep 0.2
  done
  grep -q '^app-started$' <<<"$logs" ||
    fail "kubectl logs lacks the app's first line; it printed: $(head -5 <<<"$logs")"
  pass "kubectl logs"

  [ "$(kc exec "$pod" -- cat /www/index.html)" = "$token" ] || fail "kubectl exec"
  pass "kubectl exec"

  mkdir -p "$work/copy"
  echo "copied-$token" >"$work/copy/in.txt"
  tar -C "$work/copy" -cf - in.txt | kc exec -i "$pod" -- tar xf - -C /tmp
  [ "$(kc exec "$pod" -- cat /tmp/in.txt)" = "copied-$token" ] || fail "copy-in"
  pass "kubectl exec -i ... tar x copies a file in"
}

delete_app() {  # DIR
  dir="$1"
  kc delete deployment,service -l app=devloop-smoke --wait=true >/dev/null
  kc wait --for=delete pod -l app=devloop-smoke --timeout=60s >/dev/null 2>&1 || true
  [ -z "$(kc get deployment,service,pods -l app=devloop-smoke -o name)" ] ||
    fail "objects labelled app=devloop-smoke remain"
  pass "delete by label"
}

# Takes the cluster in DIR down and checks it left nothing of its own.
down_and_check() {  # DIR
  local d="$1" pids bridge cgroup id registry_port p
  pids="$(cat "$d"/pids/*.pid)"
  bridge="$(sed -n 's/^BRIDGE=//p' "$d/cluster.env")"
  cgroup="$(sed -n 's/^CGROUP=//p' "$d/cluster.env")"
  id="$(sed -n 's/^ID=//p' "$d/cluster.env")"
  registry_port="$(cut -d: -f2 "$d/registry")"
  "$cluster" down "$d"
  for p in $pids; do
    [ ! -e "/proc/$p" ] || grep -q '^State:.*Z' "/proc/$p/status" ||
      fail "pid $p of $d still runs"
  done
  for p in $(grep -lsaF -- "$d/" /proc/[0-9]*/cmdline || true); do
    [ "$p" = "/proc/$$/cmdline" ] || [ "$p" = /proc/self/cmdline ] ||
      fail "process $p still names $d: $(tr '\0' ' ' 2>/dev/null <"$p")"
  done
  [ -z "$(findmnt -rn -o TARGET | grep -F -- "$d/")" ] || fail "mounts remain under $d"
  ! ip link show "$bridge" >/dev/null 2>&1 || fail "bridge $bridge remains"
  [ -z "$(find /sys/fs/cgroup -maxdepth 2 -name "$cgroup")" ] || fail "cgroup $cgroup remains"
  [ -z "$(ss -Hltn "sport = :$registry_port")" ] || fail "the registry still listens"
  [ ! -e "/run/devloop-kube/clusters/$id" ] || fail "$d is still registered"
  [ ! -e "$d/containerd" ] || fail "the containerd state (images) of $d remains"
  "$cluster" down "$d" || fail "a second down failed"
  pass "down $d left no process, mount, bridge, cgroup, registry or image"
}

# --- cluster a ---------------------------------------------------------------
"$cluster" up "$work/a"
pass "up a"
exercise "$work/a"

# --- cluster b beside it ----------------------------------------------------
"$cluster" up "$work/b"
pass "up b beside a"
for key in BRIDGE CGROUP SUBNET APISERVER_PORT REGISTRY_PORT; do
  [ "$(grep "^$key=" "$work/a/cluster.env")" != "$(grep "^$key=" "$work/b/cluster.env")" ] ||
    fail "a and b share $key"
done
pass "a and b have their own bridge, cgroup, subnet and ports"
exercise "$work/b"
delete_app "$work/b"
down_and_check "$work/b"

# Taking b down must not have disturbed a.
dir="$work/a"
check_forward service/smoke 80
delete_app "$work/a"
down_and_check "$work/a"

# --- the host is as it was ----------------------------------------------------
# Only when no other cluster runs here: the last one down restores the host.
others="$(cat /run/devloop-kube/clusters/* 2>/dev/null || true)"
if [ -n "$others" ] || [ -n "$others_before" ]; then
  echo "PASS: $checks checks (host state not compared: other clusters run: $others_before $others)"
  exit 0
fi
[ "$(sysctl "${sysctls[@]}")" = "$sysctls_before" ] || fail "sysctls not restored"
[ "$(chains)" = "$chains_before" ] || fail "iptables chains differ: $(diff <(echo "$chains_before") <(chains))"
dirs_after="$(for d in "${host_dirs[@]}"; do [ -e "$d" ] && echo "$d"; done || true)"
[ "$dirs_after" = "$dirs_before" ] || fail "host directories differ: before [$dirs_before] after [$dirs_after]"
pass "sysctls, iptables chains and host directories are as before"
echo "PASS: $checks checks"
