#!/usr/bin/env bash
# Quiet-machine round on main (after this session's helpers), 2026-12-04 (night session 21:04-00:04). From /work/wt/check (detached at main).
cd /work/wt/check
unset PYTHONDONTWRITEBYTECODE  # set in this machine's shells; installed packages have .pyc files
PY=/work/main/.venv/bin/python
export PYTHONPATH=/work/wt/check/src
O=/tmp/q10
L=$O/loads.txt
stamp(){ echo "$(date -u +%H:%M:%S) $1 $(cat /proc/loadavg)" >> $L; }
mkdir -p $O; stamp start
$PY benchmarks/bench_demo.py --tree old=/work/wt/base7f/src --tree start=/work/wt/based5/src --tree now=/work/wt/check/src --repeats 5 --out $O/demo.json > $O/demo.log 2>&1
stamp demo
$PY benchmarks/demo_timeline.py --tree now=/work/wt/check/src --json $O/demo_timeline.json > $O/demo_timeline.log 2>&1
stamp demo_timeline
$PY benchmarks/bench_water_yield.py --sizes 4000 --repeats 7 --invest benchmarks/_work/invest-venv/bin/python \
  --skip-startup --ecociv-src based5=/work/wt/based5/src --out $O/wy_albers.json > $O/wy_albers.log 2>&1
stamp wy_albers
$PY benchmarks/bench_water_yield.py --sizes 4000 --repeats 5 --crs utm45n --compress lzw --watersheds 16 \
  --invest benchmarks/_work/invest-venv/bin/python --skip-startup --ecociv-src based5=/work/wt/based5/src \
  --out $O/wy_utm.json > $O/wy_utm.log 2>&1
stamp wy_utm
$PY benchmarks/bench_services.py --crs albers --configs soil_conservation sand_fixation_annual --skip-ls-alone --repeats 3 \
  --label quiet_albers --baseline-src /work/wt/based5/src --baseline-label based5_albers --runs-dir $O/runs --out $O/services_albers.json > $O/services_albers.log 2>&1
stamp services_albers
rm -rf $O/runs
$PY benchmarks/bench_startup.py --repeats 15 --out $O/startup.json > $O/startup.log 2>&1
stamp startup
touch $O/DONE
# After the round (22:43-22:50), from /work/wt/check at the same main:
#   PYTHONPATH=src python benchmarks/bench_water_allocation.py --ensemble-only          > water_allocation.log (JSON: water_allocation.json)
#   PYTHONPATH=src python benchmarks/bench_water_allocation.py --compare-src /work/wt/basec184/src --members 100 --pairs 3 > wa_compare.log
#   (/work/wt/basec184: a worktree of c18420b, the code of the 45.1 s ensemble measurement of 05:24 UTC)
