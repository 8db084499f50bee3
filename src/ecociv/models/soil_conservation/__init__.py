"""Soil conservation by RUSLE (土壤保持): potential minus actual soil loss."""
