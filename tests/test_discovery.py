"""Nested .gitignore files apply to their own subtree, at every depth below them."""

from __future__ import annotations

from pathlib import Path

from rnnlint.discovery import discover


def test_nested_gitignores_apply_below_their_directory(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*_generated.py\n")
    deep = tmp_path / "pkg" / "sub" / "deeper"
    deep.mkdir(parents=True)
    (tmp_path / "pkg" / ".gitignore").write_text("scratch/\nlocal_*.py\n")
    for relative in (
        "top.py",
        "top_generated.py",
        "pkg/a.py",
        "pkg/local_a.py",
        "pkg/sub/local_b.py",
        "pkg/sub/deeper/c.py",
        "pkg/sub/deeper/c_generated.py",
        "pkg/scratch/d.py",
        "other/local_e.py",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    found = sorted(Path(p).relative_to(tmp_path).as_posix() for p in discover([tmp_path]))
    assert found == ["other/local_e.py", "pkg/a.py", "pkg/sub/deeper/c.py", "top.py"]
