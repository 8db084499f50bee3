"""Loaders for tables, vectors and parameters, checked against a model's spec."""
