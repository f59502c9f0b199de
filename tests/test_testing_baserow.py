"""The plugin's ``softr_baserow_session``: Baserow models tested on the emulator's face."""

from __future__ import annotations

import importlib.util

import pytest

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
HAS_BASEROW = importlib.util.find_spec("softr_orm.backends.baserow") is not None


@pytest.mark.skipif(not HAS_BASEROW, reason="this softr-orm has no Baserow backend yet")
def test_baserow_models_on_the_emulator(pytester: pytest.Pytester) -> None:
    """A user's Baserow model, its tables from create_tables_for, queried through the
    default session the fixture sets."""
    pytester.makepyfile(
        test_tasks="""
        from softr_orm import Model, fields


        class Task(Model):
            title = fields.SingleLineText("Title")
            points = fields.Number("Points")

            class Meta:
                database = 12
                table = 345


        def test_tasks(softr_emulator, softr_baserow_session):
            softr_emulator.create_tables_for(Task)
            for n in range(4):
                Task.objects.create(title=f"t{n}", points=n)
            assert [t.title for t in Task.objects.filter(points__gte=2).order_by("-points")] == [
                "t3",
                "t2",
            ]
        """
    )
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1)


def test_without_the_backend_the_fixture_skips(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Baserow backend: a test asking for the fixture is skipped, with the reason."""
    pytester.makeconftest(
        """
        import sys
        sys.modules["softr_orm.backends.baserow"] = None  # import fails
        """
    )
    pytester.makepyfile(
        test_skip="""
        def test_needs_it(softr_baserow_session):
            raise AssertionError("not reached")
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no Baserow backend*"])
