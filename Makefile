# EventChain: `make run` starts a demo on SQLite; `make test` runs the whole suite on PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV_PY := .venv/bin/python
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core openssl chromium
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/eventchain
RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/db.sqlite3
PORT ?= 8000

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: run test install system-packages services lint audit clean

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "EventChain needs $(PYTHON) on PATH (Python 3.11)."; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "Missing Debian packages (install them as root): sudo apt-get install $$missing"; \
		echo "PDF rendering needs the Pango/HarfBuzz ones; browser tests need chromium."; \
	fi

install: $(UV) system-packages
	$(UV) sync --frozen --quiet

services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
		echo "Starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
		echo "Starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; }

run: install
	DATABASE_URL=$(RUN_DATABASE_URL) $(VENV_PY) manage.py migrate --no-input -v0
	DATABASE_URL=$(RUN_DATABASE_URL) $(VENV_PY) manage.py seed_demo
	@echo ""
	@echo "EventChain is starting at http://127.0.0.1:$(PORT)/"
	@echo "Staff console: sign in as admin@example.com with password '$${EVENTCHAIN_DEMO_PASSWORD:-eventchain-demo}'"
	@echo "  then the two-factor code (demo secret, DEBUG only): $(VENV_PY) manage.py totp_code admin@example.com"
	@echo "API docs: http://127.0.0.1:$(PORT)/api/v1/docs"
	DATABASE_URL=$(RUN_DATABASE_URL) $(VENV_PY) manage.py runserver 127.0.0.1:$(PORT)

test: install services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} .venv/bin/pytest --create-db $(PYTEST_ARGS)

# Known vulnerabilities in the locked packages (PyPI's advisory data). --strict fails the run when a package
# could not be checked, so an unreachable advisory service never passes as "no vulnerabilities".
audit: install
	$(UV) export --frozen --format requirements-txt --no-hashes --all-groups --quiet > .tools/audit-requirements.txt
	.venv/bin/pip-audit --requirement .tools/audit-requirements.txt --no-deps --disable-pip --strict \
		--vulnerability-service pypi --progress-spinner off

lint: install
	.venv/bin/ruff check .
	.venv/bin/lint-imports

clean:
	rm -rf .venv .tools db.sqlite3 staticfiles
