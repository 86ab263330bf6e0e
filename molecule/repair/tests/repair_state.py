"""What prepare and converge left in the ephemeral directory, and verify.yml run as an operator runs it."""

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def state(name):
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "state", name + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def playbook(inventory_vars, name, *extra):
    """Run playbooks/<name> from the checkout, outside Molecule's environment; (rc, output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    argv = [ANSIBLE_PLAYBOOK, "playbooks/" + name]
    for var in ("db_runbooks_container", "db_runbooks_backend_container", "db_runbooks_backup_dir"):
        argv += ["-e", "%s=%s" % (var, inventory_vars[var])]
    argv += list(extra)
    res = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=600)
    return res.returncode, " ".join(res.stdout.split())
