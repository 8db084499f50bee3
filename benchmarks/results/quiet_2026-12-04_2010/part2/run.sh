#!/usr/bin/env bash
# Second part of the quiet round (20:21): services (the first attempt hit a benchmark bug, fixed in 2c7b477),
# more water_yield Albers runs with InVEST, more demo rounds. From /work/wt/check at main 2c7b477 (src as 538ba46).
cd /work/wt/check
unset PYTHONDONTWRITEBYTECODE
PY=/work/main/.venv/bin/python
export PYTHONPATH=/work/wt/check/src
O=/tmp/q9b
L=$O/loads.txt
mkdir -p $O
stamp(){ echo "$(date -u +%H:%M:%S) $1 $(cat /proc/loadavg)" >> $L; }
stamp start
$PY benchmarks/bench_services.py --crs albers --configs soil_conservation sand_fixation_annual --skip-ls-alone --repeats 3 \
  --label quiet_albers --baseline-src /work/wt/base31/src --baseline-label base31_albers --runs-dir $O/runs --out $O/services_albers.json > $O/services_albers.log 2>&1
stamp services_albers
rm -rf $O/runs
$PY benchmarks/bench_water_yield.py --sizes 4000 --repeats 7 --invest benchmarks/_work/invest-venv/bin/python \
  --skip-startup --ecociv-src c1ab=/work/wt/c1ab/src --out $O/wy_albers.json > $O/wy_albers.log 2>&1
stamp wy_albers
$PY benchmarks/bench_demo.py --tree old=/work/wt/base7f/src --tree now=/work/wt/check/src --repeats 5 --out $O/demo.json > $O/demo.log 2>&1
stamp demo
touch $O/DONE
