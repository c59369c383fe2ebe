"""Benchmarks build on the application's public surface: no ``tests.*`` import and no private
name of ours (``models.x._y`` or ``obj._attr``; a benchmark's own ``self._x`` is its own); tiny models come from models.testing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))
OURS = ("app", "models", "renderers", "scene", "tests")


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_a_benchmark_imports_no_tests_and_no_private_names(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top == "tests":
                bad.append(f"line {node.lineno}: from {node.module}")
            elif top in OURS:
                bad += [f"line {node.lineno}: {a.name} from {node.module}" for a in node.names
                        if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            bad += [f"line {node.lineno}: import {a.name}" for a in node.names
                    if a.name.split(".")[0] == "tests"]
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("_")
              and not node.attr.startswith("__")
              and not (isinstance(node.value, ast.Name) and node.value.id == "self")):
            bad.append(f"line {node.lineno}: .{node.attr}")
    assert not bad, f"{path.name} reaches past the public surface: " + "; ".join(bad)
