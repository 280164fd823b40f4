"""The test harness refuses fixture names defined at two scopes, which ape's chain isolation confuses."""

from __future__ import annotations

from types import SimpleNamespace

from conftest import fixture_scope_conflicts


def test_fixture_scopes__a_name_at_two_scopes__named_with_both():
    defs = {"market": [SimpleNamespace(scope="session"), SimpleNamespace(scope="module")],
            "cli": [SimpleNamespace(scope="function"), SimpleNamespace(scope="function")],
            "token": [SimpleNamespace(scope="session")]}
    assert fixture_scope_conflicts(defs) == {"market": ["module", "session"]}
