"""Ecosystem-service value and ecological compensation."""
