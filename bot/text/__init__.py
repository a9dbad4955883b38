"""Text utilities shared by every layer: cleaning, normalising, tokens, signatures, language detection."""
