"""Apertium (Debian's ``apertium`` with a language pair such as ``apertium-en-es``): rule-based, offline, CPU only.

A second backend behind the same interface, so the stage can be checked end to end with
real translations where no neural checkpoint can be had. One ``apertium`` process per
batch: texts are separated by blank lines, which Apertium's text format keeps as
paragraph breaks (checked: the count must come back, else the batch is redone text by
text). ``-u`` leaves unknown words unmarked (no ``*``), as a training text should be.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from objectives.errors import ModelError
from objectives.translation._languages import APERTIUM_CODES
from objectives.translation._settings import DecodeSettings

__all__ = ["ApertiumEngine"]

_MODE_DIRS = (Path("/usr/share/apertium/modes"), Path("/usr/local/share/apertium/modes"))
_INSTALL = "install it with: apt-get install apertium apertium-en-es (or another pair)"


class ApertiumEngine:
    """The ``apertium`` command with the pairs installed on this machine."""

    family = "apertium"

    def __init__(self, name: str, settings: DecodeSettings) -> None:
        self.name = name
        self.settings = settings
        self.default_codes = APERTIUM_CODES
        binary = shutil.which("apertium")
        if binary is None:
            raise ModelError(f"--mt-model {name}: the apertium command is not installed; {_INSTALL}")
        self.binary = binary
        self.modes = self._modes()
        if not self.modes:
            raise ModelError(f"--mt-model {name}: apertium has no language pair installed; {_INSTALL}")
        self.fingerprint = self._fingerprint()

    def _modes(self) -> dict[str, Path | None]:
        """Translation modes (``eng-spa``) -> their mode file, from ``apertium -l`` (non-zero exit: it lists on error)."""
        listed = subprocess.run([self.binary, "-l"], capture_output=True, text=True, check=False)
        names = [line.strip() for line in (listed.stdout + listed.stderr).splitlines()]
        pairs = [n for n in names if re.fullmatch(r"[a-z]{2,3}-[a-z]{2,3}", n)]
        files = {p.stem: p for d in _MODE_DIRS if d.is_dir() for p in d.glob("*.mode")}
        return {n: files.get(n) for n in pairs}

    def _fingerprint(self) -> str:
        """sha256 of each mode's pipeline and every rule file it names: what the translations depend on."""
        digest = hashlib.sha256(b"apertium\0")
        for mode, path in sorted(self.modes.items()):
            digest.update(mode.encode() + b"\0")
            if path is None:
                continue
            text = path.read_text(encoding="utf-8")
            digest.update(text.encode())
            for file in sorted(set(re.findall(r"'(/[^']+)'", text))):
                if Path(file).is_file():
                    digest.update(file.encode() + b"\0" + hashlib.sha256(Path(file).read_bytes()).digest())
        return digest.hexdigest()

    def language_codes(self) -> list[str]:
        return sorted({code for mode in self.modes for code in mode.split("-")})

    def unsupported_pair(self, source: str, target: str) -> str | None:
        if f"{source}-{target}" in self.modes:
            return None
        return f"apertium has no {source}-{target} pair installed (installed: {', '.join(sorted(self.modes))})"

    def cache_settings(self) -> dict[str, Any]:
        return {}

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        cleaned = [" ".join(t.split()) for t in texts]
        out = self._run(f"{source}-{target}", "\n\n".join(cleaned) + "\n")
        parts = [" ".join(p.split()) for p in out.split("\n\n") if p.strip()]
        if len(parts) == len(cleaned):
            return parts
        return [" ".join(self._run(f"{source}-{target}", t + "\n").split()) for t in cleaned]

    def _run(self, mode: str, text: str) -> str:
        done = subprocess.run([self.binary, "-u", mode], input=text, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = " ".join(done.stderr.split())[:200] or f"exit code {done.returncode}"
            raise ModelError(f"apertium {mode} failed ({reason}): check the pair with: echo hello | apertium {mode}")
        return done.stdout
