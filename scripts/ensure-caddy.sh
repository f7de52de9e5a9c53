#!/usr/bin/env bash
# Makes sure Debian's caddy is installed for the proxy tests, and prints its path alone on
# stdout. Exit 1 with the reason on stderr where it cannot be had (not root, no apt): the
# tests that need it then say so and are skipped. Nothing is started here: each test runs
# its own caddy on loopback with a config of its own.
set -u
say() { echo "ensure-caddy: $*" >&2; }
if ! command -v caddy >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else say "caddy is not installed and this user cannot install it"; exit 1; fi
  fi
  say "installing caddy (apt-get)..."
  { $SUDO apt-get install -y caddy >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y caddy >/dev/null 2>&1; }; } ||
    { say "apt-get could not install caddy"; exit 1; }
fi
command -v caddy
