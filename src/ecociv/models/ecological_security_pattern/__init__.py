"""``ecological_security_pattern`` — ecological sources, resistance surface, least-cost (MCR)
corridors and circuit-theory current density with pinch points (生态安全格局)."""
