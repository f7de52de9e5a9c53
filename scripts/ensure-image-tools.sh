#!/usr/bin/env bash
# Makes sure the image can be built and tried here: Debian's buildah (builds from the
# Containerfile, no daemon), umoci (unpacks it as a runtime would), qemu-user-static (runs
# the arm64 image's binary), and arm64 among dpkg's architectures (the arm64 image's glibc
# is Debian's libc6:arm64). Prints nothing on stdout; exit 1 with the reason on stderr where
# something cannot be had (not root, no apt): the image test then says so and is skipped,
# and an image without qemu or libc6:arm64 is built for amd64 only.
set -u
say() { echo "ensure-image-tools: $*" >&2; }
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    for t in buildah umoci; do command -v $t >/dev/null 2>&1 || { say "$t is not installed and this user cannot install it"; exit 1; }; done
    exit 0
  fi
fi
command -v apt-get >/dev/null 2>&1 || { say "no apt-get here to install buildah and umoci"; exit 1; }
updated=0
if [ "$(dpkg --print-architecture)" = "amd64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "adding arm64 to dpkg's architectures (for libc6:arm64)..."
  $SUDO dpkg --add-architecture arm64 && $SUDO apt-get update >/dev/null 2>&1 && updated=1
fi
missing=""
for t in buildah umoci qemu-aarch64-static; do command -v $t >/dev/null 2>&1 || missing="$missing $t"; done
if [ -n "$missing" ]; then
  packages=$(echo "$missing" | sed 's/qemu-aarch64-static/qemu-user-static/')
  say "installing$packages (apt-get)..."
  { $SUDO apt-get install -y $packages >/dev/null 2>&1 || { [ $updated = 0 ] && $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y $packages >/dev/null 2>&1; }; } ||
    { say "apt-get could not install$packages"; exit 1; }
fi
for t in buildah umoci; do command -v $t >/dev/null 2>&1 || { say "$t is still missing"; exit 1; }; done
