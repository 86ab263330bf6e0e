"""The pure parts of tests/bench/bench.py: reading profile_tasks, and writing the report between its markers."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import bench  # noqa: E402

PROFILE = """
PLAY RECAP *********************************************************************
localhost                  : ok=120  changed=9    unreachable=0    failed=0

===============================================================================
fancai.db_runbooks.preflight : Read the container ----------------------- 0.53s
fancai.db_runbooks.preflight : Check the name --------------------------- 0.10s
fancai.db_runbooks.verify : Compare the schema -------------------------- 1.25s
Print the summary ------------------------------------------------------- 0.05s
"""


def test_profile_is_summed_by_role_largest_first():
    assert bench.profile_table(PROFILE) == [
        ("fancai.db_runbooks.verify", 1.25, 1),
        ("fancai.db_runbooks.preflight", 0.63, 2),
        ("(playbook)", 0.05, 1),
    ]


def test_report_replaces_only_what_is_between_the_markers(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nintro\n\n%s\nold figures\n%s\n\n## Kept\ntext\n" % (bench.START, bench.END))
    bench.write_report(str(path), "new figures\n")
    assert path.read_text() == "# Benchmarks\n\nintro\n\n%s\nnew figures\n%s\n\n## Kept\ntext\n" % (
        bench.START, bench.END)


def test_report_without_markers_goes_after_the_title(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Kept\n")
    bench.write_report(str(path), "figures")
    assert path.read_text() == "# Benchmarks\n\n%s\nfigures\n%s\n\n## Kept\n" % (bench.START, bench.END)
    missing = tmp_path / "new.md"
    bench.write_report(str(missing), "figures")
    assert missing.read_text() == "# Benchmarks\n\n%s\nfigures\n%s\n" % (bench.START, bench.END)
