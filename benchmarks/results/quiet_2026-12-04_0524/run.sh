#!/usr/bin/env bash
# Quiet-machine round 2 on main c18420b (after the morning's helpers), 2026-12-04. From /work/wt/check.
cd /work/wt/check
PY=/work/main/.venv/bin/python
export PYTHONPATH=/work/wt/check/src
O=/tmp/q6
L=$O/loads.txt
stamp(){ echo "$(date -u +%H:%M:%S) $1 $(cat /proc/loadavg)" >> $L; }
stamp start
$PY benchmarks/bench_water_yield.py --sizes 4000 --repeats 3 --crs utm45n --compress lzw --watersheds 16 \
  --invest benchmarks/_work/invest-venv/bin/python --skip-startup --ecociv-src base3e=/work/wt/base3e/src \
  --out $O/wy_utm.json > $O/wy_utm.log 2>&1
stamp wy_utm
$PY benchmarks/bench_water_yield.py --sizes 4000 --repeats 3 --invest benchmarks/_work/invest-venv/bin/python \
  --skip-startup --ecociv-src base3e=/work/wt/base3e/src --ecociv-env noahead:ECOCIV_READ_AHEAD_MB=0 --out $O/wy_albers.json > $O/wy_albers.log 2>&1
stamp wy_albers
$PY benchmarks/bench_startup.py --repeats 15 --out $O/startup.json > $O/startup.log 2>&1
stamp startup
$PY benchmarks/bench_water_allocation.py --ensemble-only --members 4 --workers 2 > $O/alloc_warm.log 2>&1
$PY benchmarks/bench_water_allocation.py --ensemble-only --members 1000 --workers 2 > $O/alloc.log 2>&1
cp benchmarks/results/water_allocation.json $O/water_allocation.json
stamp alloc
$PY benchmarks/bench_services.py --crs albers --configs soil_conservation sand_fixation_annual --skip-ls-alone --repeats 3 \
  --label quiet_albers --baseline-src /work/wt/base3e/src --baseline-label base3e_albers --out $O/services_albers.json > $O/services_albers.log 2>&1
stamp services_albers
$PY benchmarks/bench_demo.py --tree old=/work/wt/base7f/src --tree start=/work/wt/base3e/src --tree now=/work/wt/check/src --repeats 2 --out $O/demo.json > $O/demo.log 2>&1
stamp demo
touch $O/DONE
