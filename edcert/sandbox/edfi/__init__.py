"""The Ed-Fi API of the reference sandbox: an Ed-Fi host (host mode) and the target a SIS publishes to
(client mode), with its fault catalogue (``faults.py``) and a scripted SIS client (``sis_client.py``).

Kept free of imports: the fault catalogue (``edcert.sandbox.faults``) imports ``faults.py`` of this package
while it is itself being imported.
"""
from __future__ import annotations

EDFI_MOUNT = "/edfi"
# Triggers of the fuzz-phase faults (fuzz_faults.py), read by app.py: values no conformance check sends.
FUZZ_HUGE_OFFSET = 1_000_000  # the OneRoster fuzz faults' BIG_OFFSET
FUZZ_FAR_OFFSET = 1000  # beyond every offset the conformance checks send (their walk of 440 students ends before)
