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


@pytest.mark.skipif(not HAS_BASEROW, reason="this softr-orm has no Baserow backend yet")
def test_baserow_schema_tools_on_the_emulator(pytester: pytest.Pytester) -> None:
    """create_table_for, inspect and check on a Baserow database through the face, with a
    session that signs in for a JWT (the fixture's, and one a user builds)."""
    pytester.makepyfile(
        test_schema="""
        from softr_orm import Model, fields
        from softr_orm.backends.baserow import BaserowSession
        from softr_orm.schema import check_models, create_table_for, inspect_database


        class Existing(Model):
            title = fields.SingleLineText("Title")

            class Meta:
                database = 7
                table = 70


        class Task(Model):
            title = fields.SingleLineText("Title")
            points = fields.Number("Points")
            done = fields.Checkbox("Done")
            due = fields.Date("Due")
            stage = fields.Select("Stage")
            owner = fields.LinkedRecord("Owner", to=Existing)

            class Meta:
                database = 7
                table = "Tasks"


        def test_schema(softr_emulator, softr_baserow_session):
            softr_emulator.create_tables_for(Existing)  # database 7 and one table
            session = BaserowSession(
                softr_emulator.baserow_token,
                base_url=softr_emulator.baserow_url,
                email=softr_emulator.baserow_email,
                password=softr_emulator.baserow_password,
            )
            table = create_table_for(Task, session)
            live = {f.name: f.baserow_type for f in table.fields}
            assert live == {
                "Title": "text",
                "Points": "number",
                "Done": "boolean",
                "Due": "date",
                "Stage": "single_select",
                "Owner": "link_row",
            }
            assert table.fields[0].primary and table.name == "Tasks"
            assert check_models([Task, Existing], session).ok
            assert check_models([Task], softr_baserow_session).ok
            Task.objects.create(title="Ship", points=2, done=True)
            assert Task.objects.get(title="Ship").points == 2
            source = inspect_database(session, "7", views=False)
            assert "class Tasks(Model):" in source or "class Task(" in source
            assert 'fields.Checkbox("Done", field_id=' in source
            namespace = {}
            exec(compile(source, "<inspect>", "exec"), namespace)
            generated = [namespace[name] for name in namespace["__all__"]]
            assert check_models(generated, session).ok
        """
    )
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1)
