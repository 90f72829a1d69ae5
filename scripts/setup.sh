#!/usr/bin/env bash
# `npm run setup`: everything a fresh Debian machine needs to build, test and run Delineate.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages used by the tests: Debian's Chromium (the e2e browser) and the reference tools our
# import/export is checked against (dcm2niix, dcmtk, dicom3tools' dciodvfy, GDCM, pydicom, nibabel);
# strace measures the files the app opens for the packaging check (npm run check:package).
APT_PACKAGES=(chromium dcm2niix dcmtk dicom3tools libgdcm-tools python3-pydicom python3-nibabel python3-numpy strace)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = none ]; then
    echo "setup: cannot install ${missing[*]} (not root, no sudo); the end-to-end tests need them" >&2
  else
    echo "setup: installing ${missing[*]} with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm packages. onnxruntime-node's install script would download the CUDA provider and fail offline:
# it is skipped (package.json allowScripts, and this variable for npm versions without allowScripts);
# the CPU provider ships inside the package. Electron's binary download is likewise tried separately.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-fund --no-audit

# The Electron binary, where it can be downloaded (not on CI or offline machines: npm start then
# serves the UI to a browser instead).
if [ -z "${CI:-}" ] && [ ! -f node_modules/electron/path.txt ]; then
  if timeout 300 node node_modules/electron/install.js >/dev/null 2>&1; then
    echo "setup: Electron binary installed"
  else
    echo "setup: Electron's binary could not be downloaded; npm start will open the browser host instead"
  fi
fi

npm run build
echo "setup: done. Run the tests with: npm test"
