#!/usr/bin/env bash
# Make sure the system packages the pipeline needs are installed.
#   build: fonts for every script, espeak-ng (offline speech), Pango (WeasyPrint)
#   test:  also poppler (pdftotext, pdffonts, pdftoppm), a Java runtime (EPUBCheck),
#          Chromium and Node.js (Ace by DAISY, the download-page check), GNU gettext
#          (msgmerge, msgcat, msgfmt: the approval records' round trip)
# As root, installs what is missing with apt-get; otherwise prints the exact command.
set -euo pipefail
profile="${1:-build}"

build_packages=(fonts-sil-andika fonts-noto-core fonts-noto-cjk espeak-ng libpango-1.0-0 libpangoft2-1.0-0 fontconfig)
test_packages=(poppler-utils default-jre-headless chromium nodejs npm gettext)

wanted=("${build_packages[@]}")
if [ "$profile" = "test" ]; then
  wanted+=("${test_packages[@]}")
fi

have_command() { command -v "$1" >/dev/null 2>&1; }
missing=()
for package in "${wanted[@]}"; do
  case "$package" in
    # Tools that may come from elsewhere than Debian (a JDK, NodeSource): accept the command.
    default-jre-headless) have_command java && continue ;;
    nodejs) have_command node && continue ;;
    npm) have_command npm && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if ! have_command apt-get; then
  echo "handouts setup: install these system packages (names from Debian): ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "handouts setup: missing system packages. Run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "handouts setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
