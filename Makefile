# ExamKiosk: `make demo` runs the demo venue, `make test` runs every test.
# Both create .venv and install what is missing, system packages included.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
FACES  ?= ../shared/testdata/faces
DATA   ?= demo-data
STAMP  := $(VENV)/.installed

# Debian packages: pcscd + vpcd (smart-card middleware and the virtual reader the tests and
# the demo use), libpcsclite-dev + swig (pyscard builds from source), xvfb (a screen for the
# kiosk window on a headless machine), a CJK font (the UI is Chinese), the GL/xcb libraries
# Qt needs, PostgreSQL for the central service's tests, and chromium (+ driver) for the
# console's browser tests (tests/browser). lintian checks the .deb `make dist` builds; cage
# (the kiosk compositor) lets the tests verify the kiosk session's unit; xdotool types on the
# set-up page in benchmarks/install.py as a technician would. fp-compiler (Free Pascal)
# compiles and runs the Windows installer script's version check (tests/installer).
# xorriso, dosfstools and mtools build the station install drive image (make usb-image).
APT_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev swig xvfb xauth fonts-noto-cjk \
	libgl1 libegl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 \
	libfontconfig1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 postgresql \
	chromium chromium-driver lintian cage xdotool fp-compiler xorriso dosfstools mtools \
	poppler-utils fonts-dejavu-core

.PHONY: all demo test lint typecheck unit system-deps venv screenshots bench fuzz dist usb-image clean

all: test

system-deps:
	@bash installer/system-deps.sh $(APT_PACKAGES)

$(STAMP): pyproject.toml installer/system-deps.sh
	@$(MAKE) --no-print-directory system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip 'setuptools<81' wheel
	$(PIP) install -q -e '.[dev]'
	# face_recognition's own metadata asks for dlib (a 13-minute source build); dlib-bin,
	# installed above, provides the same module, so the package itself goes in without deps.
	$(PIP) install -q --no-deps 'face-recognition>=1.3,<1.4'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@if [ -d "$(FACES)" ]; then faces="--faces $(FACES)"; else faces=""; fi; \
	$(VENV)/bin/examkiosk demo --data-dir $(DATA) $$faces

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	EXAMKIOSK_STRICT=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

test: $(STAMP)
	@$(MAKE) --no-print-directory lint typecheck unit

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/ui/test_screenshots.py --screenshots-dir=screenshots

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# dist/examkiosk/ (the PyInstaller one-folder build), dist/examkiosk_<version>_amd64.deb and
# dist/examkiosk-station_<version>_all.deb (installing it dedicates a machine to the kiosk).
dist: $(STAMP)
	$(VENV)/bin/pyinstaller --noconfirm installer/examkiosk.spec
	$(PY) installer/build_deb.py --frozen dist/examkiosk --out dist

# The station install drive: make usb-image ISO=debian-12.N.0-amd64-netinst.iso KEYS=central-keys.json
usb-image: $(STAMP)
	@test -n "$(ISO)" -a -n "$(KEYS)" || { echo "usage: make usb-image ISO=debian.iso KEYS=central-keys.json"; exit 2; }
	$(PY) installer/preseed/build_usb_image.py --iso "$(ISO)" --keys "$(KEYS)" --dist dist

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
