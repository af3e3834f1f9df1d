"""Raw CRF forms -> SDTM, by spec.

mapping.py   the vocabulary (assign_no_ct, assign_ct, hardcode_no_ct, hardcode_ct, assign_datetime,
             condition_add, ...) and the common derivations (--SEQ, --DY, EPOCH, VISITNUM, --LOBXFL, SUPP--)
rawio.py     strict reading of one raw form, with each row's lineage
engine.py    the one engine that builds a domain from specs/sdtm/<DOMAIN>.yaml
special.py   SE (subject elements) and the planned visits of TV
steps.py     pipeline steps (one per domain + reconciliation)
"""
