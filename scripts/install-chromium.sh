#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests, when it is missing.
# Best effort: where it cannot be installed, those tests say so and are skipped.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "install-chromium: not root and no sudo; the browser tests will be skipped" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
echo "Installing chromium (apt-get)..." >&2
$SUDO apt-get install -y chromium >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y chromium >/dev/null 2>&1; } ||
  echo "install-chromium: apt-get could not install chromium; the browser tests will be skipped" >&2
exit 0
