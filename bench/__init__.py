"""The benchmark harness of DESIGN.md section 9: `python -m bench` (or `make bench`)."""
