#!/bin/sh
# The custom build: devloop runs this in the build context with $IMAGE (the
# reference to produce), $PUSH_IMAGE and $BUILD_CONTEXT set, as Skaffold does.
# It compiles the server on this machine with the JDK 17 here (javac -g: local
# variables too, for the debugger), packs .build/app.jar, then builds $IMAGE
# around it on devloop-base/jre:17.
set -eu
echo "custom build of $IMAGE in $BUILD_CONTEXT (push: $PUSH_IMAGE)"
out="$BUILD_CONTEXT/.build"
rm -rf "$out"
mkdir -p "$out/classes"
trap 'rm -rf "$out"' EXIT
javac -g --release 17 -d "$out/classes" $(find "$BUILD_CONTEXT/src" -name '*.java')
jar --create --file "$out/app.jar" --main-class dev.devloop.example.App -C "$out/classes" .
docker build --tag "$IMAGE" "$BUILD_CONTEXT"
if [ "$PUSH_IMAGE" = true ]; then
  docker push "$IMAGE"
fi
