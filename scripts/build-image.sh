#!/usr/bin/env bash
# Builds the tsroute host image (topology/images/host/Containerfile) with podman from what a Debian
# machine reaches without a container registry: a bookworm rootfs from the Debian mirror
# (debootstrap), the package from `npm pack` installed with its dependencies from the npm registry,
# and this machine's Node binary.
#   scripts/build-image.sh [TAG]          default tag: localhost/tsroute/host:latest (the topologies use it)
# Environment: PODMAN (the podman command, default "podman"), DEBIAN_MIRROR, TSROUTE_IMAGE_CACHE
# (default /var/tmp/tsroute-image: the rootfs tar and saved images, keyed by content hash),
# TSROUTE_IMAGE_SAVE=1 to also write an archive for `podman load` and print its path last.
# An unchanged input set (rootfs packages, package tarball, Node binary, Containerfile) is not
# rebuilt: the saved archive is loaded instead. Run as root (debootstrap). Needs a built dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

podman=${PODMAN:-podman}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${TSROUTE_IMAGE_CACHE:-/var/tmp/tsroute-image}
suite=bookworm
packages=iproute2,iputils-ping,nftables,libstdc++6,ca-certificates,etcd-server
version=$(node -p 'require("./package.json").version')
tag=${1:-localhost/tsroute/host:latest}
base_tag=localhost/tsroute/debian:$suite

for bin in debootstrap tar sha256sum npm; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || {
    echo "build-image: $bin is missing: apt-get install -y ${bin/sha256sum/coreutils}" >&2
    exit 1
  }
done
[ -f dist/cli/main.js ] || { echo "build-image: dist/ is not built: npm run build" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/tsroute-image-XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The Debian rootfs, once per package list (debootstrap takes minutes; the tar is reused).
base=$cache/debian-$suite-$(echo "$suite $mirror $packages" | sha256sum | cut -c1-16).tar
if [ ! -f "$base" ]; then
  echo "build-image: debootstrap $suite ($packages) from $mirror" >&2
  debootstrap --variant=minbase --include="$packages" "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # Documentation, translations and package lists are not needed at run time.
  rm -rf "$work"/rootfs/usr/share/{doc,man,info,locale} "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/cache/apt/*
  tar -C "$work/rootfs" -cf "$base.$$.partial" . && mv "$base.$$.partial" "$base"
  rm -rf "$work/rootfs"
fi

# 2. The package, exactly as `npm pack` ships it (no rebuild: dist/ is what the caller built).
ctx=$work/context
mkdir -p "$ctx"
npm pack --ignore-scripts --silent --pack-destination "$ctx" >/dev/null
tgz=$ctx/tsroute-$version.tgz
cp topology/images/host/Containerfile topology/images/host/entrypoint.sh "$ctx/"
cp "$(command -v node)" "$ctx/node"
key=$({ basename "$base"; sha256sum "$tgz" "$ctx/node" "$ctx/Containerfile" "$ctx/entrypoint.sh" | cut -d' ' -f1; } | sha256sum | cut -c1-16)
archive=$cache/tsroute-host-$key.tar

if [ -f "$archive" ]; then
  $podman load -q -i "$archive" >/dev/null
  $podman tag "localhost/tsroute/host:$key" "$tag"
else
  npm install -g --prefix "$ctx/prefix" --prefer-offline --no-audit --no-fund --loglevel=error "$tgz" >/dev/null
  rm "$tgz"
  $podman import -q "$base" "$base_tag" >/dev/null
  $podman build -q --build-arg "BASE=$base_tag" -f "$ctx/Containerfile" -t "localhost/tsroute/host:$key" "$ctx" >/dev/null
  $podman tag "localhost/tsroute/host:$key" "$tag"
  if [ "${TSROUTE_IMAGE_SAVE:-}" = 1 ]; then
    $podman save -q -o "$archive.$$.partial" "localhost/tsroute/host:$key" && mv "$archive.$$.partial" "$archive"
    # Each package change makes a new ~240 MB archive: keep the three newest.
    ls -t "$cache"/tsroute-host-*.tar | tail -n +4 | xargs -r rm -f
  fi
fi
echo "build-image: $tag (localhost/tsroute/host:$key)" >&2
[ "${TSROUTE_IMAGE_SAVE:-}" = 1 ] && echo "$archive"
echo "$tag"
