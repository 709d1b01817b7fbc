"""What both doctors share (`motcua node doctor`, `motcua central doctor`): a check's result
(ok / warning / fail with a hint in plain Vietnamese), the worst of a list as the exit status,
how to print them, and the checks that look the same on both sides (the systemd service)."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass

OK, WARNING, FAIL = "ok", "warning", "fail"
LEVELS = {OK: 0, WARNING: 1, FAIL: 2}
LABELS = {OK: "tốt", WARNING: "cảnh báo", FAIL: "LỖI"}


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    message: str
    hint: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def worst(checks: list[Check]) -> str:
    return max((c.level for c in checks), key=LEVELS.__getitem__, default=OK)


def exit_status(checks: list[Check]) -> int:
    """0 when all are ok, 1 for a warning, 2 for a failure."""
    return LEVELS[worst(checks)]


def report_lines(checks: list[Check]) -> list[str]:
    """The checks as a technician reads them, one line each, a hint under what is not ok."""
    lines = []
    for c in checks:
        lines.append(f"[{LABELS[c.level]:^8}] {c.name:<11} {c.message}")
        if c.hint and c.level != OK:
            lines.append(f"{'':<22}→ {c.hint}")
    lines.append(f"Kết quả: {LABELS[worst(checks)]}.")
    return lines


def check_service(unit: str, systemctl: str | None = None) -> Check:
    """Is the systemd unit enabled at boot and running? `systemctl`: the command to ask."""
    exe = systemctl or shutil.which("systemctl")
    if not exe:
        return Check("service", WARNING, "Không có systemd: không kiểm tra được dịch vụ.")
    try:
        enabled = subprocess.run([exe, "is-enabled", unit], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
        active = subprocess.run([exe, "is-active", unit], capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return Check("service", WARNING, "systemctl không trả lời.")
    side = unit.removeprefix("motcua-").removesuffix(".service")     # the CLI group: node, central
    if enabled != "enabled":
        return Check("service", WARNING, f"Dịch vụ {unit} không tự chạy khi bật máy "
                     f"({enabled or 'chưa cài'}).",
                     f"`motcua {side} install-service --data-dir D` (cài và bật dịch vụ).")
    if active != "active":
        return Check("service", FAIL, f"Dịch vụ {unit} đã bật nhưng không chạy ({active or '?'}).",
                     f"Xem `journalctl -u {unit} -n 50`, rồi `systemctl restart {unit}`.")
    return Check("service", OK, f"Dịch vụ {unit} bật và đang chạy.")
