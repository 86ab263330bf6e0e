"""The search can fail: the canary is the container's password, and the search finds it where it is."""

import shlex

from canary_search import leaks


def test_the_container_holds_the_canary(host, inventory_vars, canary):
    # A full docker inspect carries the environment: what the old preflight registered.
    res = host.run("docker inspect --format '{{json .Config.Env}}' %s" % shlex.quote(inventory_vars["db_runbooks_container"]))
    assert res.rc == 0, res.stderr
    assert "POSTGRES_PASSWORD=%s" % canary in res.stdout


def test_the_search_finds_a_planted_canary(tmp_path, canary):
    clean = tmp_path / "clean.log"
    clean.write_text("ok: [localhost] => {}\n")
    planted = tmp_path / "job_event.json"
    planted.write_text('{"event_data": {"res": {"container": {"Config": {"Env": ["POSTGRES_PASSWORD=%s"]}}}}}' % canary)
    assert leaks(canary, [str(clean), str(planted)]) == [str(planted)]
