"""The C++ client end to end: tracegate-client-e2e (this folder) against a real gateway
and the Langfuse emulator, through the Python package's recorder fixture."""

pytest_plugins = ["tracegate.testing"]
