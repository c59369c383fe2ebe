"""Shared test configuration.

Tests never reach a model hub: HF_HUB_OFFLINE is forced here as well as in make.py.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
