"""SMS-pumping simulator: legitimate users and a pumping attack against a real `smsgate serve`.

Legitimate users ask for codes to random mainland numbers across many ranges and most of them
type the code in (read back from the sandbox inbox in the server's database) after a human
delay. The attacker asks for codes to sequential and near-sequential numbers in a few ranges
and never verifies one. The app runs in enforce mode with the server's default rules.

Printed: the share of attack messages sent and of legitimate ones refused, overall and after
the first minute, and which rules refused what. `--time-scale N` shortens every window of the
defence (and the human delays, and "the first minute") N times, for a quick run.

    .venv/bin/python bench/pumping.py                     # or: make bench-pumping
    .venv/bin/python bench/pumping.py --duration 60 --time-scale 10
"""

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from errors import BenchError
from servers import running_server
from smsgate_setup import REPO_ROOT, SmsgateSetup, prepare_smsgate, smsgate_cli

# Mainland carrier prefixes legitimate users are spread over (8 random digits follow).
LEGIT_PREFIXES = [*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, *range(180, 190)]
# Server defaults of the windows the time scale shortens: setting -> (text, seconds to scale).
SCALED = {
    "SMSGATE_FRAUD_RANGE_LIMITS": "30/{600}",
    "SMSGATE_FRAUD_SEQUENCE_SECONDS": "{600}",
    "SMSGATE_FRAUD_CONVERSION_SECONDS": "{1800}",
    "SMSGATE_FRAUD_CONVERSION_GRACE_SECONDS": "{180}",
    "SMSGATE_FRAUD_CONVERSION_BUCKET_SECONDS": "{60}",
    "SMSGATE_FRAUD_THROTTLED_RANGE_LIMITS": "1/{300}",
    "SMSGATE_FRAUD_THROTTLED_COUNTRY_LIMITS": "20/{300}",
}


@dataclass
class Tally:
    sent: int = 0
    refused: int = 0
    sent_late: int = 0  # after the first minute
    refused_late: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    other_errors: Counter[str] = field(default_factory=Counter)

    def add(self, late: bool, answer: httpx.Response) -> str | None:
        """Count one answer; the msg_id when the code was sent."""
        if answer.status_code == 200:
            self.sent += 1
            self.sent_late += late
            return str(answer.json()["msg_id"])
        error = answer.json()["error"]
        if error["code"] in (50230, 50231):
            self.refused += 1
            self.refused_late += late
            self.rules[error["message"]] += 1
        else:
            self.other_errors[f"{error['code']} {error['message']}"] += 1
        return None


def scaled_env(scale: float) -> dict[str, str]:
    env = {}
    for name, text in SCALED.items():
        head, _, rest = text.partition("{")
        seconds, _, tail = rest.partition("}")
        env[name] = f"{head}{max(1, round(int(seconds) / scale))}{tail}"
    return env


