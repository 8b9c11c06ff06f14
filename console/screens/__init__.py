"""The console's screens, one module (and stylesheet) each."""
