#!/usr/bin/env bash
# Installs what tsroute's tests, benchmarks and labs need on a fresh Debian machine, and builds the
# project. Idempotent and quiet when everything is already there. Run as root (apt-get, namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".").map(Number).slice(0,2).join(".")')
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "tsroute needs Node 20.19 or newer (found $node_major)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root: the tests create network namespaces and install Debian packages" >&2; exit 1; }

# binary -> Debian package that provides it
declare -A need=(
  [ip]=iproute2 [ping]=iputils-ping [/usr/sbin/nft]=nftables [tcpdump]=tcpdump [curl]=curl
  [etcd]=etcd-server [etcdctl]=etcd-client
  [bird]=bird2 [birdc]=bird2
  [gobgpd]=gobgpd [gobgp]=gobgpd
  [/usr/lib/frr/bgpd]=frr [vtysh]=frr
  [exabgp]=exabgp [bgpctl]=openbgpd
  [mnexec]=mininet [podman]=podman [runc]=runc [/usr/lib/cni/bridge]=containernetworking-plugins [dockerd]=docker.io [busybox]=busybox-static
  [debootstrap]=debootstrap [chromium]=chromium
)
missing=()
for bin in "${!need[@]}"; do
  if [[ $bin == /* ]]; then [ -x "$bin" ] || missing+=("${need[$bin]}")
  else command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${need[$bin]}"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "setup: installing Debian packages: $pkgs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # npm ci: exactly the lock file, which it never rewrites (the lock lists every platform's optional
  # packages of biome and esbuild; only this platform's are downloaded).
  npm ci --no-audit --no-fund --loglevel=error
fi

# the dataplane's setns addon (npm run build runs this too; here it fails set-up with its own message)
bash scripts/build-native.sh || { echo "setup: the native addon did not build (see above)" >&2; exit 1; }
npm run --silent build
