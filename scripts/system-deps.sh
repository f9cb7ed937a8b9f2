#!/usr/bin/env bash
# Make sure the system packages the pipeline needs are installed.
#   build: fonts for every script, espeak-ng (offline speech), Pango (WeasyPrint), liblouis
#          (braille: lou_translate, the tables, the python3-louis binding), and the
#          clearer offline voices: SVOX Pico (es, fr), RHVoice (ru, uk, pt-BR, pl), Open
#          JTalk (ja). These live in Debian's contrib and non-free sections (Ubuntu:
#          universe and multiverse), which this script enables as root (one deb822
#          .sources file) or prints the commands for; without them the build still works,
#          each language falling back to espeak-ng with one line saying what to install.
#   test:  also poppler (pdftotext, pdffonts, pdftoppm), a Java runtime (EPUBCheck),
#          Chromium and Node.js (Ace by DAISY, the download-page check), GNU gettext
#          (msgmerge, msgcat, msgfmt: the approval records' round trip)
# As root, installs what is missing with apt-get; otherwise prints the exact command.
set -euo pipefail
profile="${1:-build}"

build_packages=(fonts-sil-andika fonts-noto-core fonts-noto-cjk espeak-ng libpango-1.0-0 libpangoft2-1.0-0 fontconfig
                liblouis-bin liblouis-data python3-louis)
test_packages=(poppler-utils default-jre-headless chromium nodejs npm gettext libbrailleutils-java)
voice_packages=(libttspico-utils rhvoice rhvoice-russian rhvoice-ukrainian rhvoice-brazilian-portuguese rhvoice-polish
                open-jtalk open-jtalk-mecab-naist-jdic hts-voice-nitech-jp-atr503-m001)

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

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing_voices=()
for package in "${voice_packages[@]}"; do
  installed "$package" || missing_voices+=("$package")
done

# The archive sections the voices come from, as a deb822 .sources file.
sections_file() {
  . /etc/os-release
  if [ "${ID:-}" = "ubuntu" ]; then
    printf 'Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: %s %s-updates\nComponents: universe multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n' "$VERSION_CODENAME" "$VERSION_CODENAME"
  else
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$VERSION_CODENAME" "$VERSION_CODENAME"
  fi
}
sections_path="${HANDOUTS_APT_SOURCES_DIR:-/etc/apt/sources.list.d}/handouts-voices.sources"
sections_name() { . /etc/os-release; [ "${ID:-}" = "ubuntu" ] && echo "Ubuntu universe/multiverse" || echo "Debian contrib/non-free"; }
# Installable: apt knows a candidate version. (`apt-cache show` succeeds, printing nothing, for a
# package only referenced by another one, as libttspico-utils is from main's Suggests.)
available() { local policy; policy=$(apt-cache policy "$1" 2>/dev/null) || return 1; [[ "$policy" =~ Candidate:\ [^\(] ]]; }
all_available() { local package; for package in "$@"; do available "$package" || return 1; done; }

if [ "${#missing[@]}" -eq 0 ] && [ "${#missing_voices[@]}" -eq 0 ]; then
  exit 0
fi
if ! have_command apt-get; then
  [ "${#missing[@]}" -eq 0 ] || echo "handouts setup: install these system packages (names from Debian): ${missing[*]}" >&2
  [ "${#missing_voices[@]}" -eq 0 ] || echo "handouts setup: clearer voices need (Debian contrib/non-free): ${missing_voices[*]}" >&2
  [ "${#missing[@]}" -eq 0 ]
  exit
fi
if [ "$(id -u)" -ne 0 ]; then
  if [ "${#missing[@]}" -ne 0 ]; then
    echo "handouts setup: missing system packages. Run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  fi
  if [ "${#missing_voices[@]}" -ne 0 ]; then
    echo "handouts setup: the clearer voices (SVOX Pico, RHVoice, Open JTalk) are not installed; they come from $(sections_name). Run:" >&2
    if ! all_available "${missing_voices[@]}"; then
      echo "  printf '$(sections_file | awk '{printf "%s\\n", $0}')' | sudo tee $sections_path >/dev/null" >&2
      echo "  sudo apt-get update" >&2
    fi
    echo "  sudo apt-get install -y --no-install-recommends ${missing_voices[*]}" >&2
  fi
  [ "${#missing[@]}" -eq 0 ]
  exit
fi
export DEBIAN_FRONTEND=noninteractive
if [ "${#missing_voices[@]}" -ne 0 ] && ! all_available "${missing_voices[@]}" && [ ! -e "$sections_path" ]; then
  sections_file > "$sections_path"
  echo "handouts setup: enabled $(sections_name) for the voices ($sections_path)" >&2
fi
echo "handouts setup: installing ${missing[*]}${missing[*]:+ }${missing_voices[*]}" >&2
apt-get update -q >/dev/null
[ "${#missing[@]}" -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
wanted_voices=()
unavailable=()
for package in "${missing_voices[@]}"; do
  if available "$package"; then wanted_voices+=("$package"); else unavailable+=("$package"); fi
done
[ "${#unavailable[@]}" -eq 0 ] || echo "handouts setup: not in this machine's archives: ${unavailable[*]}; those languages fall back to espeak-ng ('handouts voices' says which)" >&2
[ "${#wanted_voices[@]}" -eq 0 ] || apt-get install -y -q --no-install-recommends "${wanted_voices[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
