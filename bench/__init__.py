"""edcert's benchmarks (not part of the test run): ``tox -e bench`` or ``python -m bench.run``."""
