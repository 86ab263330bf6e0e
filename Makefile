# One entry point for people and CI (.ci/run calls `make test`).
#   make demo   restore the bookreader schema into a throwaway container
#   make test   lint + unit tests + every Molecule scenario
#   make bench  the playbooks against the guide's commands (docs/BENCHMARKS.md)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        ?= .venv
PYTHON      ?= $(shell tests/scripts/find-python.sh)
BIN         := $(CURDIR)/$(VENV)/bin
COLLECTIONS := .collections/ansible_collections/fancai/db_runbooks
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
# The test image: postgres:15 when present, else the offline equivalent
# (tests/images/postgres15/build.sh). Override: make test DB_RUNBOOKS_TEST_IMAGE=…
IMAGE_FILE  := .cache/test-image
BACKEND_IMAGE_FILE := .cache/test-backend-image
APP_IMAGE_FILE     := .cache/test-app-image
SCENARIOS   ?=
# Suffix of the Molecule containers: two checkouts testing on one docker host
# (CI and a developer) never remove each other's containers.
export DB_RUNBOOKS_TEST_ID ?= $(shell printf '%s' '$(CURDIR)' | sha1sum | cut -c1-8)
DEMO_CONTAINER := db-runbooks-demo-postgres

.PHONY: help venv engine host image lint unit molecule demo-test bench bench-smoke test demo demo-clean clean

help:
	@echo "make demo        restore the guide's schema into the throwaway container $(DEMO_CONTAINER)"
	@echo "make demo-clean  remove that container"
	@echo "make test        ansible-lint, yamllint, unit tests and all Molecule scenarios"
	@echo "make molecule SCENARIOS='database failures'  only some scenarios"
	@echo "make bench       the playbooks against the guide's commands, into docs/BENCHMARKS.md (about 20 min)"
	@echo "make venv | engine | image | lint | unit"

# The venv is rebuilt only when requirements.txt changes.
venv: $(VENV)/.installed $(COLLECTIONS)

$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# The collection is used from this checkout: a link, so edits need no reinstall.
$(COLLECTIONS):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

engine:
	bash tests/scripts/docker-engine.sh

# Host tools the runbooks use on the docker host (flock, crontab, sha256sum).
host:
	bash tests/scripts/host-packages.sh

# The application's doubles (compose mode of molecule/shared/create.yml): its
# backend (Alembic chain in /app) and its PostgreSQL (only /bin/sh inside).
image: engine venv
	mkdir -p $(dir $(IMAGE_FILE))
	bash tests/images/postgres15/build.sh > $(IMAGE_FILE).tmp
	mv $(IMAGE_FILE).tmp $(IMAGE_FILE)
	@echo "test image: $$(cat $(IMAGE_FILE))"
	bash tests/images/backend/build.sh > $(BACKEND_IMAGE_FILE).tmp
	mv $(BACKEND_IMAGE_FILE).tmp $(BACKEND_IMAGE_FILE)
	@echo "test backend image: $$(cat $(BACKEND_IMAGE_FILE))"
	bash tests/images/postgres15-sh/build.sh > $(APP_IMAGE_FILE).tmp
	mv $(APP_IMAGE_FILE).tmp $(APP_IMAGE_FILE)
	@echo "test app image: $$(cat $(APP_IMAGE_FILE))"

lint: venv
	$(BIN)/yamllint -s .
	# A home of its own: a copy of this collection that another tool installed
	# under ~/.ansible/collections would otherwise shadow the checkout.
	mkdir -p .cache/lint-home
	HOME=$(CURDIR)/.cache/lint-home $(BIN)/ansible-lint
	$(BIN)/python tests/scripts/role_readme.py --check
	for m in $$(ls plugins/modules/*.py | xargs -n1 basename | sed 's/\.py$$//'); do \
	  $(BIN)/ansible-doc -t module fancai.db_runbooks.$$m > /dev/null; done
	for f in $$(ls plugins/filter/*.yml | xargs -n1 basename | sed 's/\.yml$$//'); do \
	  $(BIN)/ansible-doc -t filter fancai.db_runbooks.$$f > /dev/null; done
	for f in $$(find tests roles .ci -name "*.sh" -o -name run -path "*/.ci/*"); do bash -n "$$f"; done

unit: venv
	$(BIN)/python -m pytest tests/unit

molecule: venv image host
	DB_RUNBOOKS_TEST_IMAGE=$$(cat $(IMAGE_FILE)) bash tests/scripts/run-molecule.sh $(SCENARIOS)

# The README's demo command, run twice against its own container.
demo-test: venv image
	bash tests/scripts/demo-test.sh

# The benchmark (not part of make test), and its smoke variant (once, on a tiny
# database, into a temporary directory) that make test runs so it cannot rot.
bench: venv image host
	DB_RUNBOOKS_TEST_IMAGE=$$(cat $(IMAGE_FILE)) $(BIN)/python tests/bench/bench.py

bench-smoke: venv image host
	DB_RUNBOOKS_TEST_IMAGE=$$(cat $(IMAGE_FILE)) $(BIN)/python tests/bench/bench.py --smoke > /dev/null

test: lint unit demo-test bench-smoke molecule

demo: venv image
	cd playbooks && $(BIN)/ansible-playbook demo.yml -e db_runbooks_demo_image=$$(cat ../$(IMAGE_FILE))

demo-clean: venv
	cd playbooks && $(BIN)/ansible-playbook demo_clean.yml

clean:
	rm -rf $(VENV) .collections .cache .pytest_cache
