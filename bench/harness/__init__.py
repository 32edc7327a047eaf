"""The HTTP benchmark harness: production shape vs a bare-Flask baseline, driven by wrk."""