class Simulation:
    def __init__(self, args: argparse.Namespace, setup: SmsgateSetup, base_url: str) -> None:
        self.args = args
        self.setup = setup
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": setup.auth},
            timeout=30,
            limits=httpx.Limits(max_connections=64),
        )
        self.db = sqlite3.connect(
            f"file:{setup.env['SMSGATE_DATA_DIR']}/smsgate.db?mode=ro", uri=True
        )
        self.random = random.Random(args.seed)
        self.legit = Tally()
        self.attack = Tally()
        self.verified = 0
        self.started = 0.0
        self.tasks: set[asyncio.Task[None]] = set()

    @property
    def late(self) -> bool:
        return time.monotonic() - self.started >= 60 / self.args.time_scale

    async def run(self) -> None:
        self.started = time.monotonic()
        await asyncio.gather(
            self.producer(self.args.legit_rate, self.legit_request),
            self.producer(self.args.attack_rate, self.attack_requests()),
        )
        await asyncio.gather(*self.tasks)
        await self.client.aclose()

    async def producer(self, rate: float, make: object) -> None:
        """Poisson arrivals at `rate` per second for the run's duration."""
        deadline = self.started + self.args.duration
        while time.monotonic() < deadline:
            await asyncio.sleep(self.random.expovariate(rate))
            job = make() if callable(make) else next(make)  # type: ignore[call-overload]
            task = asyncio.create_task(job)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def send(self, mobile: str) -> httpx.Response:
        body = {"mobile": mobile, "temp_id": self.setup.temp_id}
        return await self.client.post("/v1/codes", json=body)

    async def legit_request(self) -> None:
        prefix = self.random.choice(LEGIT_PREFIXES)
        mobile = f"{prefix}{self.random.randrange(10**8):08d}"
        late = self.late
        msg_id = self.legit.add(late, await self.send(mobile))
        if msg_id is None or self.random.random() >= self.args.verify_share:
            return
        await asyncio.sleep(self.random.uniform(5, 40) / self.args.time_scale)
        code = await self.code_of(msg_id)
        if code is not None:
            answer = await self.client.post(f"/v1/codes/{msg_id}/valid", json={"code": code})
            self.verified += answer.status_code == 200

    def attack_requests(self):  # type: ignore[no-untyped-def]
        """Walks through a few ranges, one number (or a few) after another."""
        walks = [
            self.random.randrange(130, 190) * 10**8 + self.random.randrange(10**8 - 10**6)
            for _ in range(self.args.attack_ranges)
        ]
        turn = 0
        while True:
            walk = turn % len(walks)
            walks[walk] += self.random.choice((1, 1, 1, 2, 3))
            turn += 1
            mobile = str(walks[walk])
            yield self.attack_one(mobile)

    async def attack_one(self, mobile: str) -> None:
        late = self.late
        self.attack.add(late, await self.send(mobile))

    async def code_of(self, msg_id: str) -> str | None:
        """The code the sandbox delivered, read from the server's database once it is there."""
        for _ in range(100):
            row = self.db.execute(
                "SELECT text FROM sandbox_inbox WHERE msg_id = ?", (msg_id,)
            ).fetchone()
            if row is not None:
                digits = "".join(ch if ch.isdigit() else " " for ch in row[0]).split()
                return next((d for d in digits if len(d) == 6), None)
            await asyncio.sleep(0.1)
        return None


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.2f}%" if whole else "0/0"


def report(sim: Simulation, args: argparse.Namespace) -> None:
    legit, attack = sim.legit, sim.attack
    minute = 60 / args.time_scale
    print(
        f"duration {args.duration:.0f} s, time scale {args.time_scale:g} "
        f"(the first minute is the first {minute:g} s)"
    )
    print(
        f"legitimate: {args.legit_rate:g}/s, {args.verify_share:.0%} verified; "
        f"attack: {args.attack_rate:g}/s over {args.attack_ranges} ranges, none verified"
    )
    print()
    print(f"{'':28}{'overall':>24}{'after the first minute':>28}")
    attack_total, attack_late = attack.sent + attack.refused, attack.sent_late + attack.refused_late
    legit_total, legit_late = legit.sent + legit.refused, legit.sent_late + legit.refused_late
    print(
        f"{'attack messages sent':28}{share(attack.sent, attack_total):>24}"
        f"{share(attack.sent_late, attack_late):>28}"
    )
    print(
        f"{'legitimate refused':28}{share(legit.refused, legit_total):>24}"
        f"{share(legit.refused_late, legit_late):>28}"
    )
    print(f"\nlegitimate codes verified: {sim.verified}")
    for name, tally in (("attack", attack), ("legitimate", legit)):
        for rule, count in tally.rules.most_common():
            print(f"{name} refused by {rule!r}: {count}")
        for error, count in tally.other_errors.most_common():
            print(f"{name} other answers {error!r}: {count}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of traffic")
    parser.add_argument("--time-scale", type=float, default=1.0, help="shorten windows N times")
    parser.add_argument("--legit-rate", type=float, default=5.0, help="legitimate codes per s")
    parser.add_argument("--attack-rate", type=float, default=20.0, help="attack codes per s")
    parser.add_argument("--attack-ranges", type=int, default=3)
    parser.add_argument("--verify-share", type=float, default=0.85)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsgate-pumping-") as tmp:
        workdir = Path(tmp)
        setup = prepare_smsgate(workdir, REPO_ROOT)
        setup.env.update(scaled_env(args.time_scale))
        setup.env["SMSGATE_SANDBOX_REPORT_DELAY"] = "0.1"
        smsgate_cli(["app", "update", setup.app_key, "--fraud-mode", "enforce"], setup.env, workdir)
        command = [sys.executable, "-m", "smsgate", "serve", "--host", "127.0.0.1"]
        with running_server("smsgate", command, workdir, setup.env) as server:
            sim = Simulation(args, setup, server.base_url)
            asyncio.run(sim.run())
        report(sim, args)


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"pumping: {error}")
