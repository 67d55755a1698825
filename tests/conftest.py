"""Shared fixtures.

Every test gets its own empty model store, user-data and cache folders, so
nothing a test does touches the working tree (the shipped model is read-only
and always found in the repository); a background job a test leaves running
is stopped when it ends, passed or failed.

What a test needs is said by its markers (pytest.ini), e.g. ``-m "not browser"``:
``mnist`` (the real MNIST), ``trained_model`` (the shipped model), ``browser``
(Chromium), ``postgres``. A test that uses the ``mnist`` or ``shipped_classifier``
fixture without the marker is refused at collection.

Browser tests share one Chromium (``browser``) and take their pages from ``new_page`` or ``page``:
each page in a browser context of its own (its own cookies and storage: a visitor of its own).
Those that need nothing but the shipped model share one server, ``shipped_app``.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.helpers import SMALL_DUBIOUS, mnist_path, postgres_schema

# fixture -> the marker a test using it must carry
FIXTURE_MARKERS = {"mnist": "mnist", "small_dubious_run": "mnist", "shipped_classifier": "trained_model",
                   "browser": "browser", "new_page": "browser", "page": "browser", "shipped_app": "browser"}


def pytest_collection_modifyitems(config, items):
    unmarked = [f"{item.nodeid} uses {fixture} without @pytest.mark.{marker}"
                for item in items for fixture, marker in FIXTURE_MARKERS.items()
                if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None]
    if unmarked:
        raise pytest.UsageError("tests must say what they need:\n" + "\n".join(unmarked))
    _in_two_rows(items)


BROWSER_MODULES = "test_e2e_"  # the browser tests, and only they, live in tests/test_e2e_*.py


def _in_two_rows(items) -> None:
    """Puts the browser tests first, for :func:`pytest_xdist_make_scheduler`; says so if one is misplaced."""
    misplaced = [item.nodeid for item in items
                 if (item.get_closest_marker("browser") is not None) != item.path.name.startswith(BROWSER_MODULES)]
    if misplaced:
        raise pytest.UsageError(f"browser tests live in tests/{BROWSER_MODULES}*.py, the others elsewhere: "
                                + ", ".join(misplaced))
    items.sort(key=lambda item: not item.path.name.startswith(BROWSER_MODULES))  # stable: modules stay whole


def pytest_xdist_make_scheduler(config, log):
    """``-n 2`` (pytest.ini) in two rows: the browser tests in a row on one worker, first (the longest row:
    ~290 of the suite's ~525 s run alone), with one Chromium and one shipped-model server, never two
    browser tests at once (an xdist trial that ran two at a time timed out the roles test in both of its
    runs); every other module whole (its module fixtures set up once) on whichever worker is free. Written here: xdist's own "loadgroup"
    names a group by a node id pytest 9 no longer reads (the groups were ignored)."""
    from xdist.scheduler import LoadScopeScheduling

    class TwoRows(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "browser" if module.rsplit("/", 1)[-1].startswith(BROWSER_MODULES) else module

    return TwoRows(config, log)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_MODEL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("DIGITLAB_USER_DATA", str(tmp_path / "user"))
    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("DIGITLAB_DATABASE_URL", raising=False)  # SQLite in tmp_path/user unless a test asks
    yield tmp_path
    _stop_job_left_running(tmp_path / "store")
    from digitlab import db

    db.dispose_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, monkeypatch):
    """Each database the app supports, empty: SQLite in the test's folder, or a PostgreSQL
    schema of its own in the database ``test`` (dropped after). Yields the URL."""
    from digitlab import db

    if request.param == "sqlite":
        yield db.database_url()
        return
    with postgres_schema() as url:
        monkeypatch.setenv("DIGITLAB_DATABASE_URL", url)
        yield url
        db.dispose_all()


def _stop_job_left_running(store) -> None:
    """A test that failed half-way must not leave its runner burning the CPU for the next ones."""
    from digitlab import jobs

    status = jobs.active(store)
    if status is not None and status.pid:
        try:
            os.kill(status.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 20
        while jobs.active(store) is not None and time.monotonic() < deadline:
            time.sleep(0.2)


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST (tests using it are marked ``mnist``)."""
    from digitlab.data import load_mnist

    path = mnist_path()
    if path is None:
        pytest.fail("these tests need the real MNIST: set DIGITLAB_MNIST=/path/to/mnist.npz")
    return load_mnist(path)


@pytest.fixture
def without_mnist(monkeypatch):
    """The app as it is where MNIST cannot be found (its cached failure is forgotten before and after)."""
    from ui import resources

    monkeypatch.setenv("DIGITLAB_MNIST", "/nonexistent/mnist.npz")
    resources._mnist.clear()
    resources._failure.clear()
    yield
    resources._mnist.clear()
    resources._failure.clear()


@pytest.fixture(scope="session")
def shipped_classifier():
    """The shipped model (tests using it are marked ``trained_model``)."""
    from digitlab.inference import Classifier
    from digitlab.store import SHIPPED_ID, ModelStore

    model, _ = ModelStore().load(SHIPPED_ID)
    return Classifier(model)


@pytest.fixture(scope="session")
def small_dubious_run(mnist):
    """(result, calls): the out-of-fold run of :data:`SMALL_DUBIOUS`, computed once per session,
    with every ``train`` call it made as (resolved config, run info). Tests only read it."""
    import digitlab.training as training
    from digitlab import dubious

    calls = []
    real_train = training.train

    def recording_train(config, data, **kwargs):
        trained = real_train(config, data, **kwargs)
        calls.append((config.resolved(), trained.info))
        return trained

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(training, "train", recording_train)
        result = dubious.compute(dubious.Settings.for_preset(**SMALL_DUBIOUS), mnist)
    return result, calls


class _SharedChromium:
    """One headless Chromium for a run of browser tests in a row: starting one costs seconds.

    Stopped after the last of them (:func:`pytest_runtest_teardown`): while Playwright's sync API
    is started, its event loop counts as running in this thread, and ``asyncio.run`` in a later
    test would be refused."""

    def __init__(self):
        self._started = None
        self.browser = None

    def get(self):
        if self.browser is None:
            from appdriver import chromium_browser

            self._started = chromium_browser()
            self.browser = self._started.__enter__()
        return self.browser

    def stop(self) -> None:
        started, self._started, self.browser = self._started, None, None
        if started is not None:
            started.__exit__(None, None, None)


_CHROMIUM = _SharedChromium()


@pytest.hookimpl(trylast=True)  # after the test's own fixtures (its pages and contexts) are torn down
def pytest_runtest_teardown(item, nextitem):
    if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
        _CHROMIUM.stop()


@pytest.fixture
def browser():
    """The shared headless Chromium (tests marked ``browser``); take pages from ``new_page``."""
    return _CHROMIUM.get()


@pytest.fixture
def new_page(browser):
    """``new_page(viewport=(w, h), **context options)``: a page in a new browser context (a visitor of its
    own: no cookies, no storage), closed with its context when the test ends."""
    contexts = []

    def make(viewport: tuple[int, int] = (1280, 1000), **options):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A 1280×1000 page of a new visitor."""
    return new_page()


@pytest.fixture(scope="session")
def shipped_app(tmp_path_factory):
    """(URL, folder): one ``streamlit run app.py`` with the shipped model, MNIST, and empty user data, store
    and cache of its own in ``folder``, for the browser tests that need nothing else (each a new visitor)."""
    from appdriver import app_env, streamlit_server

    folder = tmp_path_factory.mktemp("shipped-app")
    found = mnist_path()  # the shared copy beside the repository too, which the app itself does not look for
    with streamlit_server(app_env(folder, **({"DIGITLAB_MNIST": found} if found else {}))) as url:
        yield url, folder
