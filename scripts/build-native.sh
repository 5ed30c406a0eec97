#!/usr/bin/env bash
# Builds the native addons against the installed Node's headers, with the C compiler directly: no
# node-gyp, no download. src/dataplane/native/netns.c: setns for network namespaces;
# src/dataplane/native/tcp-socket.c: TCP-MD5 / TTL / min-TTL socket options for BGP sessions;
# src/dataplane/native/router-advert.c: an ICMPv6 router advertisement (unnumbered BGP peers find us);
# src/bfd/native/udp-ttl.c: a UDP listener that reports received TTLs (BFD's RFC 5881 §5 check).
# Idempotent and silent when each addon is newer than its source; one clear line if not.
set -euo pipefail
cd "$(dirname "$0")/.."

include=$(node -p 'require("path").resolve(process.execPath, "../../include/node")')
cc=${CC:-$(command -v cc || command -v gcc || true)}

build() {
  local dir=${2:-src/dataplane/native}
  local src=$dir/$1.c
  local out=$dir/build/$1.node
  [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ] && return 0
  if [ ! -f "$include/node_api.h" ]; then
    echo "build-native: Node's headers are not at $include (node_api.h): install the headers of this Node ($(node -v))" >&2
    exit 1
  fi
  if [ -z "$cc" ]; then
    echo "build-native: no C compiler found: apt-get install -y gcc" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$out")"
  local log
  if ! log=$("$cc" -O2 -Wall -Wextra -Werror -shared -fPIC -pthread -I"$include" -o "$out.tmp" "$src" 2>&1); then
    rm -f "$out.tmp"
    echo "build-native: compiling $src failed:" >&2
    echo "$log" >&2
    exit 1
  fi
  mv "$out.tmp" "$out"
}

build netns
build tcp-socket
build router-advert
build udp-ttl src/bfd/native
