"""Entry point of the frozen (PyInstaller) build.

One build serves both commands: started as `examkiosk-central` (the package's symlink of that
name) it is the centre's command line, otherwise the station's `examkiosk`.
"""

import os
import sys


def _program_name() -> str:
    return os.path.basename(sys.argv[0]).lower()


if __name__ == "__main__":
    if _program_name().startswith("examkiosk-central"):
        from sync.central.cli import main as central_main

        central_main()
    else:
        from examkiosk.app.cli import main

        main()
