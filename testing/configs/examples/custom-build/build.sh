#!/bin/sh
docker build -t "$IMAGE" "$BUILD_CONTEXT"
