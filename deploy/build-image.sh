#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build the pyleak-bpf container image (deploy/Containerfile) with buildah,
# offline from any registry: the Containerfile's base, debian:bookworm-slim,
# is made here from a debootstrapped minimal Debian (--variant=minbase, cached
# under $PYLEAK_CACHE, default /var/cache/pyleak-bpf) when no image of that
# name is in local storage yet. With registry access, `buildah bud` or
# `docker build -f deploy/Containerfile .` builds the same recipe unchanged.
# The build stages fetch their packages from Debian's archive (host network).
#
# Usage: deploy/build-image.sh [TAG]   (default pyleak-bpf:VERSION)
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^#define PYLEAK_VERSION "\(.*\)"$/\1/p' user/options.c)
tag=${1:-pyleak-bpf:$version}
cache=${PYLEAK_CACHE:-/var/cache/pyleak-bpf}
base=debian:bookworm-slim
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

for tool in buildah debootstrap; do
	command -v "$tool" >/dev/null || { echo "build-image: needs $tool (make deps)" >&2; exit 1; }
done

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
	rootfs=$cache/bookworm-minbase
	if [ ! -e "$rootfs/.complete" ]; then
		echo "build-image: debootstrap bookworm (minbase) into $rootfs" >&2
		rm -rf "$rootfs"
		mkdir -p "$cache"
		debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
		# what the official slim image drops: package caches and lists
		chroot "$rootfs" apt-get clean
		rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
		touch "$rootfs/.complete"
	fi
	echo "build-image: committing $rootfs as $base" >&2
	ctr=$(buildah from scratch)
	trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
	# a tar stream (buildah add unpacks it) keeps owners, modes and links;
	# /dev, /proc and /sys stay empty: the runtime mounts them
	tar -C "$rootfs" --exclude=./.complete --exclude='./dev/*' --exclude='./proc/*' \
		--exclude='./sys/*' -cf "$cache/bookworm-minbase.tar" .
	buildah add "$ctr" "$cache/bookworm-minbase.tar" / >/dev/null
	rm -f "$cache/bookworm-minbase.tar"
	buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"$ctr"
	buildah commit --quiet "$ctr" localhost/debian:bookworm-slim >/dev/null
	buildah tag localhost/debian:bookworm-slim "$base"
	buildah rm "$ctr" >/dev/null
	trap - EXIT
fi

source_url=$(git config --get remote.origin.url 2>/dev/null || true)
echo "build-image: building $tag" >&2
# --pull=false: the base comes from local storage, never a registry
buildah bud --network host --pull=false --layers \
	--build-arg VERSION="$version" --build-arg SOURCE="${source_url:-unknown}" \
	-f deploy/Containerfile -t "$tag" .
