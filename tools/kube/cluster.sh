#!/usr/bin/env bash
# A real single-node Kubernetes for devloop's tests, built from Go modules offline.
#
#   tools/kube-cluster.sh build        # compile once per version into ~/.cache/devloop/kube
#   tools/kube-cluster.sh up DIR       # start a cluster whose state lives under DIR
#   tools/kube-cluster.sh down DIR     # stop it and remove everything it created
#
# build: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubelet
#   from the modules pinned in tools/kube/{etcd,k8s}/go.{mod,sum} (GOSUMDB=off,
#   -mod=readonly), plus Kubernetes' pause binary from the module's pause.c. A cache
#   hit (the stamp file, written last) returns at once. A cold build takes 15-26 min
#   on 2 cores; every compiler runs under `nice -n 19`.
# up: its own containerd (own root, state and socket under DIR; Docker's containerd
#   is never touched), a CNI bridge unique to DIR, a registry on loopback, then the
#   control plane and the kubelet on free loopback ports. Writes DIR/kubeconfig and
#   DIR/registry (host:port) and returns once node "localhost" is Ready and the
#   default ServiceAccount exists. Every pid it starts is in DIR/pids/<name>.pid.
#   Several clusters can run side by side (ports, bridge, pod CIDR and cgroup parent
#   are all per DIR).
# down: stops what up started, by pid (and the runc shims and containers it left,
#   found by socket and cgroup), then removes mounts under DIR, the bridge, the
#   cluster's cgroups, and DIR's state (containerd root with its images, etcd data,
#   registry storage, certificates); DIR/logs stays. The host-wide changes (sysctls
#   the kubelet sets, host directories it insists on, iptables chains) are recorded
#   by the first cluster up in /run/devloop-kube and restored by the last one down.
#   Idempotent, and safe after an `up` that failed or was killed half way; a failed
#   `up` runs it itself.
#
# DIR: a plain absolute path of at most 64 characters (unix sockets live under it),
# e.g. `mktemp -d /tmp/kube.XXXXXX`. DEVLOOP_KUBE_NO_BUILD=1 makes up fail at once
# instead of starting a cold build; DEVLOOP_KUBE_CACHE overrides the cache directory.
#
# Needs root (containerd, runc, the kubelet) and kubectl. Installs the Debian
# packages it needs (containerd, runc, containernetworking-plugins, docker-registry,
# openssl, ...) with apt when they are missing.
set -euo pipefail

# The Go modules pinned beside this script (tools/kube in the tree or in runfiles).
readonly MODS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Bazel's test PATH may lack the sbin directories (runc, ip, iptables).
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# The owner's home from passwd, not $HOME: Bazel tests run with another HOME.
readonly CACHE_ROOT="${DEVLOOP_KUBE_CACHE:-$(getent passwd "$(id -un)" | cut -d: -f6)/.cache/devloop/kube}"

log() { echo "kube-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }
trap 'log "error: line $LINENO: $BASH_COMMAND failed"' ERR

go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else die "no Go toolchain (go on PATH or /usr/local/go/bin/go)"
  fi
}

# The version a go.mod of ours requires of MODULE.
required_version() {  # GOMOD MODULE
  awk -v m="$2" '($1 == m) {print $2} ($1 == "require" && $2 == m) {print $3}' "$1" | head -1
}

k8s_version() { required_version "$MODS/k8s/go.mod" k8s.io/kubernetes; }
etcd_version() { required_version "$MODS/etcd/go.mod" go.etcd.io/etcd/server/v3; }
cache_dir() { echo "$CACHE_ROOT/$(k8s_version)-etcd-$(etcd_version)"; }

# Installs the Debian packages in "$@" that are missing, and nothing else.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
}

# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------

