"""The search index: facts ranked against a question, with scores and evidence. The only user of rapidfuzz; no discord here."""
