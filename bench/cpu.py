"""CPU use during a wrk run, from /proc.

wrk and the server share the machine's CPUs, so anything else running lowers the numbers; these
samples let the report say when that happened."""

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by the whole machine, the server and this script's children.

    The difference over a wrk run shows whether something else competed for the CPUs: wrk and
    the server share them, and anything more makes the numbers lower than they should be.
    "other" also holds the kernel's loopback network work (about 0.1 core at 5000 req/s).
    """

    wall: float
    machine: float
    server: float
    children: float

    @classmethod
    def take(cls, server_pid: int) -> "CpuSample":
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            wall=time.monotonic(),
            machine=machine_busy_seconds(),
            server=process_cpu_seconds(server_pid),
            children=usage.ru_utime + usage.ru_stime,
        )

    def cores_since(self, before: "CpuSample") -> dict[str, float] | None:
        """Average cores used by the server, wrk and everything else; None without /proc."""
        wall = self.wall - before.wall
        if wall <= 0 or self.machine <= 0:
            return None
        server = (self.server - before.server) / wall
        wrk = (self.children - before.children) / wall
        other = (self.machine - before.machine) / wall - server - wrk
        return {"server": round(server, 2), "wrk": round(wrk, 2), "other": round(other, 2)}


def machine_busy_seconds() -> float:
    """Busy (not idle, not waiting for I/O) CPU seconds of all CPUs since boot; 0 without /proc."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and the processes it started (a server run with
    `--workers` or `--separate-delivery` does its work in children); 0 once it is gone."""
    return sum(own_cpu_seconds(member) for member in process_tree(pid))


def own_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process, all its threads; 0 once it is gone."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def process_tree(root: int) -> list[int]:
    """`root` and its descendants now running, read from each process's parent in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, ()))
    return tree


def stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first); [] once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()
