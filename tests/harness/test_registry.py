from __future__ import annotations

import pytest

from edcert.harness.registry import REGISTRY, DuplicateCheckError, check, spec_of

META = dict(standard="district-local", category="data-fidelity", level="required", title="t", why="w",
            remediation="r", ref="local policy §1")


def test_decorator_attaches_metadata_and_registers() -> None:
    @check(id="TEST-REG-001", **META)  # type: ignore[arg-type]
    def check_one() -> None:
        pass

    spec = spec_of(check_one)
    assert spec is not None and spec.id == "TEST-REG-001" and spec.level.value == "required"
    assert REGISTRY.get("TEST-REG-001") is spec
    assert spec.as_dict()["level"] == "required"


def test_same_function_registered_twice_is_fine_but_another_is_an_error() -> None:
    def make() -> object:
        @check(id="TEST-REG-002", **META)  # type: ignore[arg-type]
        def check_two() -> None:
            pass
        return check_two

    make()
    make()  # same module and qualname: re-import of the same check
    with pytest.raises(DuplicateCheckError, match="TEST-REG-002"):
        @check(id="TEST-REG-002", **META)  # type: ignore[arg-type]
        def check_other() -> None:
            pass


@pytest.mark.parametrize(("field", "value"), [("id", "bad id"), ("level", "must"), ("why", " ")])
def test_malformed_metadata_is_refused(field: str, value: str) -> None:
    meta = {"id": "TEST-REG-003", **META, field: value}
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the field
        check(**meta)  # type: ignore[arg-type]
