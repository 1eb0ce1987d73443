# smsgate: `make serve` runs it, `make test` checks it. Both build .venv from pinned versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt
# Debian packages: install; on a machine whose package lists are missing or old, update them first.
APT_INSTALL := sh -c 'apt-get install -y -qq "$$@" >/dev/null 2>&1 \
	|| { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$$@" >/dev/null; }' apt-install

.PHONY: serve test test-peers speech lint format bench bench-smpp bench-e2e bench-pumping clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PIP_INSTALL) -e '.[test]'
	touch $@

# espeak-ng speaks voice codes (Debian package); installed only when missing, quietly.
speech:
	@command -v espeak-ng >/dev/null || $(APT_INSTALL) espeak-ng \
		|| echo "espeak-ng not installed: voice codes have no audio (apt-get install espeak-ng)"

serve: $(VENV)/.runtime speech
	$(BIN)/smsgate serve

lint: $(VENV)/.test
	$(BIN)/ruff check smsgate tests bench
	$(BIN)/ruff format --check smsgate tests bench
	$(BIN)/mypy

# Debian packages the e2e tests drive, installed only when missing (tests skip without them).
test-peers:
	@test -x /usr/sbin/bearerbox -a -x /usr/sbin/smsbox || $(APT_INSTALL) kannel \
		|| echo "kannel not installed: tests/e2e/test_kannel.py will be skipped"
	@command -v sipp >/dev/null || $(APT_INSTALL) sip-tester \
		|| echo "SIPp not installed: the SIP call tests will be skipped"
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/opentype/noto \
		|| $(APT_INSTALL) chromium fonts-noto-cjk \
		|| echo "chromium not installed: the console's browser tests will be skipped"

# The suite in parallel processes (pytest-xdist); each module stays on one worker, so a module's
# server is started once. More workers than cores pay off: most tests wait on sockets, child
# processes and databases. Modules are handed out in collection order (the e2e ones first, see
# tests/conftest.py), not xdist's most-tests-first, which left the longest modules to the end.
# `--durations` prints the slowest tests. Bytecode is compiled first: the suite starts dozens of
# Python processes (servers, workers, commands), and where Python writes no bytecode itself
# (PYTHONDONTWRITEBYTECODE) each would compile smsgate from source, a quarter of a second each.
TEST_WORKERS ?= 3
test: lint speech test-peers
	$(BIN)/python -m compileall -q smsgate tests
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

format: $(VENV)/.test
	$(BIN)/ruff check --fix smsgate tests bench
	$(BIN)/ruff format smsgate tests bench

bench: $(VENV)/.test
	$(BIN)/python bench/run.py

bench-smpp: $(VENV)/.test
	$(BIN)/python bench/smpp.py

# The SMS-pumping simulator (3 minutes); PUMPING_ARGS="--time-scale 10 --duration 40" is quicker.
bench-pumping: $(VENV)/.test
	$(BIN)/python bench/pumping.py $(PUMPING_ARGS)

# End to end through an SMPP provider to bench/smsc.py, next to a bare smpp34 client (wrk from Debian).
# E2E_ARGS=--with-jasmin measures Jasmin too (RabbitMQ and Redis from Debian, Jasmin from PyPI).
bench-e2e: $(VENV)/.test
	@command -v wrk >/dev/null || $(APT_INSTALL) wrk
	@case "$(E2E_ARGS)" in *--with-jasmin*) test -x /usr/lib/rabbitmq/bin/rabbitmq-server \
		-a -x /usr/bin/redis-server || $(APT_INSTALL) rabbitmq-server redis-server;; esac
	$(BIN)/python bench/e2e.py $(E2E_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
	find smsgate tests bench -name __pycache__ -prune -exec rm -rf {} +
