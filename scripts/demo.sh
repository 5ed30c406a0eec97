#!/usr/bin/env bash
# The README's main job: set up (Debian packages, npm packages, build), bring up the quickstart lab
# (an FRR top-of-rack router and three hosts running tsroute, with test containers), show its
# reachability matrix, host h1's routes and BGP status, and take it down again.
#   npm run demo            bring up, show, take down
#   npm run demo -- --keep  leave the lab up and say how to look around and how to take it down
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1
tsroute() { node dist/cli/main.js "$@"; }
file=topology/quickstart/quickstart.clab.yml
tsroute lab down "$file" >/dev/null 2>&1 || true # a lab left up by an earlier --keep
if [[ $keep == 0 ]]; then trap 'echo; tsroute lab down "$file"' EXIT; fi
echo "== tsroute lab up $file"
tsroute lab up --no-hint "$file" # the hint on how to look around comes below, and only with --keep
echo
echo "== tsroute lab status $file --node h1   (h1's BGP session, blocks and kernel routes; the matrix again)"
tsroute lab status "$file" --node h1
if [[ $keep == 1 ]]; then
  echo
  echo "The lab stays up. Look around (any node: tor, h1, h2, h3, or a container such as h2-c1):"
  echo "  node dist/cli/main.js lab exec $file h1 -- ip route"
  echo "  node dist/cli/main.js lab exec $file h1 -- tsroute node status       # tsroute there reaches h1's agent"
  echo "  node dist/cli/main.js lab exec $file h1 -- curl -s http://127.0.0.1:9091/metrics"
  echo "  node dist/cli/main.js lab exec $file tor -- vtysh -c 'show bgp summary'"
  echo "Take it down (the logs stay in /run/tsroute-lab/quickstart/logs until --purge):"
  echo "  node dist/cli/main.js lab down $file"
fi
