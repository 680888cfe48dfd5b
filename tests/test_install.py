"""An installed wheel finds its built-in blueprints from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Without PYTHONPATH, so the checkout's sources cannot stand in for the wheel.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args],
        check=True,
        capture_output=True,
        text=True,
        env=CLEAN_ENV,
        **kwargs,
    )


def test_wheel_in_a_fresh_environment_lists_and_renders_from_another_folder(
    tmp_path: Path,
):
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT)
    (wheel,) = wheels.glob("perftemplates-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    _run(env_dir / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    listed = _run(env_dir / "bin" / "perftemplates", "list", cwd=elsewhere).stdout
    _run(
        env_dir / "bin" / "python",
        "-m",
        "perftemplates",
        "render",
        "okr",
        "--out",
        "files",
        "--as-of",
        "2026-12-03",
        cwd=elsewhere,
    )

    shipped = sorted(path.stem for path in (ROOT / "blueprints").glob("*.yaml"))
    assert [line.split()[0] for line in listed.splitlines()] == shipped
    rendered = sorted(path.name for path in (elsewhere / "files").iterdir())
    assert rendered == ["okr.docx", "okr.xlsx"]
