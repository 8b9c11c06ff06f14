"""`python -m console` runs the same entry point as the `meterline` script."""
from console.cli import main

raise SystemExit(main())
