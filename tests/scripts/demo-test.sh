#!/usr/bin/env bash
# The README's first command, tested: run the demo playbook twice against a
# container of its own (dbrb-demo-test, never the user's demo), assert the
# second restore changes nothing, the schema is there and a verified backup
# is kept, then remove it all.
set -euo pipefail
cd "$(dirname "$0")/../../playbooks"

container=dbrb-demo-test
image=$(cat ../.cache/test-image)
log=$(mktemp)
trap 'ansible-playbook demo_clean.yml -e db_runbooks_demo_container=$container >/dev/null; rm -f "$log"' EXIT

ansible-playbook demo.yml -e db_runbooks_demo_container=$container -e db_runbooks_demo_image="$image" > "$log" \
  || { cat "$log"; echo "demo: first run failed"; exit 1; }
ansible-playbook demo.yml -e db_runbooks_demo_container=$container -e db_runbooks_demo_image="$image" > "$log" \
  || { cat "$log"; echo "demo: second run failed"; exit 1; }
# The restore must change nothing the second time (the backup is new each run).
grep -q 'bookreader_dev verifies clean at enum_checks_2025: nothing changed.' "$log" \
  || { cat "$log"; echo "demo: the second restore did not find the database clean"; exit 1; }
# Each run took a verified dump; retention keeps the newest of the day.
dumps=$(ls ../.cache/demo-backups/$container/bookreader_dev/*.dump | wc -l)
[ "$dumps" -eq 1 ] || { echo "demo: expected the day's one verified dump, found $dumps"; exit 1; }
(cd ../.cache/demo-backups/$container/bookreader_dev && sha256sum --quiet -c ./*.dump.sha256) \
  || { echo "demo: the dump does not match its checksum"; exit 1; }
rev=$(docker exec $container psql -X -A -t -U postgres -d bookreader_dev -c 'SELECT version_num FROM alembic_version')
[ "$rev" = enum_checks_2025 ] || { echo "demo: alembic_version is '$rev'"; exit 1; }
echo "demo: restore.yml built bookreader_dev at $rev, the second restore changed nothing, the backup verifies"
