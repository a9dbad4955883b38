"""A Discord bot that answers questions about Japan's My Number health insurance cards with sourced figures."""

__version__ = "0.1.0"
