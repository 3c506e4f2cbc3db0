"""Rank the functions of py-spy collapsed stacks (`bench --profile DIR` writes them).

`python -m bench.profile_summary FILE... [--top N] [--match SUBSTRING]`: for each function, the
share of samples in which it is on the stack (inclusive) and on top of it (self). Idle samples
(the event loop waiting in epoll/select, threads parked on a lock or queue) are counted apart,
so the percentages are of the time the process was doing something.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

IDLE = re.compile(
    r"(select|poll|epoll|_run_once \(asyncio|wait \(threading|_worker \(concurrent|"
    r"get \(queue|acquire|run_forever|sleep)"
)
# uvloop's loop is C: a sample whose top Python frame is the runner is the loop itself, mostly
# waiting in epoll (py-spy without --native cannot tell), so it is counted apart as "loop".
LOOP = re.compile(r"^Runner\.run \(asyncio/runners\.py")


def frame_name(frame: str) -> str:
    # "func (path/to/file.py:123)" -> "func (file.py)"; line numbers would split one function.
    m = re.match(r"(.*?) \((.*?)(?::\d+)?\)$", frame)
    if not m:
        return frame
    func, path = m.groups()
    parts = path.replace("\\", "/").split("/")
    short = (
        "/".join(parts[-2:]) if "site-packages" not in path else "/".join(parts[parts.index("site-packages") + 1 :][:2])
    )
    return f"{func} ({short})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--match", default=None, help="only stacks containing this substring")
    ap.add_argument("--under", default=None, help="split the time of the frames named so by their callees")
    a = ap.parse_args()
    incl: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    busy = idle = loop = 0
    children: Counter[str] = Counter()
    under_total = 0
    for path in a.files:
        with open(path) as fh:
            for line in fh:
                stack, _, n = line.rstrip("\n").rpartition(" ")
                if not stack or not n.isdigit():
                    continue
                count = int(n)
                frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
                if not frames:
                    continue
                if IDLE.search(frames[-1]):
                    idle += count
                    continue
                if a.match and a.match not in stack:
                    continue
                names = [frame_name(f) for f in frames]
                if LOOP.match(names[-1]):
                    loop += count
                    continue
                busy += count
                if a.under:
                    idx = [i for i, n in enumerate(names) if n.startswith(a.under)]
                    if idx:
                        i = idx[0]
                        under_total += count
                        children[names[i + 1] if i + 1 < len(names) else "(self)"] += count
                for name in set(names):
                    incl[name] += count
                self_[names[-1]] += count
    total = busy or 1
    print(f"samples: busy {busy}, idle {idle}, uvloop (C) {loop}")
    if a.under:
        print(f"\n{a.under}: {100 * under_total / total:.1f}% of busy samples; by callee:")
        for name, samples in children.most_common(a.top):
            print(f"{100 * samples / total:6.1f}  {name}")
        return
    print(f"\n{'incl%':>6} {'self%':>6}  function (inclusive, top {a.top})")
    for name, samples in incl.most_common(a.top):
        print(f"{100 * samples / total:6.1f} {100 * self_[name] / total:6.1f}  {name}")
    print(f"\n{'self%':>6}  function (self, top {a.top})")
    for name, samples in self_.most_common(a.top):
        print(f"{100 * samples / total:6.1f}  {name}")


if __name__ == "__main__":
    main()
