"""Where a search's Optuna study lives: a SQLite file on the data volume (one machine), or a PostgreSQL database
that workers on many machines share. Both are Optuna's RDB storage; optuna 4.0.0 (the last release for CPython
3.7) has the current releases' schema, so a newer Optuna elsewhere reads the same study.

The password never goes on a command line, into a log or into a report: libpq takes it from PGPASSWORD or a
password file (~/.pgpass, PGPASSFILE), and a whole URL may come from PLAYBOOK_SEARCH_STORAGE (how a SkyPilot
task's `secrets:` hands it over). TLS is libpq's too: ?sslmode=verify-full in the URL, or PGSSLMODE.

Workers beat a heartbeat into the study; a trial whose worker stays silent for GRACE_HEARTBEATS beats is failed by
the next worker that looks, and Optuna's RetryFailedTrialCallback queues it again with the same settings."""
import os

from ...errors import UserError

STORAGE_ENV = "PLAYBOOK_SEARCH_STORAGE"
GRACE_HEARTBEATS = 3  # one late beat on a busy machine must not fail a living worker's trial
SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg2")


def url_for(given, folder):
    """The study's URL: --storage, else PLAYBOOK_SEARCH_STORAGE, else a SQLite file in the search's FOLDER."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    if given is None and not os.environ.get(STORAGE_ENV):
        return "sqlite:///{}".format(folder / "study.db")
    url = given if given is not None else os.environ[STORAGE_ENV]
    where = "--storage" if given is not None else STORAGE_ENV
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError("{}: '{}' is not a database URL; write postgresql://USER@HOST:5432/DATABASE.".format(where, url))
    if parsed.drivername not in SCHEMES:
        raise UserError("{}: {} databases are not supported; use postgresql://USER@HOST:5432/DATABASE (or sqlite:///FILE "
                        "on one machine).".format(where, parsed.drivername))
    if given is not None and parsed.password is not None:
        raise UserError("--storage: the URL holds a password, which would stay in your shell's history and in the "
                        "process list: drop it from the URL and set PGPASSWORD, a ~/.pgpass line, or the whole URL in "
                        "{}.".format(STORAGE_ENV))
    return url


def shown(url):
    """URL without its password, for messages and reports."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def _refused(url, error):
    """One sentence for a database that cannot be used, from libpq's message."""
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    where = "{}:{}".format(parsed.host or "localhost", parsed.port or 5432)
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if "password authentication failed" in text or "no password supplied" in text:
        return ("the search database at {} refused user {}'s login: set the right password in PGPASSWORD or a ~/.pgpass "
                "line (or the whole URL in {}).".format(where, parsed.username, STORAGE_ENV))
    if "does not exist" in text:
        return "the search database at {} says: {}; create it (createdb) or fix --storage.".format(where, text.replace("FATAL:", "").strip())
    if "SSL" in text or "certificate" in text:
        return "the search database at {} failed TLS ({}); check sslmode in --storage or PGSSLMODE.".format(where, text)
    if parsed.drivername == "sqlite":
        return "the search's SQLite file cannot be used ({}): check that {} is on a writable volume.".format(text, parsed.database)
    return ("no search database answers at {} ({}): start it, or check the host and port in --storage."
            .format(where, text.replace("FATAL:", "").strip()))


def open_storage(url, heartbeat_s, retries):
    """Optuna's RDB storage at URL, with heartbeats and retries of dead workers' trials; one sentence if it cannot."""
    import optuna
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError
    from optuna.storages import RDBStorage, RetryFailedTrialCallback
    try:
        return RDBStorage(url, heartbeat_interval=heartbeat_s, grace_period=GRACE_HEARTBEATS * heartbeat_s,
                          failed_trial_callback=RetryFailedTrialCallback(max_retry=retries),
                          engine_kwargs={"pool_pre_ping": True} if not url.startswith("sqlite") else None)
    except (DBAPIError, NoSuchModuleError) as error:
        raise UserError(_refused(url, error))
    except optuna.exceptions.StorageInternalError as error:
        raise UserError(_refused(url, error.__cause__ or error))


def has_study(storage, name):
    try:
        storage.get_study_id_from_name(name)
    except KeyError:
        return False
    return True
