"""`playbook search`'s plan (the [search] table) and its storage URL, checked before any trial or connection:
each mistake one sentence naming the key, the file or the option (playbook/training/search/space.py, storage.py)."""
import json
import textwrap

import pytest


@pytest.fixture()
def search(data_root, template_playbook, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYBOOK_PROJECT_CONFIG", str(tmp_path / "playbook.toml"))
    monkeypatch.delenv("PLAYBOOK_SEARCH_STORAGE", raising=False)
    (tmp_path / "playbook.toml").write_text('export_author_id = "me"\n')
    return template_playbook("playbook.training.search.space"), template_playbook("playbook.training.search.storage")


def _plan_file(tmp_path, text):
    path = tmp_path / "plan.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_without_a_table_the_plan_is_the_documented_default(search):
    space, _ = search
    plan = space.load(dataset="/data/datasets/sample")
    assert (plan["trials"], plan["epochs"], plan["heartbeat_s"], plan["retries"]) == (4, 8, 60, 2)
    assert (plan["prune"], plan["prune_startup"], plan["prune_warmup"]) == (True, 2, 2)
    assert plan["space"]["n_hidden"] == [64, 128, 192, 256] and plan["space"]["learning_rate"]["log"] is True
    assert space.load(dataset="d", trials=7, fixed=["train_batch_size=16"])["fixed"] == {"train_batch_size": 16}


def test_the_project_table_replaces_the_space_and_does_not_reach_a_runs_settings(search, tmp_path):
    space, _ = search
    (tmp_path / "playbook.toml").write_text(textwrap.dedent("""\
        export_author_id = "me"
        [search]
        trials = 6
        [search.space]
        learning_rate = {low = 0.0001, high = 0.01, log = true}
        dropout_rate2 = [0.1, 0.2]
        [search.fixed]
        train_batch_size = 16
        """))
    plan = space.load(dataset="d", epochs=2)
    assert list(plan["space"]) == ["learning_rate", "dropout_rate2"] and (plan["trials"], plan["epochs"]) == (6, 2)
    assert plan["fixed"] == {"train_batch_size": 16}
    from playbook import config
    assert config.resolve()["export_author_id"] == "me"  # the [search] table is not a setting


@pytest.mark.parametrize("table, says", [
    ("[search]\ntrails = 4\n", "unknown key 'trails'"),
    ("[search]\ntrials = 0\n", "'trials' must be a whole number from 1 to 10000"),
    ("[search]\nprune = \"median\"\n", "'prune' must be true or false, not 'median'"),
    ("[search]\nprune_warmup = 0\n", "'prune_warmup' must be a whole number from 1 to 100000"),
    ("[search.space]\nepochs = [1, 2]\n", "epochs per trial is the table's own `epochs`"),
    ("[search.space]\nlearning_rat = [0.001]\n", "'learning_rat' cannot be searched"),
    ("[search.space]\nlearning_rate = {low = 0.01, high = 0.001}\n", "low must be below high"),
    ("[search.space]\ndropout_rate = {low = 0.0, high = 0.4, log = true}\n", "on a log scale needs low above 0"),
    ("[search.space]\nn_hidden = []\n", "'n_hidden' has no choices"),
    ("[search.space]\nn_hidden = {low = 64}\n", "must be a list of choices or a table with low and high"),
    ("[search.space]\nn_hidden = [64, 99999]\n", "'n_hidden' = 99999 is out of range"),
    ("[search.fixed]\nn_hidden = 128\n", "'n_hidden' is both searched and fixed"),
])
def test_a_bad_plan_is_one_sentence_naming_the_file_and_key(search, tmp_path, table, says):
    space, _ = search
    from playbook.errors import UserError
    with pytest.raises(UserError, match=r"plan\.toml") as error:
        space.load(_plan_file(tmp_path, table), dataset="d")
    assert says in str(error.value) and "\n" not in str(error.value)


def test_a_worker_takes_the_studys_counts_and_is_refused_another_space(search, tmp_path):
    space, _ = search
    from playbook.errors import UserError
    kept = space.shared(space.load(dataset="d", trials=9, epochs=2))
    joined = space.join("hp", kept, space.load(dataset="d"), given={})
    assert (joined["trials"], joined["epochs"]) == (9, 2)
    with pytest.raises(UserError, match=r"search 'hp' was started with epochs = 2, and this worker has 3"):
        space.join("hp", kept, space.load(dataset="d", epochs=3), given={"epochs": 3})
    other = space.load(_plan_file(tmp_path, "[search.space]\nn_hidden = [64]\n"), dataset="d")
    with pytest.raises(UserError, match=r"was started with space = .*another --name"):
        space.join("hp", kept, other, given={})
    with pytest.raises(UserError, match=r"was started with dataset = \"d\", and this worker has \"e\""):
        space.join("hp", kept, space.load(dataset="e"), given={})
    unpruned = space.load(_plan_file(tmp_path, "[search]\nprune = false\n"), dataset="d")
    with pytest.raises(UserError, match=r"was started with prune = true, and this worker has false"):
        space.join("hp", kept, unpruned, given={})
    assert json.loads(kept)["trials"] == 9


def test_the_storage_url_never_takes_a_password_on_the_command_line(search, tmp_path, monkeypatch):
    _, storage = search
    from playbook.errors import UserError
    assert storage.url_for(None, tmp_path / "hp") == f"sqlite:///{tmp_path / 'hp' / 'study.db'}"
    assert storage.url_for("postgresql://me@db:5432/study", tmp_path) == "postgresql://me@db:5432/study"
    with pytest.raises(UserError, match=r"--storage: the URL holds a password.*PGPASSWORD") as error:
        storage.url_for("postgresql://me:s3cret@db/study", tmp_path)
    assert "s3cret" not in str(error.value)
    with pytest.raises(UserError, match=r"mysql databases are not supported"):
        storage.url_for("mysql://me@db/study", tmp_path)
    with pytest.raises(UserError, match=r"is not a database URL"):
        storage.url_for("db.example.com", tmp_path)
    # The environment may hold the whole URL (a SkyPilot secret); it is shown without its password.
    monkeypatch.setenv("PLAYBOOK_SEARCH_STORAGE", "postgresql://me:s3cret@db:5432/study")
    url = storage.url_for(None, tmp_path)
    assert url.endswith("s3cret@db:5432/study") and "s3cret" not in storage.shown(url)


def test_a_database_nobody_answers_is_one_sentence(search, tmp_path):
    _, storage = search
    from playbook.errors import UserError
    with pytest.raises(UserError, match=r"no search database answers at 127\.0\.0\.1:9 \(.*\): start it, or check") as error:
        storage.open_storage("postgresql+psycopg2://me@127.0.0.1:9/study", 60, 2)
    assert "\n" not in str(error.value)
