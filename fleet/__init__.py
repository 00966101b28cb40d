"""Many organizations at once: a manifest, a PostgreSQL job queue (procrastinate), and each
organization's steps on its own store scope. The CLI is `bpbridge fleet` (bridge/cli/fleet.py)."""

from fleet.manifest import Organization, check_manifest, load_manifest
from fleet.queue import Fleet

__all__ = ["Fleet", "Organization", "check_manifest", "load_manifest"]
