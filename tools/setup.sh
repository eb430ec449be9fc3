#!/usr/bin/env bash
# Installs what devloop needs on a fresh Debian bookworm machine: Bazel and the
# -dev packages of every third-party C++ library, plus the tools the tests and
# examples use. Idempotent: installs only what is missing, and does nothing (not
# even apt-get update) when everything is there.
set -euo pipefail

packages=(
  bazel-bootstrap            # Bazel 4.2.3, offline
  g++
  protobuf-compiler libprotobuf-dev libprotoc-dev
  protobuf-compiler-grpc libgrpc++-dev
  libabsl-dev libre2-dev
  libboost-dev               # Beast, Asio (1.74, header-only)
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libarchive-dev libssl-dev
  busybox-static             # the userland of the example images (FROM scratch)
  curl wrk                   # HTTP checks and benchmarks
  clang-14 libclang-rt-14-dev  # libFuzzer targets
  containerd runc containernetworking-plugins docker-registry iptables openssl
                             # the test cluster (tools/kube-cluster.sh)
)

# --- grpcurl (transports, issue 5) -------------------------------------------
# Not a Debian package: built from the Go module proxy at the exact versions
# pinned in tools/grpcurl/go.{mod,sum} (the checksum database is unreachable,
# hence GOSUMDB=off with a committed go.sum and -mod=readonly). Optional: a failed
# build only warns, since the test suite checks reflection with a C++ client too.
if ! command -v grpcurl >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  echo "setup: building grpcurl from the Go module proxy" >&2
  if ! (cd "$(dirname "$0")/grpcurl" &&
        GOFLAGS=-mod=readonly GOSUMDB=off /usr/local/go/bin/go build \
          -o /usr/local/bin/grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl) >&2; then
    echo "setup: warning: could not build grpcurl; 'grpcurl ... list' checks are skipped" >&2
  fi
fi
# --- end grpcurl --------------------------------------------------------------

# --- headless browser (testing/browser, issue 15) -----------------------------
# A real Chromium and its WebDriver for the tests tagged requires-browser
# (testing/browser/browser.h drives chromedriver over loopback). Debian's
# builds from its own archive: 133 MB to fetch, 440 MB installed; a cold
# install, apt-get update included, took 38 s here.
packages+=(chromium chromium-driver)
# --- end headless browser -----------------------------------------------------

# --- devloop debug (tools/debug, testing/debug) -------------------------------
# Debian's debugpy (with pydevd and bytecode) goes into the Python support
# image; mmdebstrap makes the language base images; the JDK compiles the
# debug-jvm example. tools/debug/*.sh install the first two themselves when
# missing, so they also work on a machine set up before this block existed.
packages+=(python3-debugpy mmdebstrap openjdk-17-jdk-headless)
# --- end devloop debug ---------------------------------------------------------

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
