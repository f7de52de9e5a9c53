#!/usr/bin/env bash
# Makes sure gcc and Debian's libseccomp-dev are here, for the test that runs the binary
# under the systemd unit's system call filter. Exit 1 with the reason on stderr where they
# cannot be had: that test then says so and is skipped.
set -u
say() { echo "ensure-seccomp: $*" >&2; }
command -v gcc >/dev/null 2>&1 || { say "no gcc"; exit 1; }
[ -f /usr/include/seccomp.h ] && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else say "libseccomp-dev is not installed and this user cannot install it"; exit 1; fi
fi
{ $SUDO apt-get install -y libseccomp-dev >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y libseccomp-dev >/dev/null 2>&1; }; } ||
  { say "apt-get could not install libseccomp-dev"; exit 1; }
