# Two commands do everything on a fresh machine:
#   make run   - virtualenv, install, migrate, demo data, serve on http://localhost:8000
#   make test  - virtualenv, install, run the test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint typecheck imports check install install-dev worker beat standin clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

STANDIN_PORT ?= 8765
ALIPAY_STANDIN_PORT ?= 8766

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_data
	@echo ""
	@echo "Serving on http://localhost:$(PORT)/  - API: /api/v1/docs/  - staff: /admin/  (Ctrl-C stops)"
	@echo "Payment channel stand-ins: WeChat Pay v3 on http://127.0.0.1:$(STANDIN_PORT)/, Alipay on http://127.0.0.1:$(ALIPAY_STANDIN_PORT)/"
	$(BIN)/python -m payments.channels.wechatpay.standin --port $(STANDIN_PORT) --quiet & wechat=$$!; \
	$(BIN)/python -m payments.channels.alipay.standin --port $(ALIPAY_STANDIN_PORT) --quiet & alipay=$$!; \
	trap 'kill $$wechat $$alipay 2>/dev/null' EXIT INT TERM; \
	CASH_CHANNEL_BASE_URL=http://127.0.0.1:$(STANDIN_PORT) ALIPAY_BASE_URL=http://127.0.0.1:$(ALIPAY_STANDIN_PORT)/gateway.do \
	PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check portal vouchers payments

typecheck: install-dev
	$(BIN)/mypy portal vouchers payments

imports: install-dev
	$(BIN)/lint-imports --no-cache

check: lint typecheck imports
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: install
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: install
	$(BIN)/celery -A portal beat --loglevel=INFO

standin: install
	$(BIN)/python -m payments.channels.wechatpay.standin --port $(STANDIN_PORT)

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .mypy_cache .ruff_cache
