"""Water conservation (水源涵养量) by the red-line guideline's water balance or corrected water yield."""
