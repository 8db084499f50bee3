"""Built-in models: one package per model, each with ``kernels.py`` (pure array functions) and
``model.py`` (the spec, a short ``run`` and a minimal example)."""
