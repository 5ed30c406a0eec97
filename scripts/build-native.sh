#!/usr/bin/env bash
# Builds the dataplane's one native addon (src/dataplane/native/netns.c: setns for network
# namespaces) against the installed Node's headers, with the C compiler directly: no node-gyp, no
# download. Idempotent and silent when the addon is newer than its source; one clear line if not.
set -euo pipefail
cd "$(dirname "$0")/.."

src=src/dataplane/native/netns.c
out=src/dataplane/native/build/netns.node
[ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ] && exit 0

include=$(node -p 'require("path").resolve(process.execPath, "../../include/node")')
if [ ! -f "$include/node_api.h" ]; then
  echo "build-native: Node's headers are not at $include (node_api.h): install the headers of this Node ($(node -v))" >&2
  exit 1
fi
cc=${CC:-$(command -v cc || command -v gcc || true)}
if [ -z "$cc" ]; then
  echo "build-native: no C compiler found: apt-get install -y gcc" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
if ! log=$("$cc" -O2 -Wall -Wextra -Werror -shared -fPIC -I"$include" -o "$out.tmp" "$src" 2>&1); then
  rm -f "$out.tmp"
  echo "build-native: compiling $src failed:" >&2
  echo "$log" >&2
  exit 1
fi
mv "$out.tmp" "$out"
