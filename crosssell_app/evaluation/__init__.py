"""Offline evaluation: data loading, splits and metrics. Pure pandas/numpy, no Django."""
