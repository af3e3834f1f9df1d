"""trialflow: raw CRF extracts -> CDISC SDTM -> ADaM -> validated tables, listings and figures."""

__version__ = "0.1.0"
