"""``sand_fixation`` — wind erosion and sand fixation by the Revised Wind Erosion Equation (RWEQ)."""
