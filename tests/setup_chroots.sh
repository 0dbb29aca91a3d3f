#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build (once) minimal Debian chroots with their own python3, for end-to-end
# tests against Debian's builds of other CPython versions. Cached outside the
# work tree in $PYLEAK_CHROOT_CACHE (default /var/cache/pyleak-bpf/chroots):
# a finished chroot has a .complete stamp, so an interrupted build is redone.
#   usage: tests/setup_chroots.sh [SUITE ...]    (default: bullseye trixie sid)
set -eu
cache=${PYLEAK_CHROOT_CACHE:-/var/cache/pyleak-bpf/chroots}
mirror=${PYLEAK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ $# -gt 0 ] || set -- bullseye trixie sid
mkdir -p "$cache"
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
for suite in "$@"; do
	dir=$cache/$suite
	[ -e "$dir/.complete" ] && continue
	rm -rf "$dir"
	echo "setup_chroots: building $suite in $dir" >&2
	debootstrap --variant=minbase --include=python3 "$suite" "$dir" "$mirror" >"$cache/$suite.log" 2>&1 ||
		{ echo "setup_chroots: debootstrap $suite failed, see $cache/$suite.log" >&2; exit 1; }
	touch "$dir/.complete"
done
