#!/usr/bin/env bash
# Installs the Debian packages SafePassage needs on a fresh machine, only those missing.
#   scripts/system-deps.sh            build needs: pkg-config and ICU headers (PyICU compiles against them),
#                                     and fonts-dejavu-core (Arabic and Cyrillic in printed passes)
#   scripts/system-deps.sh --browser  also Debian's Chromium and fonts with Arabic and Cyrillic (browser tests)
set -euo pipefail
need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists icu-uc 2>/dev/null || need+=(libicu-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
# boarding passes and manifests (PDF): a font with Latin, Cyrillic and Arabic glyphs
fc-list 2>/dev/null | grep -qi "dejavu" || [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
if [[ "${1:-}" == "--browser" ]]; then
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
fi
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