cmd_build() {
  local dir stamp
  dir="$(cache_dir)"
  stamp="$dir/stamp"
  [ -f "$stamp" ] && { echo "$dir"; return 0; }
  [ -z "${DEVLOOP_KUBE_NO_BUILD:-}" ] ||
    die "no binaries in $dir: run 'tools/kube-cluster.sh build' first (15-26 min cold)"
  ensure_packages gcc libc6-dev
  mkdir -p "$CACHE_ROOT"
  # One build at a time per machine: a second caller waits, then finds the stamp.
  exec 9>"$CACHE_ROOT/.build.lock"
  flock 9
  [ -f "$stamp" ] && { echo "$dir"; return 0; }

  local go tmp k8s etcd minor start
  go="$(go_bin)"
  k8s="$(k8s_version)"
  etcd="$(etcd_version)"
  minor="${k8s#v1.}"
  minor="${minor%%.*}"
  tmp="$dir.partial"
  rm -rf "$tmp" "$dir"
  mkdir -p "$tmp/bin"
  start=$SECONDS
  export CGO_ENABLED=0 GOSUMDB=off GOFLAGS="-mod=readonly -buildvcs=false"

  log "building etcd $etcd"
  (cd "$MODS/etcd" &&
    nice -n 19 "$go" build -trimpath -ldflags='-s -w' -o "$tmp/bin/etcd" \
      go.etcd.io/etcd/server/v3)

  log "building Kubernetes $k8s (the apiserver takes most of the time)"
  local v=k8s.io/component-base/version
  (cd "$MODS/k8s" &&
    nice -n 19 "$go" build -trimpath -o "$tmp/bin/" \
      -ldflags="-s -w -X $v.gitVersion=$k8s -X $v.gitMajor=1 -X $v.gitMinor=$minor
                -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubelet)

  log "building pause"
  local src
  src="$(cd "$MODS/k8s" && "$go" list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
  nice -n 19 gcc -Os -Wall -Werror -static -DVERSION="$k8s" -o "$tmp/bin/pause" "$src"

  printf 'kubernetes %s\netcd %s\nbuild_seconds %d\n' "$k8s" "$etcd" $((SECONDS - start)) \
    >"$tmp/stamp"
  mv "$tmp" "$dir"
  exec 9>&-
  log "built in $((SECONDS - start)) s into $dir"
  echo "$dir"
}


# ---------------------------------------------------------------------------
# Names and bookkeeping shared by up and down
# ---------------------------------------------------------------------------

# Machine-wide state of every cluster on this machine: a lock, one registration
# per running cluster, and what the first cluster found before it changed the host
# (sysctls, host directories, iptables chains), restored by the last one down.
readonly HOST_STATE=/run/devloop-kube
readonly HOST_LOCK=/run/lock/devloop-kube.lock
# The kubelet sets these (vm.*, kernel.*) and the bridge plugin ip_forward.
readonly SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
# Host directories the kubelet, containerd or CNI create whatever their config says.
readonly HOST_DIRS=(/var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni
  /run/containerd /opt/cni /etc/cni /opt/containerd /usr/libexec/kubernetes)
# Processes in the order down stops them.
readonly COMPONENTS=(kube-scheduler kube-controller-manager kubelet kube-apiserver etcd
  registry containerd)
# Unix sockets live under DIR and may not exceed 108 bytes; the longest is ~40 bytes
# below DIR.
readonly MAX_DIR_LEN=64

# Sets the per-cluster names, all derived from the absolute DIR so that down can
# find them even when up failed before writing anything.
set_names() {  # DIR
  D="$1"
  ID="$(printf '%s' "$D" | sha256sum | cut -c1-8)"
  BRIDGE="dvk$ID"                   # <= 15 characters
  NETWORK="devloop-$ID"
  CGROUP="devloop-kube-$ID"
  SOCK="$D/containerd/containerd.sock"
  KUBECONFIG_FILE="$D/kubeconfig"
}

