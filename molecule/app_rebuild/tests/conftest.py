"""The app_* helpers live in molecule/app_schema/tests (app_state.py)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "app_schema", "tests"))
