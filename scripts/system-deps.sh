#!/usr/bin/env bash
# Installs the system services the test suite starts by itself, when they are missing
# and we may: as root with apt-get (as CI runs). Elsewhere the tests that need them skip.
set -u
need=()
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus dbus-daemon)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} (not root or no apt-get): the tests that need them will skip" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  echo "system-deps: could not install ${need[*]}: the tests that need them will skip" >&2
fi
exit 0
