"""The secrets file on bad days: damaged, unreadable, or a write that fails half-way. Each is
a ConfigError naming the file (never its contents), and a failed write leaves the old file
whole and no temp file behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import ConfigError
from bridge.secrets import FileSecrets

KEY = "zsc-5f1c2a9e8b7d4c3a"


@pytest.mark.parametrize("content", ['{"legacy:1": "' + KEY + '"', f'["{KEY}"]', f'{{"legacy:1": ["{KEY}"]}}'])
def test_a_damaged_file_is_refused_by_name_without_its_contents(tmp_path: Path, content: str) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        FileSecrets(path).get("legacy:1")
    assert str(path) in caught.value.message and "damaged" in caught.value.message
    assert KEY not in f"{caught.value.message} {caught.value.hint}"


def test_a_path_that_cannot_be_read_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").mkdir()  # a folder where the file should be
    with pytest.raises(ConfigError, match="cannot be read"):
        FileSecrets(tmp_path / "secrets.json").get("legacy:1")


def test_a_folder_that_cannot_be_made_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("a file, not a folder")
    with pytest.raises(ConfigError, match="cannot be locked"):
        FileSecrets(tmp_path / "home" / "secrets.json").put("legacy:1", KEY)


def test_a_write_that_fails_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.json"
    secrets = FileSecrets(path)
    secrets.put("legacy:1", KEY)

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", full_disk)
    with pytest.raises(ConfigError, match="No space left on device"):
        secrets.put("enhanced:2", "another-key")
    monkeypatch.undo()
    assert secrets.get("legacy:1") == KEY and secrets.get("enhanced:2") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.json", "secrets.json.lock"]
