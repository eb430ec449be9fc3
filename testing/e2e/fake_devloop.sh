#!/bin/sh
# Stands in for the devloop binary in the harness's own tests: listens on the
# ports given by --rpc-port/--rpc-http-port (busybox httpd serving the cwd) and
# exits 0 on Ctrl-C after stopping both, as devloop must.
for a in "$@"; do
  case "$a" in
    --rpc-port=*) grpc=${a#*=} ;;
    --rpc-http-port=*) http=${a#*=} ;;
  esac
done
/bin/busybox httpd -f -p "127.0.0.1:$grpc" -h . &
p1=$!
/bin/busybox httpd -f -p "127.0.0.1:$http" -h . &
p2=$!
trap 'kill $p1 $p2; wait; exit 0' INT TERM
wait
