"""softr_orm.testing, the pytest plugin, exercised the way users meet it: through pytester."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

HEADER = """
import pytest
import softr_orm
from softr_orm.cli.demo import Contact
from softr_orm.emulator import DEMO_DATABASE_ID
"""


# Plugins the inner runs do not need (hypothesis's alone costs seconds per run).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=HEADER + source)
    return pytester.runpytest_inprocess(*QUIET, *args)


def test_plugin_is_registered_by_entry_point(request: pytest.FixtureRequest) -> None:
    """Installed softr-orm registers the plugin under the name softr_orm."""
    plugin = request.config.pluginmanager.get_plugin("softr_orm")
    assert plugin is not None
    assert plugin.__name__ == "softr_orm.testing"


def test_plugin_imports_no_server_and_defines_no_autouse_fixture() -> None:
    """Loaded in every pytest run: it must not import werkzeug nor force fixtures on tests."""
    code = (
        "import sys, softr_orm.testing as t\n"
        "assert 'werkzeug' not in sys.modules, 'werkzeug imported'\n"
        "autouse = [n for n, v in vars(t).items()\n"
        "           if getattr(getattr(v, '_fixture_function_marker', None), 'autouse', False)]\n"
        "assert not autouse, autouse\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_emulator_and_session_fixtures(pytester: pytest.Pytester) -> None:
    """softr_session is the default session on the seeded softr_emulator; data is per test."""
    result = run(
        pytester,
        """
def test_counts(softr_emulator, softr_session):
    assert softr_session.base_url == softr_emulator.base_url
    assert softr_orm.default_session() is softr_session
    assert Contact.objects.count() == 60
    Contact.objects.create(name="New", email="new@example.com")
    assert Contact.objects.count() == 61

def test_fresh_data(softr_session):
    assert Contact.objects.count() == 60

def test_default_restored():
    with pytest.raises(softr_orm.ConfigurationError):
        softr_orm.default_session()
""",
    )
    result.assert_outcomes(passed=3)


def test_module_scoped_emulator_is_reset_between_tests(pytester: pytest.Pytester) -> None:
    """softr_emulator_scope = module: one server for the module, data reset for each test."""
    pytester.makeini("[pytest]\nsoftr_emulator_scope = module\n")
    result = run(
        pytester,
        """
seen = []

def test_first(softr_emulator, softr_session):
    seen.append(softr_emulator.base_url)
    Contact.objects.create(name="New", email="new@example.com")
    softr_emulator.set_faults(rate=1.0, kinds=["503"])

def test_second(softr_emulator, softr_session):
    assert softr_emulator.base_url == seen[0]
    assert Contact.objects.count() == 60
""",
    )
    result.assert_outcomes(passed=2)


def test_bad_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A misspelt scope is reported, not silently replaced."""
    pytester.makeini("[pytest]\nsoftr_emulator_scope = per-test\n")
    result = run(pytester, "def test_x(softr_emulator):\n    pass\n")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*softr_emulator_scope must be one of*"])


def test_emulator_options_can_be_overridden(pytester: pytest.Pytester) -> None:
    """A conftest's softr_emulator_options (session scope) replaces the demo seed."""
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def softr_emulator_options():
    return {"seed": None}
"""
    )
    result = run(
        pytester,
        """
def test_empty(softr_session):
    assert softr_session.databases() == []
""",
    )
    result.assert_outcomes(passed=1)


def test_max_requests_passes_within_the_limit(pytester: pytest.Pytester) -> None:
    """Within the budget nothing happens; the budget object counts what was sent."""
    result = run(
        pytester,
        """
def test_within(softr_session, softr_max_requests):
    with softr_max_requests(2) as budget:
        Contact.objects.count()   # the schema, then the count
    assert budget.count == 2

@pytest.mark.softr_max_requests(3)
def test_marker_within(softr_session):
    Contact.objects.count()
    Contact.objects.count()
""",
    )
    result.assert_outcomes(passed=2)


def test_max_requests_fails_when_exceeded(pytester: pytest.Pytester) -> None:
    """Over the budget the test fails at the offending request, listing the requests."""
    result = run(
        pytester,
        """
def test_over(softr_session, softr_max_requests):
    with softr_max_requests(2):
        Contact.objects.count()
        Contact.objects.count()

@pytest.mark.softr_max_requests(1)
def test_marker_over(softr_session):
    Contact.objects.count()

def test_swallowed(softr_session, softr_max_requests):
    with softr_max_requests(0):
        try:
            Contact.objects.count()
        except BaseException:
            pass
""",
    )
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*3 Softr requests were made, more than the 2 allowed:*",
            "*1. GET /databases/*/tables -> 200*",
            "*3. POST /databases/*/records/search -> 200*",
        ]
    )
    result.stdout.fnmatch_lines(["*2 Softr requests were made, more than the 1 allowed*"])


def test_max_requests_on_an_explicit_session(pytester: pytest.Pytester) -> None:
    """session= watches a session of the test's own instead of the default one."""
    result = run(
        pytester,
        """
def test_own(softr_emulator, softr_max_requests):
    own = softr_orm.Session(softr_emulator.api_key, base_url=softr_emulator.base_url,
                            rate_limit=False)
    with pytest.raises(pytest.fail.Exception, match="more than the 1 allowed"):
        with softr_max_requests(1, session=own):
            Contact.objects.using(own).count()
""",
    )
    result.assert_outcomes(passed=1)
