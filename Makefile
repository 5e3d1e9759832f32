# voiceguide: make setup | demo | test | bench | lint | clean
# Every target that runs code does its own set-up first, so a bare machine needs only `make demo`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The venv is built with a 3.11 interpreter, the version the project is verified on.
PYTHON ?= $(shell for p in python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
DEB_PACKAGES := espeak-ng ffmpeg libasound2-dev pulseaudio pulseaudio-utils libasound2-plugins gcc python3-dev libportaudio2

.PHONY: help setup system-packages demo test bench lint clean

help:
	@echo "make demo   export the daily routine and the partner back massage to ./out/"
	@echo "make test   run the whole test suite"
	@echo "make bench  measure speed and memory, rewrite BENCHMARKS.md"
	@echo "make lint   ruff and mypy"
	@echo "make setup  install what the project needs (Debian packages, .venv)"

setup: system-packages $(STAMP)

# Installs only what is missing; quiet and quick when everything is there.
system-packages:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
		for p in $(DEB_PACKAGES); do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "Installing Debian packages:$$missing"; \
			if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
			$$SUDO apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
			{ echo "apt-get failed; install these packages yourself:$$missing"; exit 1; }; \
		fi; \
	else \
		for t in espeak-ng ffmpeg ffprobe pulseaudio parec; do \
			command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "This is not a Debian system. Install these with your package manager:"; \
			echo "  espeak-ng, ffmpeg (with ffprobe), ALSA development headers (alsa-lib-devel),"; \
			echo "  pulseaudio with its utilities (parec) and the ALSA pulse plugin (alsa-plugins-pulseaudio)."; \
			echo "Missing now:$$missing"; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "voiceguide needs Python 3.11 (the version it is verified on). Install python3.11 and retry."; exit 1; fi
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install -q --disable-pip-version-check -e '.[natural,listen,dev]'
	@touch $(STAMP)

demo: setup
	@$(PY) -m voiceguide export daily-routine partner-back-massage -o out --force
	@echo
	@echo "Play one with:   $(VENV)/bin/voiceguide play out/daily-routine.mp3"
	@echo "Or copy out/ to a phone and open out/voiceguide.m3u8 in any music player."

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/run.py

lint: setup
	$(VENV)/bin/ruff check voiceguide tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
