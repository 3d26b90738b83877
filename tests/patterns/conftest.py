from fakes.scripted_workspace import ws  # noqa: F401  (fixture)
