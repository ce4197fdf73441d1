"""MLflow: the store, one run's begin/end hooks, its artifacts, read-only opening for commands, safe filters."""
