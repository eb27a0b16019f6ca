import pytest  # noqa: F401  (filled in by the client-mode step)
