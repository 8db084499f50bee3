"""Region datasets: the embedded default dataset of the Belt and user datasets of the same
layout (a folder with ``dataset.yaml`` and ``sources.csv``)."""
