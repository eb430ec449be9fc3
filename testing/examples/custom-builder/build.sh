#!/bin/sh
# The custom build: devloop runs this in the build context with $IMAGE (the
# reference to produce, "devloop-custom-builder:<tag>"), $PUSH_IMAGE and
# $BUILD_CONTEXT set, as Skaffold does. It stamps the page with the tag, then
# builds and tags $IMAGE with the docker CLI.
set -eu
echo "custom build of $IMAGE in $BUILD_CONTEXT (push: $PUSH_IMAGE)"
stamp="$BUILD_CONTEXT/.build"
rm -rf "$stamp"
mkdir -p "$stamp"
echo "built as $IMAGE" > "$stamp/built.txt"
trap 'rm -rf "$stamp"' EXIT
docker build --tag "$IMAGE" "$BUILD_CONTEXT"
if [ "$PUSH_IMAGE" = true ]; then
  docker push "$IMAGE"
fi
