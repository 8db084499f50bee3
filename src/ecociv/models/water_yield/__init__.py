"""``water_yield`` — annual water yield by the Budyko–Fu curve (InVEST semantics)."""
