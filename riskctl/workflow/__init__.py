"""Items, tasks and steps: the pure engine and the services that persist it."""
