"""Scenarios (YAML, validated), the runner that couples models, and the results store."""
