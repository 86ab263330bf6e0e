"""Room in the container for a restore from a backup: the dump's copy in /tmp, the restored copy in the data directory."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter.restore import restore_space_problem
from ansible_collections.fancai.db_runbooks.plugins.module_utils._restore import space_problem

HEAD = "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
MIB = 1024 * 1024


def _df(tmp_free_kb, data_free_kb, tmp_mount="/", data_mount="/var/lib/postgresql/data"):
    return (HEAD + "overlay 100 1 %d 1%% %s\n" % (tmp_free_kb, tmp_mount)
            + "/dev/sdb1 100 1 %d 1%% %s\n" % (data_free_kb, data_mount))


def test_room_on_two_filesystems_is_no_problem():
    assert space_problem(_df(200 * 1024, 400 * 1024), 100 * MIB, 300 * MIB, "pg") == ""


def test_the_copy_does_not_fit_in_tmp():
    msg = space_problem(_df(50 * 1024, 400 * 1024), 100 * MIB, 300 * MIB, "pg")
    assert msg.startswith("Container pg has 50.0 MB free on / for the dump's copy in /tmp (100.0 MB)")
    assert "restored copy" not in msg


def test_the_restored_copy_does_not_fit_in_the_data_directory():
    msg = space_problem(_df(200 * 1024, 100 * 1024), 100 * MIB, 300 * MIB, "pg")
    assert "100.0 MB free on /var/lib/postgresql/data for the restored copy (about 300.0 MB" in msg


def test_one_filesystem_needs_room_for_both_at_once():
    # 350 MiB free: either fits alone, not both (and the 10 % margin).
    df = _df(350 * 1024, 350 * 1024, tmp_mount="/", data_mount="/")
    msg = space_problem(df, 100 * MIB, 300 * MIB, "pg")
    assert "holds both /tmp" in msg and "440.0 MB needed" in msg
    assert space_problem(_df(500 * 1024, 500 * 1024, "/", "/"), 100 * MIB, 300 * MIB, "pg") == ""


@pytest.mark.parametrize("output", ["", "no df", HEAD, HEAD + "overlay 100 1 x 1% /\noverlay 100 1 5 1% /\n"])
def test_no_reading_is_no_verdict(output):
    assert space_problem(output, 100 * MIB, 300 * MIB, "pg") == ""


def test_the_filter_checks_its_input():
    assert restore_space_problem(_df(1, 1), "1048576", 0, "pg").startswith("Container pg has")
    with pytest.raises(AnsibleFilterError, match="a string"):
        restore_space_problem(None, 1, 1, "pg")
    with pytest.raises(AnsibleFilterError, match="sizes in bytes"):
        restore_space_problem("", "big", 1, "pg")
