"""The only place that maps a mode name to an implementation (S2).

Implementations live outside `bridge` and are imported by name, so `bridge` never imports
`legacy` or `enhanced` at module load.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

from bridge.domain import Mode
from bridge.errors import InputError

if TYPE_CHECKING:
    from bridge.context import Context
    from bridge.interface import Integration

MODES: dict[str, str] = {
    Mode.LEGACY: "legacy.integration:LegacyIntegration",
    Mode.ENHANCED: "enhanced.integration:EnhancedIntegration",
}
DEFAULT_MODE_ENV = "BRIDGE_MODE"


def resolve_mode(name: str | None) -> str:
    """An explicit name, else $BRIDGE_MODE, else 'enhanced'."""
    mode = name or os.environ.get(DEFAULT_MODE_ENV) or "enhanced"
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    return mode


def open_integration(mode: str | None, ctx: Context) -> Integration:
    module_name, _, cls_name = MODES[resolve_mode(mode)].partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    integration: Integration = cls(ctx)
    return integration
