"""Peak memory (resident set size) of a process and its children, sampled with psutil while it runs, and the
kernel's own high-water mark (``VmHWM``) where the process is still there to ask."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.node import ROOT, repo_env

MIB = 1024 * 1024
SAMPLE_INTERVAL_S = 0.05
DEMO_TIMEOUT_S = 420.0


def high_water_mark(pid: int) -> int | None:
    """The kernel's peak RSS of a live process in bytes (Linux ``/proc/<pid>/status`` VmHWM), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        return None
    return None


@dataclass
class RssSampler:
    """Samples the RSS of ``pid`` and (with ``tree``) all its descendants every 50 ms on a background thread.

    ``peak_total`` is the largest sum over the tree in one sample; ``peak_root`` the root process's own peak;
    ``peak_by_name`` each command's largest single-process RSS."""

    pid: int
    tree: bool = True
    peak_total: int = 0
    peak_root: int = 0
    samples: int = 0
    peak_by_name: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name=f"rss-{self.pid}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> RssSampler:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        return self

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                procs = [root, *(root.children(recursive=True) if self.tree else [])]
            except psutil.NoSuchProcess:
                return
            total = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    name = _label(proc)
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                if rss == 0:  # exited between the listing and the reading
                    continue
                total += rss
                self.peak_by_name[name] = max(self.peak_by_name.get(name, 0), rss)
                if proc.pid == self.pid:
                    self.peak_root = max(self.peak_root, rss)
            self.peak_total = max(self.peak_total, total)
            self.samples += 1
            self._stop.wait(SAMPLE_INTERVAL_S)  # the sampling period (nothing is timed by it)


def _label(proc: psutil.Process) -> str:
    """A short name for a process: anvil, solc-js (node), a `disfruta …` command, or the executable."""
    cmd = proc.cmdline()
    if cmd and cmd[0].endswith("anvil"):
        return "anvil"
    if any("solc" in arg for arg in cmd):
        return "solc-js (node)"
    for i, arg in enumerate(cmd):
        if arg.endswith(("/disfruta", "disfruta.cli")):
            words = [a for a in cmd[i + 1:] if not a.startswith("-") and not a.isdigit()][:2]
            return " ".join(["disfruta", *words])
    return proc.name()


@dataclass
class DemoRun:
    """``disfruta demo`` as a subprocess with its process tree sampled while it runs."""

    proc: subprocess.Popen[bytes]
    sampler: RssSampler
    started: float
    log_path: Path

    @classmethod
    def start(cls, log_path: Path) -> DemoRun:
        log = log_path.open("wb")
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "disfruta"), "demo"], cwd=ROOT, env=repo_env(),
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the child holds its own descriptor
        return cls(proc=proc, sampler=RssSampler(proc.pid).start(), started=time.perf_counter(), log_path=log_path)

    def finish(self) -> dict[str, Any]:
        try:
            code = self.proc.wait(max(1.0, DEMO_TIMEOUT_S - (time.perf_counter() - self.started)))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        seconds = time.perf_counter() - self.started
        self.sampler.stop()
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
        return {
            "process": "`.venv/bin/disfruta demo` (subprocess; its tree: the demo, ape's anvil, the oracle service)",
            "exit_code": code,
            "seconds": round(seconds, 1),
            "peak_rss_tree_mib": round(self.sampler.peak_total / MIB, 1),
            "peak_rss_demo_process_mib": round(self.sampler.peak_root / MIB, 1),
            "peak_rss_by_process_mib": {k: round(v / MIB, 1) for k, v in sorted(self.sampler.peak_by_name.items())},
            "samples": self.sampler.samples,
            "log_tail": tail if code != 0 else [],
        }
