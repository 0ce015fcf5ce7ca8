#!/usr/bin/env bash
# Installs the course where it is, for a Jupyter image: the one set of steps that deploy/Dockerfile (the
# JupyterHub single-user image) and binder/postBuild (mybinder.org) both run, and test/deploy tests.
#
#   deploy/install-course.sh COURSE_DIR [KERNEL_PREFIX]
#
# COURSE_DIR    a copy of this repository (no node_modules needed): it gets the pinned packages
#               (npm install, not npm ci: patch-package patches tslab on install), the compiled library
#               (dist/, linked as node_modules/mbrl) and the course kernelspec in build/jupyter, all made
#               by the package's postinstall (scripts/build.mjs); then the student release of the
#               notebooks in build/release/notebooks (stubs, no solutions), which students copy into
#               their home (deploy/student-home).
# KERNEL_PREFIX also installs the kernel "TypeScript (MBRL course)" into KERNEL_PREFIX/share/jupyter,
#               where every Jupyter server of that Python finds it (the image's conda prefix, Binder's
#               $NB_PYTHON_PREFIX); without it the kernelspec stays in build/jupyter (JUPYTER_PATH).
set -euo pipefail

usage="usage: deploy/install-course.sh COURSE_DIR [KERNEL_PREFIX]"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "$usage" >&2; exit 2; }
course="$(cd "$1" && pwd)"
prefix="${2:-}"
say() { echo "[install-course] $*"; }

if ! command -v node >/dev/null 2>&1; then
  echo "install-course.sh: Node.js is not installed; the course needs Node 20 or newer" >&2
  exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "install-course.sh: Node $(node --version) is too old; the course needs Node 20 or newer" >&2
  exit 1
fi

cd "$course"
say "npm install in $course (Node $(node --version))"
npm install --no-audit --no-fund
say "the student release of the notebooks in build/release"
npm run --silent release -- build/release
if [ -n "$prefix" ]; then
  say "kernelspec tslab into $prefix/share/jupyter/kernels"
  jupyter kernelspec install --prefix "$prefix" --name tslab "$course/build/jupyter/kernels/tslab"
fi
say "done"
