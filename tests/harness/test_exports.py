from __future__ import annotations

import edcert
import edcert.harness


def test_public_surface_is_pinned() -> None:
    assert sorted(edcert.__all__) == sorted(
        ["CheckSpec", "ConfigError", "Failure", "HarnessError", "Level", "NotApplicable", "__version__", "check"])
    assert sorted(edcert.harness.__all__) == sorted(
        ["REGISTRY", "CheckSpec", "ConfigError", "Failure", "HarnessError", "Level", "NotApplicable", "check"])
