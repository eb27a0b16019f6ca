"""Session fixture of the OneRoster CSV suite: the bundle is read once per run, every check judges that read."""
from __future__ import annotations

from pathlib import Path

import pytest

from edcert.conformance.oneroster_csv._validator import BundleReport, validate_bundle


@pytest.fixture(scope="session")
def csv_bundle(request: pytest.FixtureRequest) -> BundleReport:
    """What one streaming read of the configured bundle found (skips when no CSV bundle is claimed)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.oneroster_csv
    if state is None or config is None or config.standard not in state.standards:
        pytest.skip("the vendor does not claim a OneRoster CSV bundle")
    report: BundleReport = state.resource(
        config.standard,
        lambda: validate_bundle(Path(config.path), config.version, max_file_bytes=config.max_file_bytes),
    )
    return report
