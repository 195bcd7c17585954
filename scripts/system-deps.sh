#!/usr/bin/env bash
# Installs the Debian packages Assay needs beyond a fresh machine, when it can (root + apt).
#   redis-server   Celery broker for `make run` (the filesystem broker is used without it)
#   chromium       browser tests (Playwright drives Debian's Chromium; it never downloads one)
#   poppler-utils  pdfsig / pdftoppm / pdftotext: independent checks of signed PDFs
#   fonts-noto-cjk, fonts-hanazono (CJK extensions B-G), fonts-liberation, fonts-dejavu-core
#                  (Arabic): the PDF fonts, the only ones PDFs use; libharfbuzz-subset0: subsetting
#   libnss3-tools  certutil, for pdfsig's trust store
#   gettext        compiling and checking the translation catalogues
#   postgresql     the second CI run (present on a fresh machine; installed if missing)
set -euo pipefail
packages=(redis-server chromium poppler-utils fonts-noto-cjk fonts-hanazono fonts-liberation fonts-dejavu-core libharfbuzz-subset0 libnss3-tools openssl gettext)
[ "${WITH_POSTGRES:-0}" = 1 ] && packages+=(postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (install them as root): ${missing[*]}" >&2
  echo "Continuing; features that need them will say so." >&2
fi
