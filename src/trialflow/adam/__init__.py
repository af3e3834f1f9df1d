"""ADaM layer: the generic derivation library (derive.py) and one module per dataset."""
