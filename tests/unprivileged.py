"""Running a command without root's power to ignore file permissions.

Tests of read-only homes and folders mean nothing as root, who may write anywhere; CI and
this machine run tests as root. `setpriv` (util-linux) drops the capabilities that let root
ignore permission bits, so a folder with mode 0o555 is read-only for the command again.
"""

import os
import shutil


def unprivileged(command: list[str]) -> list[str]:
    """`command`, run so that permission bits apply to it even when the tests run as root."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: setpriv (util-linux) is needed to test permissions"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]
