"""The ``ecociv`` command line: one module per subcommand, thin callers of the library."""
