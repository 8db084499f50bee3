"""``habitat_quality`` — habitat degradation and quality (InVEST Habitat Quality semantics)."""
