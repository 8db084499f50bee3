"""``land_use_change``: land-use demand (Markov chain, targets, levers), suitability of each
class from drivers, and a cellular automaton that allocates the demand on the map (after PLUS's
CARS and FLUS), with validation metrics."""
