"""Reports of runs: maps (PNG) now; HTML/PDF reports later."""
