"""crosssell: data-driven cross-selling and up-selling for any Django shop."""

__version__ = "0.1.0"
