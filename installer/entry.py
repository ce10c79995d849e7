"""Entry point of the frozen (PyInstaller) build: the same command line as `examkiosk`."""

from examkiosk.app.cli import main

if __name__ == "__main__":
    main()
