"""The calling display's Vietnamese voice, offline: word clips made once by espeak-ng, joined per call.

`make_clips(folder)` runs `espeak-ng -v vi` once per word (at `node init`, `node voice`, or in the
tests); a call ("Mời số A012 đến quầy 2") is read as words (`call_words`) and its clips are joined
into one WAV with the standard library (`join_call`). No online service, no run-time synthesis.
Without espeak-ng there are no clips and the display works silently.
"""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
import wave
from pathlib import Path

logger = logging.getLogger(__name__)

DIGITS = ["khong", "mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin"]
# clip name → what espeak-ng says
WORDS = {
    "khong": "không", "mot": "một", "hai": "hai", "ba": "ba", "bon": "bốn", "nam": "năm",
    "sau": "sáu", "bay": "bảy", "tam": "tám", "chin": "chín", "muoi": "mười", "muoi_": "mươi",
    "mot_": "mốt", "tu": "tư", "lam": "lăm", "linh": "linh", "tram": "trăm", "nghin": "nghìn",
    "moi_so": "Mời số", "den_quay": "đến quầy",
    # the group letters as Vietnamese spell them
    "A": "a", "B": "bê", "C": "xê", "D": "đê", "E": "e", "G": "giê", "H": "hát", "K": "ca",
}


def tens_and_units(n: int) -> list[str]:
    """0 < n < 100 as spoken: 15 mười lăm, 21 hai mươi mốt, 24 hai mươi tư, 30 ba mươi."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return [DIGITS[unit]]
    words = ["muoi"] if tens == 1 else [DIGITS[tens], "muoi_"]
    if unit == 1 and tens > 1:
        words.append("mot_")
    elif unit == 4 and tens > 1:
        words.append("tu")
    elif unit == 5:
        words.append("lam")
    elif unit:
        words.append(DIGITS[unit])
    return words


def number_words(n: int) -> list[str]:
    """1 ≤ n ≤ 9999 as clip names: 105 một trăm linh năm, 2010 hai nghìn không trăm mười."""
    if not 0 < n < 10000:
        raise ValueError(n)
    thousands, rest = divmod(n, 1000)
    hundreds, small = divmod(rest, 100)
    words = [DIGITS[thousands], "nghin"] if thousands else []
    if hundreds or (thousands and small):
        words += [DIGITS[hundreds], "tram"]
    if small:
        words += (["linh", DIGITS[small]] if small < 10 and words else tens_and_units(small))
    return words


def call_words(group: str, number: int, desk: int) -> list[str]:
    """The whole announcement: Mời số <group> <number> đến quầy <desk>."""
    return ["moi_so", group, *number_words(number), "den_quay", *number_words(desk)]


def has_engine() -> bool:
    return shutil.which("espeak-ng") is not None


def make_clips(folder: Path) -> int:
    """Write every word's clip into `folder` (skipping those already there); returns how many were
    made. Nothing is made, and nothing fails, without espeak-ng."""
    if not has_engine():
        logger.warning("espeak-ng is not installed: the calling display stays silent")
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    for name, text in WORDS.items():
        target = folder / f"{name}.wav"
        if target.exists():
            continue
        tmp = target.with_suffix(".tmp")
        subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(tmp), text],
                       check=True, capture_output=True, timeout=30)
        tmp.replace(target)
        made += 1
    return made


def join_call(folder: Path, words: list[str], gap_ms: int = 60) -> bytes | None:
    """One WAV of the clips of `words`, with a short gap between them; None if a clip is missing."""
    paths = [folder / f"{w}.wav" for w in words]
    if not all(p.exists() for p in paths):
        return None
    out, params = io.BytesIO(), None
    with wave.open(out, "wb") as sink:
        for path in paths:
            with wave.open(str(path), "rb") as clip:
                if params is None:
                    params = clip.getparams()
                    sink.setparams(params)
                    gap = b"\0" * (params.sampwidth * params.nchannels *
                                   params.framerate * gap_ms // 1000)
                sink.writeframes(clip.readframes(clip.getnframes()) + gap)
    return out.getvalue()
