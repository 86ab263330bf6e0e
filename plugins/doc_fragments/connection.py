# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options every module of the collection shares to reach the PostgreSQL container."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How the collection's modules reach PostgreSQL: docker exec psql in the container."""

    DOCUMENTATION = r"""
options:
  container:
    description:
      - Name or ID of the running PostgreSQL container.
      - Defaults to C(preflight_target.container), set by the role P(fancai.db_runbooks.preflight#role).
    type: str
  login_user:
    description:
      - PostgreSQL role psql connects as (through the container's local socket, C(trust) in the
        official image).
      - Defaults to C(preflight_target.login_user), then C(postgres).
    type: str
  docker_cli:
    description:
      - The docker client on the docker host.
      - Defaults to C(preflight_target.docker_cli), then C(docker).
    type: str
  timeout:
    description:
      - Seconds one C(docker exec … psql) call may take. When it is hit the call is ended on the
        docker host (C(timeout -k 5)), its server session is terminated when the container still
        answers, and the task fails saying what hung (a paused or stopped container, or a statement
        that did not finish).
      - Defaults to the variable C(db_runbooks_step_timeout), then 3600. C(0) means no limit.
    type: int
notes:
  - Runs C(docker exec -i <container> psql -X -v ON_ERROR_STOP=1) on the inventory host (the docker
    host) through its connection, so it works the same locally and over SSH; the PostgreSQL image
    needs no Python.
"""

    # The attribute descriptions of ansible-core's own modules; each module sets
    # support and details.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second
      invocation indicates no change.
  action:
    description: Indicates this has a corresponding action plugin so some parts of the work run
      on the controller.
"""
