#!/bin/sh
# Starts the agent. Settings: /etc/tsroute/node.yaml when mounted, TSROUTE_* environment variables
# (containerlab's `env:`), and any flags given to the container. With TSROUTE_WAIT_FOR_LINK=eth1 it
# first waits (up to 10 s) for that interface, which containerlab wires after the container starts.
# With /etc/tsroute/manifests.yaml mounted, it applies those resources first (idempotent), so a lab's
# pools and peers reach its etcd without a separate step.
set -e
if [ -n "$TSROUTE_WAIT_FOR_LINK" ]; then
  i=0
  while ! ip link show "$TSROUTE_WAIT_FOR_LINK" >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
if [ -f /etc/tsroute/manifests.yaml ]; then
  i=0
  until tsroute apply -f /etc/tsroute/manifests.yaml >/dev/null; do
    i=$((i + 1))
    [ $i -lt 30 ] || exit 1
    sleep 1
  done
fi
if [ -f /etc/tsroute/node.yaml ]; then exec tsroute node run --config /etc/tsroute/node.yaml "$@"; fi
exec tsroute node run "$@"
