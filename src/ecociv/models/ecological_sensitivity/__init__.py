"""``ecological_sensitivity`` — soil erosion, desertification and salinization sensitivity (red-line guideline 2017)."""
