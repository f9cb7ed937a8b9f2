"""Patient-education handouts: one reviewed article in, PDF, EPUB and audio out, in every language."""

__version__ = "0.1.0"
