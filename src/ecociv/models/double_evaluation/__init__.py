"""``double_evaluation`` — carrying capacity and development suitability (双评价, 2020 guide)."""
