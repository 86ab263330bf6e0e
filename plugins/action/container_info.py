# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.container_info (documentation: plugins/modules/container_info.py).

It runs ``docker inspect --type container --format <template>`` on the docker
host through the inventory host's connection, like the psql action, asking
only for the container's id, name, image and state: never its environment,
command line or mounts, which hold the superuser password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import HostCommandActionBase
from ansible_collections.fancai.db_runbooks.plugins.module_utils._docker import (
    build_inspect_argv,
    build_ps_argv,
    describe_docker_failure,
    is_missing_container,
    missing_result,
    parse_inspect,
    parse_ps,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    check_container_name,
    shell_join,
)

_ARGSPEC = dict(
    name=dict(type="str", required=True),
    docker_cli=dict(type="str"),
    timeout=dict(type="int", default=30),
    labels=dict(type="bool", default=False),
)


class ActionModule(HostCommandActionBase):
    """Inspect one container through the docker CLI, without its environment."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)

        name = args["name"]
        err = check_container_name(name)
        if err:
            raise AnsibleActionFail(err)
        timeout = args["timeout"]
        if timeout < 0:
            raise AnsibleActionFail(
                "timeout=%d is not a number of seconds: give 1 or more (default 30), or 0 for no limit."
                % timeout)
        docker_cli = self._docker_cli(args, task_vars)
        docker_host = task_vars.get("inventory_hostname") or "the docker host"
        labels = args["labels"]

        argv = build_inspect_argv(name, docker_cli=docker_cli, timeout=timeout, labels=labels)
        queries = [shell_join(argv)]
        # Read-only: it runs in check mode too and never reports a change.
        result.update(changed=False, cmd=argv, queries=queries, docker_host=docker_host,
                      postgres_containers=[])

        rc, stdout, stderr = self._host_run(argv)
        if rc == 0:
            try:
                result.update(parse_inspect(stdout, labels=labels))
            except ValueError as exc:
                result.update(failed=True, rc=rc,
                              msg="docker inspect of container %r on %s printed something unexpected (%s): "
                                  "check `%s inspect --type container %s` there."
                                  % (name, docker_host, exc, docker_cli, name))
            return result
        if not is_missing_container(rc, stderr):
            result.update(failed=True, rc=rc, stderr=stderr,
                          msg=describe_docker_failure(rc, stderr, docker_host, docker_cli, timeout))
            return result

        result.update(missing_result(labels=labels))
        ps_argv = build_ps_argv(docker_cli=docker_cli, timeout=timeout)
        queries.append(shell_join(ps_argv))
        rc, stdout, stderr = self._host_run(ps_argv)
        if rc != 0:
            result.update(failed=True, rc=rc, stderr=stderr,
                          msg=describe_docker_failure(rc, stderr, docker_host, docker_cli, timeout))
            return result
        result["postgres_containers"] = parse_ps(stdout)
        return result
