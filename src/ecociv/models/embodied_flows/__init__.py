"""Environmentally extended input-output (Leontief): embodied water and CO2 of trade."""
