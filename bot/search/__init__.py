"""Text normalisation, the search index and scoring. The only user of rapidfuzz; no discord here."""
