#!/bin/sh
# Waits for the interface containerlab wires last, then runs the agent with the TSROUTE_* settings.
set -e
for i in $(seq 1 50); do ip link show eth1 >/dev/null 2>&1 && break; sleep 0.1; done
exec tsroute node run --name "${TSROUTE_NODE_NAME:-$(hostname)}"
