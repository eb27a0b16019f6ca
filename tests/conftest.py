from __future__ import annotations

import os

# Checks and the sandbox must never depend on the developer's own environment.
os.environ.pop("EDCERT_SANDBOX_CLIENT_ID", None)
os.environ.pop("EDCERT_SANDBOX_CLIENT_SECRET", None)
