"""Reads of the ratings app: querysets and plain data (never Http404, never HTML), one module per feature."""
