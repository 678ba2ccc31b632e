pytest_plugins = ["stripe_emulator.pytest_plugin"]
