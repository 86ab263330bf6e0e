# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/container_info.py on
# the controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_info
short_description: Check that a container exists and runs, without reading its environment
version_added: "0.2.0"
description:
  - Runs C(docker inspect --type container --format <template>) on the docker host (the inventory
    host), through its connection like M(fancai.db_runbooks.psql), and returns the container's id,
    name, image and state.
  - The template asks for those fields only. A full inspection (what
    M(community.docker.docker_container_info) returns) carries the container's environment, such as
    C(POSTGRES_PASSWORD), and Ansible prints registered results at C(-v) and AWX stores them in its
    job events. This module never asks for the environment, the command line or the mounts, and
    keeps only the whitelisted fields of what docker prints.
  - When the container does not exist, it lists the containers (running or not) whose image name
    contains C(postgres), by name and image only, so a wrong name can be corrected.
  - Each docker call runs under C(timeout) on the docker host, so a hung or paused Docker engine
    fails the task after O(timeout) seconds instead of hanging the run.
  - A container that does not exist is not a failure (RV(exists=false)); docker not answering is.
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection.attributes
options:
  name:
    description: Name or ID of the container.
    type: str
    required: true
  docker_cli:
    description:
      - The docker client on the docker host.
      - Defaults to C(preflight_target.docker_cli), then C(docker).
    type: str
  timeout:
    description:
      - Seconds each docker call may take before it is ended (C(timeout -k 5) from coreutils on the
        docker host). V(0) means no limit and no C(timeout) program is needed.
    type: int
    default: 30
  labels:
    description: Also return the container's labels in RV(labels).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Read-only: it runs in check mode too, and returns the real state.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - Never changes anything; RV(changed) is always V(false).
  action:
    support: full
notes:
  - The docker host needs the docker client and C(timeout) (coreutils or busybox); the container
    needs nothing.
seealso:
  - name: docker container inspect
    description: The command and its C(--format) templates.
    link: https://docs.docker.com/reference/cli/docker/container/inspect/
  - module: community.docker.docker_container_info
    description: The full inspection over the Docker API, environment included.
  - module: fancai.db_runbooks.psql
"""

EXAMPLES = r"""
- name: Check the PostgreSQL container
  fancai.db_runbooks.container_info:
    name: fancai-vibe-hackathon-postgres-1
  register: pg_container

# pg_container.up is false for a stopped or paused one (pg_container.status says which);
# when pg_container.exists is false, pg_container.postgres_containers names the candidates.

- name: Read a container's labels (a throwaway container made by a playbook)
  fancai.db_runbooks.container_info:
    name: db-runbooks-demo-postgres
    labels: true
    timeout: 10
  register: demo
"""

RETURN = r"""
exists:
  description: Whether the container exists (running or not).
  returned: always
  type: bool
  sample: true
up:
  description: Running, and neither paused nor restarting; what a check wants.
  returned: always
  type: bool
  sample: true
running:
  description: Docker's C(State.Running); also V(true) for a paused container.
  returned: always
  type: bool
  sample: true
paused:
  description: Docker's C(State.Paused).
  returned: always
  type: bool
  sample: false
restarting:
  description: Docker's C(State.Restarting).
  returned: always
  type: bool
  sample: false
status:
  description: Docker's C(State.Status) (C(running), C(paused), C(exited), C(created), C(restarting), C(dead)); empty when it does not exist.
  returned: always
  type: str
  sample: running
exit_code:
  description: Docker's C(State.ExitCode); null when the container does not exist.
  returned: always
  type: int
  sample: 0
started_at:
  description: Docker's C(State.StartedAt).
  returned: always
  type: str
  sample: "2025-11-25T03:00:00.123456789Z"
id:
  description: The container's full ID; empty when it does not exist.
  returned: always
  type: str
  sample: 5697c8d173772c004080a982a329ccc98d93b60f6a5e37395cb6929939814499
name:
  description: The container's name, without docker's leading slash.
  returned: always
  type: str
  sample: fancai-vibe-hackathon-postgres-1
image:
  description: The image the container was created from, as given (C(Config.Image)).
  returned: always
  type: str
  sample: postgres:15.7-alpine
labels:
  description: The container's labels.
  returned: when O(labels=true)
  type: dict
  sample: {"com.docker.compose.project": "fancai-vibe-hackathon"}
postgres_containers:
  description:
    - When the container does not exist, the containers on the docker host (running or not) whose image
      contains C(postgres), sorted by name; empty otherwise.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The container's name.
      type: str
    image:
      description: Its image.
      type: str
  sample: [{"name": "fancai-vibe-hackathon-postgres-1", "image": "postgres:15.7-alpine"}]
docker_host:
  description: The inventory host whose docker was asked (named in failure messages).
  returned: always
  type: str
  sample: localhost
cmd:
  description: The inspection command run on the docker host, as a list.
  returned: always
  type: list
  elements: str
  sample: ["timeout", "-k", "5", "30", "docker", "inspect", "--type", "container", "--format",
           "{\"Id\":{{json .Id}},…}", "fancai-vibe-hackathon-postgres-1"]
queries:
  description: The command lines run on the docker host, in order (the listing only when the container does not exist).
  returned: always
  type: list
  elements: str
  sample: ["timeout -k 5 30 docker inspect --type container --format '…' fancai-vibe-hackathon-postgres-1"]
rc:
  description: Exit code of the failed docker call.
  returned: on failure
  type: int
  sample: 124
"""
