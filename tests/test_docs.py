"""The user guide and the example CI workflow cannot drift: every example in them is run here.

Conventions for docs/*.md (the test fails with a message when one is broken):

* A fenced ``toml`` block starts with a comment naming its file (``# vendor.toml``); the name's prefix says
  what it is: ``vendor`` (vendor configuration), ``profile``, ``waivers`` or ``attestations``. Each is
  validated with edcert's own loader, and written under that name into the folder the commands run in
  (a vendor configuration's server is replaced by a sandbox started with the file's client id).
* A fenced ``sh`` block holding an ``edcert`` command may contain only ``edcert`` commands, ``export
  NAME=VALUE``, ``unset NAME``, comments and blank lines. Each ``edcert`` command ends with the exit code it
  gives, as a comment: ``# exit 0``. The blocks of one file run in order in one folder, like a shell session.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from markdown_it import MarkdownIt

from edcert.fixtures.districts import generate_district
from edcert.harness.attestations import CATALOGUE, load_attestations
from edcert.harness.cli import cli
from edcert.harness.config import HttpSettings, LtiToolConfig, OneRosterConfig, load_config
from edcert.harness.profile import Profile, load_profile
from edcert.harness.registry import REGISTRY
from edcert.harness.signing import generate_keypair
from edcert.harness.suites import load_all_checks
from edcert.harness.waivers import Waiver, load_waivers
from edcert.harness.writers.json import write_json
from edcert.sandbox import SandboxServer, create_app
from tests.harness.sandbox_scorecards import sandbox_scorecard

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
GUIDE = ROOT / "docs" / "guide.md"
WORKFLOW = ROOT / "docs" / "ci" / "edcert-renewal.yml"
_EXIT = re.compile(r"#.*?\bexit (\d+)\b")
_KINDS = ("vendor", "profile", "waivers", "attestations")


@dataclass(frozen=True)
class Block:
    info: str
    text: str
    line: int


def fenced_blocks(path: Path) -> list[Block]:
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    return [Block(t.info.strip(), t.content, (t.map[0] + 1) if t.map else 0) for t in tokens if t.type == "fence"]


def toml_files(path: Path) -> dict[str, tuple[Block, str]]:
    """The guide's TOML blocks by the file name each one declares, with its kind."""
    found: dict[str, tuple[Block, str]] = {}
    for block in fenced_blocks(path):
        if block.info != "toml":
            continue
        first = block.text.splitlines()[0] if block.text else ""
        match = re.fullmatch(r"#\s*([\w.-]+\.toml)\s*", first)
        assert match, f"{path.name}:{block.line}: a toml block starts with '# <name>.toml'"
        name = match.group(1)
        kind = next((k for k in _KINDS if name.startswith(k)), None)
        assert kind, f"{path.name}:{block.line}: {name} must start with one of {_KINDS}"
        assert name not in found, f"{path.name}:{block.line}: {name} is given twice"
        found[name] = (block, kind)
    return found


@dataclass(frozen=True)
class Step:
    kind: str  # edcert, export, unset
    argv: tuple[str, ...]
    expected: int
    where: str


def shell_steps(path: Path) -> list[Step]:
    steps: list[Step] = []
    for block in fenced_blocks(path):
        lines = block.text.splitlines()
        if block.info not in ("sh", "shell", "bash") or not any(ln.startswith("edcert ") for ln in lines):
            continue
        for offset, line in enumerate(lines):
            where = f"{path.name}:{block.line + 1 + offset}"
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            words = shlex.split(stripped, comments=True)
            if words[0] == "edcert":
                found = _EXIT.search(stripped)
                assert found, f"{where}: say the exit code the command gives, e.g. '# exit 0'"
                steps.append(Step("edcert", tuple(words[1:]), int(found.group(1)), where))
            elif words[0] in ("export", "unset") and len(words) == 2:
                steps.append(Step(words[0], (words[1],), 0, where))
            else:
                pytest.fail(f"{where}: only edcert, export and unset lines can be run by the docs test: {line!r}")
    return steps


def _validate(path: Path, kind: str) -> None:
    load_all_checks()
    if kind == "vendor":
        data = tomllib.loads(path.read_text())
        env = {table["client_secret_env"]: "x" for table in data.values() if "client_secret_env" in table}
        load_config(path, env=env)
    elif kind == "profile":
        load_profile(path, REGISTRY)
    elif kind == "waivers":
        load_waivers(path, REGISTRY)
    else:
        load_attestations(path)


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_toml_examples_are_valid(doc: Path, tmp_path: Path) -> None:
    for name, (block, kind) in toml_files(doc).items():
        path = tmp_path / name
        path.write_text(block.text)
        _validate(path, kind)


