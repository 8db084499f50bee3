#!/usr/bin/env bash
# A throwaway venv with InVEST 3.20.2, the peer of benchmarks/bench_water_yield.py (--invest).
# Not a project dependency: it lives in benchmarks/_work/ (git-ignored).
#
# natcap.invest 3.20.2 and pygeoprocessing 2.4.11 are source-only on PyPI for Linux, so they
# are compiled here against the system GDAL (Debian 12: libgdal 3.6.2). Three things are needed
# beyond a plain `pip install natcap.invest==3.20.2`, each the fix of an error met on the way:
#   1. gdal-config and a C++ compiler (apt: libgdal-dev build-essential), else
#      "FileNotFoundError: ... 'gdal-config'" while building pygeoprocessing;
#   2. Cython < 3.1 in the build environment, else pygeoprocessing's routing.pyx fails with
#      "Cannot assign type 'double' to 'int'" (Cython 3.3 is stricter);
#   3. GDAL's Python bindings pinned to the system libgdal and rebuilt against the venv's
#      NumPy 2 headers, else "A module that was compiled using NumPy 1.x cannot be run in
#      NumPy 2" (Debian's NumPy 1.24 headers in /usr/include/python3.11 are found first).
# Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
WORK=_work
VENV="$WORK/invest-venv"
mkdir -p "$WORK"
if ! command -v gdal-config >/dev/null || ! command -v g++ >/dev/null; then
  apt-get update && apt-get install -y python3-venv libgdal-dev build-essential
fi
GDAL_VERSION="$(gdal-config --version)"
/usr/bin/python3 -m venv "$VENV"
printf 'cython<3.1\nGDAL==%s\n' "$GDAL_VERSION" > "$WORK/invest-constraints.txt"
PIP_CONSTRAINT="$PWD/$WORK/invest-constraints.txt" "$VENV/bin/pip" install natcap.invest==3.20.2
NUMPY_INCLUDE="$("$VENV/bin/python" -c 'import numpy; print(numpy.get_include())')"
"$VENV/bin/pip" install setuptools wheel
CFLAGS="-I$NUMPY_INCLUDE" CPPFLAGS="-I$NUMPY_INCLUDE" "$VENV/bin/pip" install \
  --no-build-isolation --no-cache-dir --force-reinstall --no-deps "GDAL==$GDAL_VERSION"
"$VENV/bin/python" -c "
from osgeo import gdal, gdal_array
import natcap.invest
from natcap.invest import annual_water_yield
print('InVEST', natcap.invest.__version__, 'GDAL', gdal.__version__)"
echo "use: --invest $(pwd)/$VENV/bin/python"
