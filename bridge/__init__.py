"""Shared core of the Books-Projects integration toolkit.

`bridge` never imports `legacy`, `enhanced` or `migrate`; they import it. The one place that
maps a mode name to an implementation is `bridge.modes`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
