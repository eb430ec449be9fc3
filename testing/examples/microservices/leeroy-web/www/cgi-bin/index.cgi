#!/bin/busybox sh
# Answers with what leeroy-app says, fetched by container name on the run's
# network (the Docker deployer makes each container reachable by its image name).
echo "Content-Type: text/plain"
echo ""
# (busybox 1.35 wget -T crashes in this static build, so `timeout` bounds it.)
if reply=$(/bin/busybox timeout 5 /bin/busybox wget -q -O - http://leeroy-app:8080/ 2>&1); then
  echo "leeroy-web says: $reply"
else
  echo "leeroy-web could not reach leeroy-app: $reply"
fi