check_dir() {  # DIR
  [[ "$1" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "DIR must be a plain absolute path: $1"
  [ ${#1} -le $MAX_DIR_LEN ] ||
    die "DIR is ${#1} characters; use one of at most $MAX_DIR_LEN (unix sockets live under it), e.g. mktemp -d /tmp/kube.XXXXXX"
}

# True if PID is a live (not zombie) process started for the cluster in $D: every
# process up starts names DIR in its arguments, which guards against pid reuse.
is_ours() {  # PID
  local pid="$1" state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [ "$state" != Z ] || return 1
  [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" == *"$D/"* ]]
}

pid_of() { cat "$D/pids/$1.pid" 2>/dev/null || true; }

any_alive() {  # DIR
  local f
  for f in "$1"/pids/*.pid; do
    [ -f "$f" ] || continue
    (D="$1"; is_ours "$(cat "$f")") && return 0
  done
  return 1
}

host_lock() {
  mkdir -p "$(dirname "$HOST_LOCK")"
  exec 8>"$HOST_LOCK"
  flock 8
  mkdir -p "$HOST_STATE/clusters"
}
host_unlock() { flock -u 8; exec 8>&-; }

# Prints the DIR of every other registered cluster that still runs, and forgets
# the registrations of clusters whose processes are all gone.
other_clusters() {
  local f d
  for f in "$HOST_STATE"/clusters/*; do
    [ -f "$f" ] || continue
    d="$(cat "$f")"
    [ "$d" = "$D" ] && continue
    if any_alive "$d"; then echo "$d"; else rm -f "$f"; fi
  done
}

iptables_chains() {  # prints "TABLE CHAIN" for every chain of every table
  local cmd t
  for cmd in iptables ip6tables; do
    command -v "$cmd-save" >/dev/null 2>&1 || continue
    "$cmd-save" 2>/dev/null | awk -v c="$cmd" '/^\*/ {t = substr($0, 2)} /^:/ {print c, t, substr($1, 2)}'
  done
}

# REQUIRES: host_lock held. Saves the host's state unless an earlier cluster did.
host_save() {
  local s d
  if [ ! -f "$HOST_STATE/sysctl.orig" ]; then
    for s in "${SYSCTLS[@]}"; do
      if [ -e "/proc/sys/${s//.//}" ]; then echo "$s=$(cat "/proc/sys/${s//.//}")"; fi
    done >"$HOST_STATE/sysctl.orig.tmp"
    for d in "${HOST_DIRS[@]}"; do if [ -e "$d" ]; then echo "$d"; fi; done \
      >"$HOST_STATE/dirs.orig"
    iptables_chains >"$HOST_STATE/chains.orig"
    mv "$HOST_STATE/sysctl.orig.tmp" "$HOST_STATE/sysctl.orig"
  fi
}

# REQUIRES: host_lock held, no other cluster running. Puts back what host_save saw.
host_restore() {
  [ -f "$HOST_STATE/sysctl.orig" ] || return 0
  local line d cmd table chain
  while IFS= read -r line; do
    [ -n "$line" ] && sysctl -q -w "$line" >/dev/null || true
  done <"$HOST_STATE/sysctl.orig"
  for d in "${HOST_DIRS[@]}"; do
    [ -e "$d" ] || continue
    grep -qxF "$d" "$HOST_STATE/dirs.orig" && continue
    # The device-plugin socket path is fixed by its API, whatever --root-dir says.
    if [ "$d" = /var/lib/kubelet ]; then
      rm -f "$d/device-plugins/kubelet.sock" "$d/device-plugins/kubelet_internal_checkpoint"
    fi
    # Only empty directories: anything else there is not ours to remove.
    find "$d" -depth -type d -empty -delete 2>/dev/null || true
  done
  # Chains the kubelet made (KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY, ...).
  local chains
  chains="$(iptables_chains | grep -F ' KUBE-' | grep -vxFf "$HOST_STATE/chains.orig" || true)"
  while read -r cmd table chain; do
    [ -n "$chain" ] || continue
    "$cmd" -w -t "$table" -F "$chain" 2>/dev/null || true
    "$cmd" -w -t "$table" -X "$chain" 2>/dev/null || true
  done <<<"$chains"
  rm -f "$HOST_STATE/sysctl.orig" "$HOST_STATE/dirs.orig" "$HOST_STATE/chains.orig"
}

cgroup_hierarchies() {  # every mounted cgroup hierarchy (v1 controllers, or v2)
  findmnt -rn -t cgroup,cgroup2 -o TARGET
}

# ---------------------------------------------------------------------------
# up
# ---------------------------------------------------------------------------

# Sets each VAR to a loopback TCP port nobody listens on, all different. Below the
# ephemeral range (32768+), so outgoing connections do not take them meanwhile.
pick_ports() {  # VAR...
  local var p picked=" "
  for var in "$@"; do
    while :; do
      p=$((20000 + RANDOM % 12000))
      [[ "$picked" != *" $p "* ]] || continue
      [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || continue
      picked+="$p "
      printf -v "$var" '%s' "$p"
      break
    done
  done
}

# REQUIRES: host_lock held. Picks 10.244.N.0/24 unused by other clusters and by
# any address on the machine.
pick_subnet_index() {
  local n used="" d addrs
  for d in $(other_clusters); do
    used+=" $(sed -n 's/^SUBNET_INDEX=//p' "$d/cluster.env" 2>/dev/null) "
  done
  addrs="$(ip -4 -o addr show)"
  for n in $(seq 0 255); do
    [[ "$used" != *" $n "* && "$addrs" != *" 10.244.$n."* ]] || continue
    echo "$n"
    return
  done
  die "no free 10.244.N.0/24 subnet"
}

start() {  # NAME CMD... : starts CMD in its own session, logs to DIR/logs/NAME.log
  local name="$1"
  shift
  setsid "$@" >>"$D/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$D/pids/$name.pid"
}

# Polls CMD until it succeeds; fails at once if a component up started has died.
wait_until() {  # TIMEOUT_S DESCRIPTION CMD...
  local timeout="$1" what="$2" deadline f name
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    for f in "$D"/pids/*.pid; do
      [ -f "$f" ] || continue
      name="$(basename "$f" .pid)"
      is_ours "$(cat "$f")" || die "$name exited while waiting for $what (log: $D/logs/$name.log)"
    done
    [ $SECONDS -lt $deadline ] || die "timed out after ${timeout}s waiting for $what"
    sleep 0.2
  done
}

pki_cert() {  # NAME SUBJECT EXTENDED_USAGE [SUBJECT_ALT_NAMES]
  local name="$1" subj="$2" usage="$3" san="${4:-}" pki="$D/pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints = critical,CA:FALSE"
    echo "keyUsage = critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage = $usage"
    [ -z "$san" ] || echo "subjectAltName = $san"
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$pki/$name.ext" \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

write_pki() {
  local pki="$D/pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
  printf '[req]\ndistinguished_name = dn\n[dn]\n[ca]\n%s\n%s\n%s\n' \
    'basicConstraints = critical,CA:TRUE' 'keyUsage = critical,keyCertSign,cRLSign,digitalSignature' \
    'subjectKeyIdentifier = hash' >"$pki/ca.cnf"
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=devloop-kube-ca-$ID" -days 3650 \
    -sha256 -config "$pki/ca.cnf" -extensions ca -out "$pki/ca.crt" 2>/dev/null
  pki_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  pki_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  pki_cert kubelet "/CN=localhost" serverAuth "IP:127.0.0.1,DNS:localhost"
  pki_cert kubelet-client "/O=system:nodes/CN=system:node:localhost" clientAuth
  pki_cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
  pki_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  pki_cert scheduler "/CN=system:kube-scheduler" clientAuth
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key" 2>/dev/null
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

write_kubeconfig() {  # FILE CERT_NAME
  local b64='base64 -w0'
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: devloop
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $($b64 <"$D/pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$D/pki/$2.crt")
    client-key-data: $($b64 <"$D/pki/$2.key")
contexts:
- name: devloop
  context: {cluster: devloop, user: $2}
current-context: devloop
EOF
  chmod 600 "$1"
}

write_containerd_config() {
  local c="$D/containerd"
  mkdir -p "$c/root" "$c/state" "$c/runc" "$c/opt" "$c/certs.d/docker.io" \
    "$c/certs.d/127.0.0.1:$REGISTRY_PORT" "$D/cni/net.d" "$D/cni/ipam"
  cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
# The tasks service needs the v1 runtime loaded even though CRI uses runc.v2.
[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = "$c/runc-v1"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "$STREAM_PORT"
  # Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj: every pod would fail.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$c/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$c/certs.d"
EOF
  # Nothing is pulled from outside: a docker.io image fails at once on loopback.
  printf 'server = "http://127.0.0.1:1"\n\n[host."http://127.0.0.1:1"]\n  capabilities = ["pull", "resolve"]\n' \
    >"$c/certs.d/docker.io/hosts.toml"
  printf 'server = "http://127.0.0.1:%s"\n\n[host."http://127.0.0.1:%s"]\n  capabilities = ["pull", "resolve"]\n' \
    "$REGISTRY_PORT" "$REGISTRY_PORT" >"$c/certs.d/127.0.0.1:$REGISTRY_PORT/hosts.toml"
  cat >"$D/cni/net.d/10-devloop.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NETWORK",
  "plugins": [{
    "type": "bridge",
    "bridge": "$BRIDGE",
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "dataDir": "$D/cni/ipam",
      "ranges": [[{"subnet": "$SUBNET", "gateway": "$GATEWAY"}]],
      "routes": [{"dst": "0.0.0.0/0"}]
    }
  }]
}
EOF
}

# The pause binary as a one-layer OCI image archive that `ctr images import` reads.
write_pause_image() {  # OUT_TAR
  local w="$D/pause-image" layer config manifest lsha csha msha
  rm -rf "$w"
  mkdir -p "$w/rootfs" "$w/oci/blobs/sha256"
  cp "$BIN/pause" "$w/rootfs/pause"
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$w/rootfs" -cf "$w/layer.tar" pause
  lsha="$(sha256sum "$w/layer.tar" | cut -d' ' -f1)"
  mv "$w/layer.tar" "$w/oci/blobs/sha256/$lsha"
  config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/pause\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$lsha\"]}}"
  csha="$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)"
  printf '%s' "$config" >"$w/oci/blobs/sha256/$csha"
  manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$csha\",\"size\":${#config}},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$lsha\",\"size\":$(stat -c %s "$w/oci/blobs/sha256/$lsha")}]}"
  msha="$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)"
  printf '%s' "$manifest" >"$w/oci/blobs/sha256/$msha"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$w/oci/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$msha" "${#manifest}" "$PAUSE_IMAGE" "${PAUSE_IMAGE##*:}" >"$w/oci/index.json"
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$w/oci" -cf "$1" .
  rm -rf "$w"
}

write_kubelet_config() {
  mkdir -p "$D/kubelet" "$D/pod-logs"
  cat >"$D/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $D/pki/kubelet.crt
tlsPrivateKeyFile: $D/pki/kubelet.key
authentication:
  x509: {clientCAFile: $D/pki/ca.crt}
  webhook: {enabled: false}
  anonymous: {enabled: false}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP
failCgroupV1: false
failSwapOn: false
# Otherwise the kubelet leaves KUBE-* chains in the host's iptables.
makeIPTablesUtilChains: false
podLogsDir: $D/pod-logs
volumePluginDir: $D/kubelet/volume-plugins
clusterDomain: cluster.local
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
}

# REQUIRES: cgroup v1 controllers or v2, root. The kubelet insists that its cgroup
# root exists in every hierarchy.
make_cgroup_root() {
  local h
  for h in $(cgroup_hierarchies); do
    mkdir -p "$h/$CGROUP"
    if [ -f "$h/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h/$CGROUP/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$CGROUP/cpuset.mems"
    fi
  done
}

cmd_up() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(realpath "$dir")"
  check_dir "$dir"
  set_names "$dir"
  any_alive "$D" && die "a cluster already runs in $D; run 'tools/kube-cluster.sh down $D' first"
  local t0=$SECONDS
  # Leftovers of a cluster that was never taken down (its etcd data, its bridge).
  if [ -e "$D/cluster.env" ] || [ -e "$D/pids" ]; then cmd_down "$D"; fi

  command -v kubectl >/dev/null 2>&1 || die "kubectl is not on PATH"
  BIN="$(cmd_build)/bin"
  ensure_packages containerd runc containernetworking-plugins docker-registry openssl \
    iptables iproute2 util-linux procps curl

  UP_OK=0
  trap 'up_exit' EXIT
  trap 'exit 143' TERM INT HUP
  mkdir -p "$D/pids" "$D/logs"
  PAUSE_IMAGE="devloop.local/pause:$(k8s_version)"

  host_lock
  echo "$D" >"$HOST_STATE/clusters/$ID"
  host_save
  SUBNET_INDEX="$(pick_subnet_index)"
  SUBNET="10.244.$SUBNET_INDEX.0/24"
  GATEWAY="10.244.$SUBNET_INDEX.1"
  pick_ports ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KUBELET_PORT KUBELET_HEALTHZ_PORT \
    STREAM_PORT REGISTRY_PORT
  cat >"$D/cluster.env" <<EOF
ID=$ID
BRIDGE=$BRIDGE
NETWORK=$NETWORK
CGROUP=$CGROUP
SUBNET_INDEX=$SUBNET_INDEX
SUBNET=$SUBNET
ETCD_PORT=$ETCD_PORT
APISERVER_PORT=$APISERVER_PORT
KUBELET_PORT=$KUBELET_PORT
STREAM_PORT=$STREAM_PORT
REGISTRY_PORT=$REGISTRY_PORT
EOF
  # The bridge exists before the first pod so that the subnet is visibly taken.
  ip link add "$BRIDGE" type bridge
  ip addr add "$GATEWAY/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  host_unlock
  make_cgroup_root

  write_pki
  write_kubeconfig "$KUBECONFIG_FILE" admin
  write_kubeconfig "$D/pki/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$D/pki/scheduler.kubeconfig" scheduler
  write_kubeconfig "$D/pki/kubelet.kubeconfig" kubelet-client
  write_containerd_config
  write_kubelet_config
  cat >"$D/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog: {disabled: true}
storage:
  filesystem: {rootdirectory: $D/registry-data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF

  start containerd containerd --config "$D/containerd/config.toml"
  start registry docker-registry serve "$D/registry.yml"
  start etcd "$BIN/etcd" --name default --data-dir "$D/etcd" --log-level warn \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
  wait_until 30 "containerd" ctr -a "$SOCK" version
  write_pause_image "$D/pause.tar"
  ctr -a "$SOCK" -n k8s.io images import --snapshotter overlayfs "$D/pause.tar" >/dev/null
  rm -f "$D/pause.tar"
  wait_until 30 "etcd" curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  local pki="$D/pki"
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.96.0.0/16 \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" \
    --kubelet-preferred-address-types=Hostname \
    --endpoint-reconciler-type=none --profiling=false
  wait_until 60 "the apiserver" kc get --raw /readyz

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$pki/controller-manager.kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=0 \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --flex-volume-plugin-dir="$D/kubelet/volume-plugins" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --profiling=false
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$pki/scheduler.kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=0 --profiling=false
  start kubelet "$BIN/kubelet" --config="$D/kubelet.yaml" \
    --kubeconfig="$pki/kubelet.kubeconfig" --root-dir="$D/kubelet" \
    --hostname-override=localhost
  wait_until 120 "node localhost Ready" node_ready
  wait_until 60 "the default ServiceAccount" \
    kc -n default get serviceaccount default

  echo "127.0.0.1:$REGISTRY_PORT" >"$D/registry"
  UP_OK=1
  log "up in $((SECONDS - t0)) s: KUBECONFIG=$KUBECONFIG_FILE registry $(cat "$D/registry")"
}

# kubectl on this cluster, with its discovery cache under DIR rather than in ~/.kube.
kc() {
  kubectl --kubeconfig "$KUBECONFIG_FILE" --cache-dir "$D/kubectl-cache" --request-timeout=10s "$@"
}

node_ready() {
  [ "$(kc get node localhost \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# On a failed up: show why, then take down what was started.
up_exit() {
  local rc=$? name
  [ "${UP_OK:-0}" = 1 ] && return 0
  for name in "${COMPONENTS[@]}"; do
    [ -s "$D/logs/$name.log" ] || continue
    log "--- last lines of $D/logs/$name.log"
    tail -n 15 "$D/logs/$name.log" >&2
  done
  log "up failed; taking down what it started"
  cmd_down "$D" || true
  exit $((rc == 0 ? 1 : rc))
}

# ---------------------------------------------------------------------------
# down
# ---------------------------------------------------------------------------

stop_pid() {  # NAME TIMEOUT_S : SIGTERM, then SIGKILL after TIMEOUT_S
  local name="$1" timeout="$2" pid deadline
  pid="$(pid_of "$name")"
  if is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout))
    while is_ours "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if is_ours "$pid"; then
      log "$name ($pid) ignored SIGTERM for ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      while is_ours "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$D/pids/$name.pid"
}

# Pids of every process in the cluster's cgroups (containers and pods).
cgroup_pids() {
  local h
  for h in $(cgroup_hierarchies); do
    if [ -d "$h/$CGROUP" ]; then
      find "$h/$CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null || true
    fi
  done | sort -un
}

# The runc shims of this cluster's containerd (they outlive it by design).
shim_pids() {
  local f cmd
  # One grep over every command line, then a closer look at the few it finds.
  for f in $(grep -lsaF -- "$SOCK" /proc/[0-9]*/cmdline || true); do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$f")" || continue
    [[ "$cmd" == *containerd-shim* && "$cmd" == *"-address $SOCK "* ]] || continue
    f="${f#/proc/}"
    echo "${f%/cmdline}"
  done
}

# Mount points under DIR, deepest first.
mounts_under() {
  findmnt -rn -o TARGET | awk -v p="$D/" 'index($0, p) == 1 {print length, $0}' |
    sort -rn | cut -d' ' -f2-
}

cmd_down() {
  local dir="$1" t0=$SECONDS
  dir="$(realpath -m "$dir")"
  check_dir "$dir"
  set_names "$dir"

  # 1. Let the kubelet tear the pods down (CNI DEL, unmounts) while it still can;
  #    without a controller-manager nothing re-creates them.
  stop_pid kube-scheduler 10
  stop_pid kube-controller-manager 10
  if is_ours "$(pid_of kubelet)" && is_ours "$(pid_of kube-apiserver)"; then
    kc delete pods --all --all-namespaces --grace-period=1 --wait=true \
      --timeout=60s >/dev/null 2>&1 || log "could not delete every pod; killing them"
  fi
  # 2. The control plane, then the runtime.
  stop_pid kubelet 15
  stop_pid kube-apiserver 15
  stop_pid etcd 10
  stop_pid registry 10
  if is_ours "$(pid_of containerd)"; then
    local task
    for task in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$SOCK" -n k8s.io tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
      timeout 10 ctr -a "$SOCK" -n k8s.io tasks delete -f "$task" >/dev/null 2>&1 || true
    done
  fi
  # Whatever is left in the cluster's cgroups, and the shims, by pid.
  local pid
  for pid in $(cgroup_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $(shim_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  stop_pid containerd 15
  for pid in $(shim_pids); do kill -KILL "$pid" 2>/dev/null || true; done

  # 3. Mounts (overlay rootfs, netns, token volumes), then the state under DIR.
  local m tries=0
  while [ -n "$(mounts_under)" ]; do
    for m in $(mounts_under); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    tries=$((tries + 1))
    [ $tries -lt 5 ] || { mounts_under >&2; die "mounts remain under $D"; }
  done

  # 4. Network: the bridge (veths went with the pods' network namespaces).
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    for m in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip link del "$m" 2>/dev/null || true
    done
    ip link del "$BRIDGE" || log "could not delete bridge $BRIDGE"
  fi
  rm -f /var/lib/cni/results/"$NETWORK"-* 2>/dev/null || true

  # 5. Cgroups, deepest first, in every hierarchy.
  local h
  for h in $(cgroup_hierarchies); do
    [ -d "$h/$CGROUP" ] && find "$h/$CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ ! -d "$h/$CGROUP" ] || log "cgroup $h/$CGROUP remains"
  done

  # 6. Host files that name this cluster: container log links, and for containers
  #    whose teardown was cut short, shim sockets and CNI result caches.
  find /var/log/containers -maxdepth 1 -type l -lname "$D/*" -delete 2>/dev/null || true
  local cid
  for cid in $(ls "$D/containerd/state/io.containerd.runtime.v2.task/k8s.io" \
    "$D/containerd/root/io.containerd.grpc.v1.cri/sandboxes" 2>/dev/null | grep -E '^[0-9a-f]{64}$'); do
    rm -f "/run/containerd/s/$(printf '%s' "$SOCK/k8s.io/$cid" | sha256sum | cut -d' ' -f1)" \
      /var/lib/cni/results/*-"$cid"-*
  done

  # 7. The cluster's state (images, etcd data, registry storage); logs stay.
  [ -z "$(mounts_under)" ] || die "mounts remain under $D"
  if [ -d "$D" ]; then
    (cd "$D" && rm -rf --one-file-system containerd etcd registry-data kubelet pod-logs cni \
      pki pids pause-image kubectl-cache kubeconfig registry registry.yml kubelet.yaml cluster.env)
  fi

  # 8. The host's sysctls, directories and chains, once no cluster is left.
  host_lock
  rm -f "$HOST_STATE/clusters/$ID"
  if [ -z "$(other_clusters)" ]; then
    host_restore
    rmdir "$HOST_STATE/clusters" "$HOST_STATE" 2>/dev/null || true
  fi
  host_unlock
  log "down in $((SECONDS - t0)) s: $D"
}

main() {
  case "${1:-}" in
    build) cmd_build ;;
    up) [ $# -eq 2 ] || die "usage: tools/kube-cluster.sh up DIR"; cmd_up "$2" ;;
    down) [ $# -eq 2 ] || die "usage: tools/kube-cluster.sh down DIR"; cmd_down "$2" ;;
    *) echo "usage: tools/kube-cluster.sh build | up DIR | down DIR" >&2; exit 2 ;;
  esac
}

main "$@"
exit
