"""Natural-resource physical asset accounts (SEEA style)."""
