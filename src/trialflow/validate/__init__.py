"""Validation: datasets against specs and conformance rules, TLFs against shells and the publication."""
