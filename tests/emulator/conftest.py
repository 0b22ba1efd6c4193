"""pytest setup for tests/emulator: puts this folder on sys.path (so the emulator
modules import under any --import-mode) and registers the fixtures
of emu_harness."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emu_harness import emu, start_emulator, v4_emulator  # noqa: E402,F401  (fixtures)
