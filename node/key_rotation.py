"""Rotating this point's keys: new keys made here, endorsed by the old, used only once the center
has confirmed.

Three key files in the data dir, all 0600: `node_keys.json` (the keys in use), `node_keys.next.json`
(made by `motcua node rotate-keys`, waiting for the center's answer) and `node_keys.prev.json` (the
keys replaced last). Until the center's signed answer names the new keys, the point keeps signing
with the old ones (the center still takes them), so a lost answer or a stick that never arrives
leaves a working point; the same request is simply sent again. Down parcels the center sealed to the
old key before the switch (built ahead, cached) are still opened with the previous keys.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from motcua import errors as E
from motcua.errors import InvalidInput
from motcua.files import fsync_dir, write_durably
from node.enroll import EnrollRefused, keys_path, node_identity, pinned_center_keys
from node.facts import get_state, unit_code
from sync import crypto
from sync.key_rotation import build_request, read_answer

logger = logging.getLogger(__name__)


def next_keys_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "node_keys.next.json"


def prev_keys_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "node_keys.prev.json"


def start_rotation(data_dir: str | os.PathLike) -> dict:
    """Make the new keys (once: a rotation already waiting keeps its keys) and say which.

    :raises EnrollRefused: the point is not enrolled.
    """
    current = node_identity(data_dir)
    if pinned_center_keys() is None:
        raise EnrollRefused(E.NOT_ENROLLED)
    path = next_keys_path(data_dir)
    if not path.exists():
        crypto.save_identity(crypto.generate_identity(), path)
        logger.info("new keys made for rotation: %s",
                    crypto.load_identity(path).public_keys().fingerprint())
    return {"unit_code": unit_code(), "old_fingerprint": current.public_keys().fingerprint(),
            "new_fingerprint": crypto.load_identity(path).public_keys().fingerprint(),
            "central_url": get_state("central_url")}


def pending_request(data_dir: str | os.PathLike) -> bytes | None:
    """The rotation request still to carry to the center (endorsed by the keys in use), if any."""
    path = next_keys_path(data_dir)
    if not path.exists():
        return None
    new_keys = crypto.load_identity(path).public_keys()
    return build_request(node_identity(data_dir), new_keys, unit_code())


def accept_answer(data_dir: str | os.PathLike, answer) -> bool:
    """Switch to the new keys when the center's signed answer names them; True when it switched.
    An answer for the keys already in use changes nothing.

    :raises InvalidInput: bad_rotation_answer: not signed by the pinned center, for another point,
        or for keys this point does not hold.
    """
    confirmed = read_answer(answer, pinned_center_keys().sign_pub, unit_code())
    if confirmed == node_identity(data_dir).public_keys():
        return False
    path = next_keys_path(data_dir)
    if not path.exists() or crypto.load_identity(path).public_keys() != confirmed:
        raise InvalidInput(E.ROTATION_ANSWER_KEYS)
    _switch(data_dir)
    return True


def decrypting_identities(data_dir: str | os.PathLike) -> list[crypto.Identity]:
    """Keys to try, after the ones in use, on a down parcel that will not open: the previous keys
    (parcels the center built before the switch) and the waiting ones (the center switched, the
    point has not heard yet)."""
    found = []
    for path in (prev_keys_path(data_dir), next_keys_path(data_dir)):
        if path.exists():
            found.append(crypto.load_identity(path))
    return found


def _switch(data_dir: str | os.PathLike) -> None:
    """Keep the old keys as previous, put the new ones in use (one rename: a power cut leaves one
    or the other in `node_keys.json`, and a repeat of this step is harmless), then drop spooled
    scan chunks signed with the old key: they are rebuilt, signed with the new one."""
    data_dir = Path(data_dir)
    current, nxt = keys_path(data_dir), next_keys_path(data_dir)
    old = crypto.load_identity(current)
    write_durably(prev_keys_path(data_dir), current.read_bytes(), mode=0o600)
    os.replace(nxt, current)
    fsync_dir(data_dir)
    for chunk in (data_dir / "outbox" / "blobs").glob("*.mcp"):
        chunk.unlink(missing_ok=True)
    logger.info("keys switched %s -> %s", old.public_keys().fingerprint(),
                crypto.load_identity(current).public_keys().fingerprint())
