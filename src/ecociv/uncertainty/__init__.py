"""Uncertainty and sensitivity of a scenario: distributions on parameters, levers and input
multipliers; Monte Carlo (Latin hypercube) ranges and Sobol indices (Saltelli sampling, SALib),
evaluated on a dask.distributed cluster (see docs/uncertainty.md)."""
