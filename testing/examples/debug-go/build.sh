#!/bin/sh
# The custom build: devloop runs this in the build context with $IMAGE (the
# reference to produce), $PUSH_IMAGE and $BUILD_CONTEXT set, as Skaffold does.
# It compiles the server on this machine, statically (the image is FROM
# scratch) and without optimizations or inlining (-N -l), so Delve can stop on
# every line and show every variable, then builds $IMAGE around it.
set -eu
echo "custom build of $IMAGE in $BUILD_CONTEXT (push: $PUSH_IMAGE)"
go=$(command -v go || echo /usr/local/go/bin/go)
out="$BUILD_CONTEXT/.build"
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
# GOTOOLCHAIN=local: build with the Go that is here, never fetch another.
(cd "$BUILD_CONTEXT" &&
  CGO_ENABLED=0 GOTOOLCHAIN=local "$go" build -trimpath -gcflags='all=-N -l' -o "$out/app" .)
docker build --tag "$IMAGE" "$BUILD_CONTEXT"
if [ "$PUSH_IMAGE" = true ]; then
  docker push "$IMAGE"
fi
