"""Helpers shared by test modules: import them from here, not from a test_* module or conftest."""
