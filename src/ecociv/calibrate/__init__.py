"""Calibration of model parameters against observations (``ecociv calibrate``).

``catchments`` delineates gauges' catchments from a DEM, ``gauges`` reads the gauge table,
``problem`` defines the named parameters of ``water_yield`` and the forward model, ``fit`` the
least-squares fit and the held-out test, ``inputs`` reads a dataset, ``run`` runs one
calibration and ``write`` writes it into the dataset folder (status ``calibrated``).
See ``docs/calibration.md``.
"""
