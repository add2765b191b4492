"""Documentation checked by code: the generated references match the code, and the README keeps its
two commands and the architecture page names every package."""

from __future__ import annotations

import re
from pathlib import Path

from amparo import docgen

ROOT = Path(__file__).resolve().parents[2]


def test_generated_references_are_current() -> None:
    stale = [name for name, render in docgen.GENERATED.items() if (ROOT / "docs" / name).read_text(encoding="utf-8") != render()]
    assert stale == [], f"regenerate with `python -m amparo.docgen`: {stale}"


def test_every_setting_cli_command_and_route_is_documented() -> None:
    from amparo.config import Settings

    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"AMPARO_{name.upper()}" in configuration
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("amparo treaties count", "amparo db upgrade", "amparo users create", "amparo audit verify", "amparo serve", "amparo demo"):
        assert f"`{command}`" in cli


def test_readme_has_the_run_and_test_commands_that_ci_uses() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for marker in ("<!-- run-command -->", "<!-- test-command -->"):
        block = re.search(re.escape(marker) + r"\s*```\s*\n(.+?)\n```", readme, re.S)
        assert block, f"README.md lost the command after {marker}"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in ci, ".ci/run must take its test command from the README"


def test_architecture_names_every_package() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in (ROOT / "src" / "amparo").iterdir() if p.is_dir() and (p / "__init__.py").exists())
    missing = [name for name in packages if f"`amparo.{name}`" not in architecture]
    assert missing == [], f"docs/architecture.md does not describe: {missing}"
