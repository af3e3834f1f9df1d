"""ADaM layer: the generic derivation library (derive.py, events.py) and one module per dataset
(adsl, adrs, adtte, adae, adex), registered in dependency order in MODULES."""

from . import adae, adex, adrs, adsl, adtte

MODULES = (adsl, adrs, adtte, adae, adex)
