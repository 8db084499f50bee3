"""The six strategies of the seed study as scenario files (``ecociv/data/strategies``), running
them as a set into one results store, and comparing runs (indicator tables, trade-off chart,
difference maps). Runs go through the ordinary scenario runner and its step cache."""
