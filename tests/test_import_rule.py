"""The import rule the tree promises (README, docs/CONTRACTS.md): what both modes share
(`bridge/`) never imports a mode or the migrator, and the library never imports the CLI;
the sandbox of both services (`sandbox/`, a stand-in) is never imported on the production
path (`bridge/` but its CLI, `legacy/`, `enhanced/`, `migrate/`, `fleet/`): bridge.targets
reaches it by name, as bridge.modes reaches the modes. The fleet (`fleet/`) is library too:
`bpbridge fleet` calls it, never the other way.

`bridge/cli/` (with `bridge/__main__.py`) is the one declared exception (the CLI drives legacy, enhanced and migrate);
`bridge/modes.py` names the modes' classes as strings for `importlib` (S2's one registry),
which is not an import of them. Checked on the source (every `import`, at any depth), so a
function-level import cannot hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BRIDGE = ROOT / "bridge"
MODES_AND_MIGRATOR = ("legacy", "enhanced", "migrate")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


#: the CLI: bridge/cli/ and `python -m bridge`
LIBRARY = sorted(p for p in BRIDGE.rglob("*.py")
                 if "cli" not in p.relative_to(BRIDGE).parts and p.name != "__main__.py")


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(BRIDGE.parent)))
def test_the_shared_library_imports_no_mode_no_migrator_and_no_cli(path: Path) -> None:
    wrong = sorted(name for name in _imports(path)
                   if name.split(".")[0] in (*MODES_AND_MIGRATOR, "sandbox")
                   or name.split(".")[:2] == ["bridge", "cli"])
    assert not wrong, f"{path.relative_to(BRIDGE.parent)} imports {wrong}"


def test_the_rule_sees_a_function_level_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from migrate.run import run_migration\n    import enhanced.sync\n")
    assert _imports(sneaky) == {"migrate.run", "enhanced.sync"}


PRODUCTION = sorted(p for pkg in (*MODES_AND_MIGRATOR, "fleet") for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", PRODUCTION, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_modes_and_the_migrator_never_import_the_sandbox(path: Path) -> None:
    wrong = sorted(name for name in _imports(path) if name.split(".")[0] == "sandbox")
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"


@pytest.mark.parametrize("path", sorted((ROOT / "fleet").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_fleet_never_imports_the_cli(path: Path) -> None:
    wrong = sorted(name for name in _imports(path) if name.split(".")[:2] == ["bridge", "cli"])
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"
