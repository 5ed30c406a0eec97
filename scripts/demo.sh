#!/usr/bin/env bash
# The README's main job: set up (Debian packages, npm packages, build), then run the lab demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx topology/quickstart-demo.ts "$@"
