"""``spatial_planning`` — urban development boundary, three zones and three lines (三区三线),
plan conflicts (多规合一) and construction-land control."""
