"""``et0`` — FAO-56 reference evapotranspiration (Penman–Monteith, Hargreaves–Samani fallback)
for weather-station tables and grids."""
