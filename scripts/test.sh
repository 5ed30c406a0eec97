#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: set-up, type check, lint, then every ava test against
# real etcd, BIRD, GoBGP, FRR, ExaBGP and kernel namespaces. Afterwards it checks that the run left
# no namespace or process behind, and prints one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1
echo "== lint"
npm run lint || exit 1

# One prefix for every namespace, temp folder and daemon of this run (see src/lab/run-prefix.ts).
# Agents and CLI processes the tests start run the compiled build setup.sh just made (faster to start
# than the TypeScript sources, and it is what users run).
export TSROUTE_TEST_DIST=1
export TSROUTE_RUN_ID="tsr$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "== tests (run id $TSROUTE_RUN_ID)"
log=$(mktemp)
npx ava "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

leftover_ns=$(ip netns list | awk '{print $1}' | grep "^$TSROUTE_RUN_ID-" || true)
leftover_procs=$(pgrep -f "/tmp/$TSROUTE_RUN_ID-" || true)
if [ -n "$leftover_ns$leftover_procs" ]; then
  echo "LEFTOVERS of run $TSROUTE_RUN_ID: namespaces [$leftover_ns] processes [$leftover_procs]" >&2
  node --import tsx -e "import('./src/lab/index.ts').then(m => m.sweepRun('$TSROUTE_RUN_ID'))"
  status=1
fi

passed=$(grep -c '✔' "$log" || true)
failed=$(grep -Eo '([0-9]+) tests? failed' "$log" | tail -1 | grep -Eo '^[0-9]+' || echo 0)
uncaught=$(grep -Eo '([0-9]+) uncaught exceptions?' "$log" | tail -1 | grep -Eo '^[0-9]+' || echo 0)
[ "$status" -ne 0 ] && [ "$failed" = 0 ] && failed=$((uncaught > 0 ? uncaught : 1))
rm -f "$log"
echo "tests: $passed passed, $failed failed"
exit "$status"
