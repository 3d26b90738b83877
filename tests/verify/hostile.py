"""Hostile candidates: code a model (or a poisoned prompt) might propose, each trying one escape.

Every case defines `attack()` returning True if it got through; the expected value is True, so a run
that lets it finish would "pass" the example. Placeholders are filled by the test with paths it owns:
{marker} (a file the attack tries to create), {victim} (a file it tries to delete), {secret} (a fake
~/.ssh/id_rsa), {outside} (a directory outside the sandbox), {port} (a listening socket).
`effect` names what the test checks did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    name: str
    code: str
    effect: str  # "marker" | "victim" | "secret" | "connect" | "none"


CASES: list[Hostile] = [
    Hostile(
        "network connect",
        """
import socket
def attack():
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"stolen")
    return True
""",
        "connect",
    ),
    Hostile(
        "write outside the work dir",
        """
def attack():
    with open({marker!r}, "w") as f:
        f.write("pwned")
    return True
""",
        "marker",
    ),
    Hostile(
        "os.system",
        """
import os
def attack():
    os.system("touch " + {marker!r})
    return True
""",
        "marker",
    ),
    Hostile(
        "subprocess.run",
        """
import subprocess
def attack():
    subprocess.run(["touch", {marker!r}])
    return True
""",
        "marker",
    ),
    Hostile(
        "os.fork + exec",
        """
import os
def attack():
    if os.fork() == 0:
        os.execv("/usr/bin/touch", ["touch", {marker!r}])
    return True
""",
        "marker",
    ),
    Hostile(
        "fork bomb",
        """
import os
def attack():
    while True:
        os.fork()
""",
        "none",
    ),
    Hostile(
        "memory bomb",
        """
def attack():
    hog = []
    while True:
        hog.append(bytearray(50 * 1024 * 1024))
""",
        "none",
    ),
    Hostile(
        "infinite loop",
        """
def attack():
    while True:
        pass
""",
        "none",
    ),
    Hostile(
        "read ~/.ssh/id_rsa",
        """
import os
def attack():
    return open({secret!r}).read()
""",
        "secret",
    ),
    Hostile(
        "list ~/.ssh",
        """
import os
def attack():
    return os.listdir(os.path.dirname({secret!r}))
""",
        "secret",
    ),
    Hostile(
        "symlink to ~/.ssh",
        """
import os
def attack():
    os.symlink({secret!r}, "key")
    return open("key").read()
""",
        "secret",
    ),
    Hostile(
        "delete a file",
        """
import os
def attack():
    os.remove({victim!r})
    return True
""",
        "victim",
    ),
    Hostile(
        "rmtree a directory",
        """
import shutil
def attack():
    shutil.rmtree({outside!r})
    return True
""",
        "victim",
    ),
    Hostile(
        "kill the parent",
        """
import os, signal
def attack():
    os.kill(os.getppid(), signal.SIGKILL)
    return True
""",
        "none",
    ),
    Hostile(
        "ctypes system()",
        """
import ctypes
def attack():
    ctypes.CDLL(None).system(("touch " + {marker!r}).encode())
    return True
""",
        "marker",
    ),
    Hostile(
        "raise own limits",
        """
import resource
def attack():
    resource.setrlimit(resource.RLIMIT_AS, (-1, -1))
    return True
""",
        "none",
    ),
    Hostile(
        "remove the audit hook's effect",
        """
import sys
def attack():
    sys.addaudithook(lambda *a: None)
    open({marker!r}, "w").close()
    return True
""",
        "marker",
    ),
    Hostile(
        "chdir out then write",
        """
import os
def attack():
    os.chdir({outside!r})
    open("dropped", "w").close()
    return True
""",
        "marker",
    ),
    Hostile(
        "import-time attack",
        """
import os
os.system("touch " + {marker!r})
def attack():
    return True
""",
        "marker",
    ),
    Hostile(
        "_posixsubprocess.fork_exec (no audit event)",
        """
import os, subprocess, _posixsubprocess
def attack():
    fork_exec = _posixsubprocess.fork_exec
    args = [["/usr/bin/touch", {marker!r}], [b"/usr/bin/touch"], True, (), None, None]
    args += [-1] * 6 + list(os.pipe()) + [True, False, -1, None, None, None, -1, None, False]
    fork_exec(*args)
    return True
""",
        "marker",
    ),
    Hostile(
        "reload _posixsubprocess",
        """
import sys, os
def attack():
    del sys.modules["_posixsubprocess"]
    import _posixsubprocess
    return _posixsubprocess.fork_exec is not None
""",
        "none",
    ),
]
