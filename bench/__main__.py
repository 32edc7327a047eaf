"""`python -m bench`: the HTTP benchmark harness (see bench/harness/main.py)."""

from bench.harness.main import main

if __name__ == "__main__":
    raise SystemExit(main())
