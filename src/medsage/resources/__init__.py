"""Package data: lexicons, rules and the demo set (read with importlib.resources)."""