def _sandbox_secret(steps: list[Step], variable: str) -> str:
    for step in steps:
        if step.kind == "export" and step.argv[0].startswith(f"{variable}="):
            return step.argv[0].split("=", 1)[1]
    return "docs-test-secret"


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_commands_exit_as_the_docs_say(doc: Path, tmp_path: Path) -> None:
    steps = shell_steps(doc)
    files = toml_files(doc)
    if not steps:
        pytest.skip(f"{doc.name} has no edcert command")  # e.g. a page of pure reference
    vendor = tomllib.loads(files["vendor.toml"][0].text) if "vendor.toml" in files else None
    client_id = vendor["oneroster"]["client_id"] if vendor else "docs-client"
    secret = _sandbox_secret(steps, vendor["oneroster"]["client_secret_env"]) if vendor else "docs-secret"
    app = create_app(generate_district("small"), client_id=client_id, client_secret=secret)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDCERT_")}
    with SandboxServer(app) as server:
        for name, (block, kind) in files.items():
            text = block.text
            if kind == "vendor" and "oneroster" in tomllib.loads(text):
                base = tomllib.loads(text)["oneroster"]["base_url"]
                if not base.startswith("http://127.0.0.1"):
                    text = text.replace(base, server.base_url)
            (tmp_path / name).write_text(text)
        for step in steps:
            if step.kind == "export":
                name, value = step.argv[0].split("=", 1)
                env[name] = value
                continue
            if step.kind == "unset":
                env.pop(step.argv[0], None)
                continue
            proc = subprocess.run([sys.executable, "-m", "edcert", *step.argv], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
            assert proc.returncode == step.expected, (
                f"{step.where}: edcert {' '.join(step.argv)} exited {proc.returncode}, the doc says "
                f"{step.expected}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            if step.expected == 2:
                assert proc.stderr.startswith("edcert: error: ") and proc.stderr.count("\n") == 1, proc.stderr


def test_the_guide_covers_every_key_and_attestation() -> None:
    text = GUIDE.read_text()
    for key in OneRosterConfig.model_fields:
        if key != "client_secret":
            assert f"`{key}`" in text, f"[oneroster] {key} is not documented"
    for key in set(LtiToolConfig.model_fields) - set(HttpSettings.model_fields):
        assert f"`{key}`" in text, f"[lti_tool] {key} is not documented"
    for key in Profile.model_fields:
        assert f"`{key}" in text, f"profile key {key} is not documented"
    for key in Waiver.model_fields:
        assert f"{key} = " in text or f"`{key}`" in text, f"waiver key {key} is not in the example"
    for attestation in CATALOGUE:
        assert f"`{attestation}`" in text, f"attestation {attestation} is not listed"
    for kind in _KINDS:
        assert f"{kind}.toml" in text
    # what the guide says runs, it shows: each example command is exercised above
    commands = {s.argv[0] for s in shell_steps(GUIDE) if s.kind == "edcert"}
    assert {"demo", "run", "checks", "compare", "keygen", "verify", "diff"} <= commands
    assert {s.expected for s in shell_steps(GUIDE) if s.kind == "edcert"} >= {0, 1, 2}


def test_readme_links_the_guide() -> None:
    assert "(docs/guide.md)" in (ROOT / "README.md").read_text()


# --- the example CI workflow ------------------------------------------------------------------------------


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def test_workflow_is_a_scheduled_github_actions_job() -> None:
    data = workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert isinstance(triggers, dict) and "workflow_dispatch" in triggers
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert crons and all(len(c.split()) == 5 for c in crons)
    steps = data["jobs"]["certify"]["steps"]
    assert data["jobs"]["certify"]["runs-on"]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and uploads[0]["if"] == "always()"
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    out = re.search(r"edcert run .*--out (\S+)", runs)
    assert out and uploads[0]["with"]["path"].rstrip("/") == out.group(1)
    assert re.search(r"^\s*edcert diff \S+ " + re.escape(out.group(1)) + r"/scorecard\.json", runs, re.M)


def _edcert_lines(script: str) -> list[list[str]]:
    found = []
    for line in script.splitlines():
        if line.strip().startswith("edcert "):
            found.append(shlex.split(line.strip(), comments=True))
    return found


def test_workflow_commands_are_real_edcert_commands_and_options() -> None:
    lines = [words for step in workflow()["jobs"]["certify"]["steps"] for words in _edcert_lines(str(
        step.get("run", "")))]
    assert {w[1] for w in lines} >= {"run", "diff", "verify"}
    for words in lines:
        command = cli.commands.get(words[1])
        assert isinstance(command, click.Command), f"edcert {words[1]}: no such command"
        known = {opt for p in command.params for opt in p.opts}
        for word in words[2:]:
            if word.startswith("--"):
                assert word.split("=", 1)[0] in known, f"edcert {words[1]} has no option {word}"


_EXPRESSION = re.compile(r"\$\{\{\s*([\w.]+)\s*\}\}")
BASH = shutil.which("bash") or "/bin/bash"  # GitHub Actions runs `run` steps with bash on Linux runners


def _run_workflow(workspace: Path, context: dict[str, str]) -> dict[str, int]:
    """Run the job's `run` steps as GitHub Actions would (bash -eo pipefail, step env, `if: always()`)."""
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDCERT_")}
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_OUTPUT=str(runner_temp / "output"),
               GITHUB_STEP_SUMMARY=str(runner_temp / "summary.md"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    results: dict[str, int] = {}
    failed = False
    for step in workflow()["jobs"]["certify"]["steps"]:
        script = step.get("run")
        if script is None or "pip install" in script:
            continue  # actions and the install step: the test runs the installed edcert
        if failed and step.get("if") != "always()":
            continue
        step_env = {k: _EXPRESSION.sub(lambda m: context[m.group(1)], str(v)) for k, v in step.get("env", {}).items()}
        assert "${{" not in script, "run scripts should read expressions through env"
        proc = subprocess.run([BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                              env={**env, **step_env}, capture_output=True, text=True, timeout=300, check=False)
        results[step["name"]] = proc.returncode
        failed = failed or proc.returncode != 0
    return results


@pytest.fixture
def district_repository(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A district repository laid out as the workflow's header says, and its secrets."""
    repo = tmp_path / "repo"
    cert = repo / "certification"
    (cert / "accepted").mkdir(parents=True)
    key, _ = generate_keypair(cert / "district")
    secrets = {"secrets.EDCERT_SIGNING_KEY": key.read_text(), "secrets.VENDOR_ONEROSTER_SECRET": "ci-secret"}
    key.unlink()  # only the public half stays in the repository
    (cert / "profile.toml").write_text('name = "CI profile"\nrequired_standards = ["oneroster-1.2"]\n')
    (cert / "waivers.toml").write_text(
        '[[waiver]]\ncheck = "OR12-PAGE-004"\njustification = "Not used by our sync."\nexpires = 2099-12-31\n')
    write_json(sandbox_scorecard(), cert / "accepted" / "scorecard.json")
    return repo, secrets


def _vendor_toml(base_url: str) -> str:
    return (f'[vendor]\nname = "CI Vendor"\n[oneroster]\nversion = "1.2"\nbase_url = "{base_url}"\n'
            f'token_url = "{base_url}/oauth/token"\nclient_id = "ci-client"\n'
            'client_secret_env = "VENDOR_ONEROSTER_SECRET"\n')


@pytest.mark.parametrize(
    ("faults", "run_exit", "diff_exit", "summary"),
    [((), "0", 0, "No regression"), (("oneroster.auth.no-token-accepted",), "1", 1, "REGRESSED")],
    ids=["no-regression", "regression"],
)
def test_workflow_runs_end_to_end(district_repository: tuple[Path, dict[str, str]], faults: tuple[str, ...],
                                  run_exit: str, diff_exit: int, summary: str) -> None:
    repo, secrets = district_repository
    app = create_app(generate_district("small"), faults=faults, client_id="ci-client", client_secret="ci-secret")
    with SandboxServer(app) as server:
        (repo / "certification" / "vendor.toml").write_text(_vendor_toml(server.base_url))
        results = _run_workflow(repo, secrets)
    assert results["Certify the vendor"] == 0  # the run's own gate is recorded, the diff decides
    output = (repo.parent / "runner-temp" / "output").read_text()
    assert f"exit_code={run_exit}" in output
    assert results["Check the signature"] == 0
    assert results["Compare with the last accepted scorecard"] == diff_exit
    assert summary in (repo.parent / "runner-temp" / "summary.md").read_text()
    assert not (repo.parent / "runner-temp" / "district.key").exists()
    assert (repo / "reports" / "latest" / "signature").is_file()
