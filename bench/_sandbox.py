"""The benchmark sandbox: ``python -m bench._sandbox SIZE [FAULT...]`` prints its URL, serves until stdin closes."""
from __future__ import annotations

import sys

from edcert.fixtures.districts import generate_district
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app


def main() -> None:
    size, faults = sys.argv[1], tuple(sys.argv[2:])
    app = create_app(generate_district(size), faults=faults, client_id=DEFAULT_CLIENT_ID,
                     client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
