"""Apertium (Debian's ``apertium`` with a language pair such as ``apertium-en-es``): rule-based, offline, CPU only.

A second backend behind the same interface, so the stage can be checked end to end with
real translations where no neural checkpoint can be had. One pipeline run per batch, in
null-flush mode (``apertium-wblank-mode -z``): each text ends with a NUL, at which every
program of the pipeline flushes and resets, so a text's translation does not depend on
its neighbours in the batch (with texts merely separated by blank lines, the tagger's
context crossed them: 106 of 1,180 XQuAD-R train texts came out differently at batch 16
and 512, and a per-text cache must not depend on the batch). Unknown words stay unmarked
(no ``*``), as a training text should be. Without ``apertium-wblank-mode`` or the mode
file, each text is translated by its own ``apertium -u`` process (slow, same result).
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

#: Characters Apertium's stream format reserves (escaped with a backslash on the way in, unescaped on the way out).
_RESERVED = re.compile(r"([\[\]\\^$@/<>{}])")
_ESCAPED = re.compile(r"\\(.)")
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
        self._scripts: dict[str, str | None] = {}

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
        # Versioned: translations made before texts were flushed one by one depended on their batch.
        return {"apertium": "null-flush-1"}

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        mode = f"{source}-{target}"
        cleaned = [" ".join(t.split()) for t in texts]
        script = self._script(mode)
        if script is None:
            return [" ".join(self._run([self.binary, "-u", mode], t + "\n", mode).split()) for t in cleaned]
        # Apertium's stream format: reserved characters escaped, "[]" an (empty) blank, NUL a flush point.
        stream = "".join(_RESERVED.sub(r"\\\1", t) + "[]\0" for t in cleaned)
        out = self._run(["bash", "-c", script, "apertium", "-n", ""], stream, mode).split("\0")
        if len(out) < len(cleaned):
            raise ModelError(f"apertium {mode} returned {len(out)} texts for {len(cleaned)}: check the pair with: "
                             f"echo hello | apertium -u {mode}")
        return [" ".join(_ESCAPED.sub(r"\1", p.replace("[]", " ")).split()) for p in out[:len(cleaned)]]

    def _script(self, mode: str) -> str | None:
        """The mode's pipeline with every program in null-flush mode, or None where it cannot be built."""
        if mode not in self._scripts:
            path, maker = self.modes.get(mode), shutil.which("apertium-wblank-mode")
            script = None
            if path is not None and maker is not None:
                made = subprocess.run([maker, "-z", str(path)], capture_output=True, text=True, check=False)
                script = made.stdout.strip() if made.returncode == 0 and made.stdout.strip() else None
            self._scripts[mode] = script
        return self._scripts[mode]

    def _run(self, command: list[str], text: str, mode: str) -> str:
        done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = " ".join(done.stderr.split())[:200] or f"exit code {done.returncode}"
            raise ModelError(f"apertium {mode} failed ({reason}): check the pair with: echo hello | apertium -u {mode}")
        return done.stdout
