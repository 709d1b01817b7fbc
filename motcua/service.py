"""`motcua node install-service` / `central install-service`: the systemd unit shipped in the
package (`motcua/data/systemd/`), filled in for this PC and installed: restart on failure, start
at boot, a dedicated system user, hardening (ProtectSystem=strict, only the data folder writable),
logs to the journal."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from motcua import errors as E
from motcua.errors import InvalidInput
from motcua.files import write_durably

UNIT_DIR = Path("/etc/systemd/system")


def unit_name(side: str) -> str:
    return f"motcua-{side}.service"


def motcua_executable() -> str:
    """The `motcua` of this installation (the venv's, or pipx's), as an absolute path."""
    beside = Path(sys.executable).with_name("motcua")
    found = beside if beside.exists() else shutil.which("motcua")
    if not found:
        raise InvalidInput(E.NO_EXECUTABLE)
    return str(Path(found).absolute())


def render_unit(side: str, *, data_dir: str | os.PathLike, user: str, host: str, port: int,
                name: str = "", exe: str | None = None, writable: tuple[str, ...] = ()) -> str:
    """The unit file's text for `side` ("node" or "central")."""
    template = resources.files("motcua").joinpath(f"data/systemd/{unit_name(side)}").read_text()
    data_dir = str(Path(data_dir).absolute())
    for value in (data_dir, *writable):
        if any(c.isspace() for c in value):
            raise InvalidInput(E.PATH_HAS_SPACE(path=value))
    return template.format(exe=exe or motcua_executable(), data_dir=data_dir, user=user,
                           host=host, port=int(port), name=name or side,
                           extra_rw="".join(f" {Path(w).absolute()}" for w in writable))


def install_unit(side: str, text: str, *, data_dir: str | os.PathLike, user: str,
                 unit_dir: str | os.PathLike = UNIT_DIR, create_user: bool = True,
                 enable: bool = True, run=subprocess.run) -> list[str]:
    """Write the unit, make the system user own the data folder, reload and enable systemd.
    Returns what was done, line by line. :raises InvalidInput: not root when it must be."""
    done = []
    if create_user and not _user_exists(user):
        if os.geteuid() != 0:
            raise InvalidInput(E.NEED_ROOT)
        run(["useradd", "--system", "--home-dir", str(Path(data_dir).absolute()),
             "--shell", "/usr/sbin/nologin", user], check=True)
        done.append(f"Đã tạo người dùng hệ thống {user}.")
    if create_user:
        for root, dirs, files in os.walk(data_dir):
            for item in [root, *(os.path.join(root, f) for f in files)]:
                shutil.chown(item, user, user)
        done.append(f"{data_dir} thuộc về {user}.")
    target = Path(unit_dir) / unit_name(side)
    write_durably(target, text.encode())
    os.chmod(target, 0o644)
    done.append(f"Đã ghi {target}.")
    if enable:
        run(["systemctl", "daemon-reload"], check=True)
        run(["systemctl", "enable", "--now", unit_name(side)], check=True)
        done.append(f"Đã bật {unit_name(side)}: tự chạy khi bật máy, tự khởi động lại khi lỗi. "
                    f"Nhật ký: journalctl -u motcua-{side}")
    return done


def _user_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False
