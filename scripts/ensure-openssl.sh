#!/usr/bin/env bash
# Makes sure Debian's openssl is installed: the e-mail tests make a certificate for their
# SMTP receiver on loopback with it. Exit 1 with the reason on stderr where it cannot be
# had (not root, no apt): those tests then say so and are skipped.
set -u
say() { echo "ensure-openssl: $*" >&2; }
if ! command -v openssl >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else say "openssl is not installed and this user cannot install it"; exit 1; fi
  fi
  say "installing openssl (apt-get)..."
  { $SUDO apt-get install -y openssl >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y openssl >/dev/null 2>&1; }; } ||
    { say "apt-get could not install openssl"; exit 1; }
fi
command -v openssl
