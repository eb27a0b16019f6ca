"""Static hygiene: CI runs the README's test command, with ruff (security rules on) and exact pins."""
from __future__ import annotations

import re
import tomllib
from configparser import ConfigParser

from tests.security._support import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Run edcert's own tests"):]
    return section.split("```sh\n", 1)[1].split("\n```", 1)[0].strip()


def test_ci_runs_the_readme_test_command() -> None:
    command = readme_test_command()
    assert "-c constraints.txt" in command and "ruff check edcert tests" in command and "pytest" in command
    assert command.index("ruff check") < command.index("pytest"), "lint first: a cheap failure ends CI early"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_ruff_security_rules_are_on() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "S" in config["tool"]["ruff"]["lint"]["select"]


def test_dependencies_have_lower_bounds_and_ci_pins_them_exactly() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    assert all(">=" in r for r in requirements), [r for r in requirements if ">=" not in r]
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[_name(name)] = version
    assert "edcert" not in pins
    missing = sorted({_name(r) for r in requirements} - set(pins))
    assert missing == [], f"constraints.txt lacks {missing} (regenerate it with pip freeze)"


def test_tox_has_an_audit_environment() -> None:
    tox = ConfigParser()
    tox.read(ROOT / "tox.ini")
    assert "pip-audit" in tox["testenv:audit"]["deps"]
    assert "pip-audit" in tox["testenv:audit"]["commands"] and "constraints.txt" in tox["testenv:audit"]["commands"]
