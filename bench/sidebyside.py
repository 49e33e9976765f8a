#!/usr/bin/python3
"""Side-by-side runs of two programs, interleaved: ours, peer, ours, peer, ... for ROUNDS rounds
per measurement, each run its own process, so both sides see the same noise of a shared machine.

Used by bench/run_unsupervised.sh and bench/run_train.sh:

  sidebyside.py --rounds 3 --name-a ours --name-b sklearn --value seconds --lower-is-better \
      --cmd-a 'build/unsupervised_bench 2 DIR {m}' --cmd-b 'python3 peer.py 2 DIR {m}' m1 m2 ...

`{m}` in a command is replaced by the measurement's name. Each program prints JSON lines; the
one with "name" == the measurement (the last such line, e.g. the last epoch) is the run's
result, and its VALUE field is compared. Lines that are not JSON (ONEDNN_VERBOSE's) are kept
aside: the "isa:" line tells which oneDNN kernels ran. For every run the driver also records
the process's CPU seconds (user + system, from wait4) and peak resident memory (ru_maxrss).

Prints, per measurement: the median ratio (ours/peer for times, peer/ours is then the speed-up)
with its min-max over rounds, each side's median value, median CPU seconds and peak RSS, and
the iteration counts when the programs report them ("iterations"), flagged when they differ.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys


def cpu_model():
    model, flags = "unknown", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return model, isa


def run(command, env):
    """Runs one process; returns (JSON records, other lines, CPU s, peak RSS MiB, exit code)."""
    process = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, env=env, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    records, other = [], []
    for line in output.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            other.append(line)
    return records, other, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, \
        process.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name-a", default="ours")
    parser.add_argument("--name-b", default="peer")
    parser.add_argument("--cmd-a", required=True)
    parser.add_argument("--cmd-b", required=True)
    parser.add_argument("--env-b", action="append", default=[],
                        help="VAR=VALUE for side B only (e.g. OMP_NUM_THREADS); --env-b=-VAR unsets VAR")
    parser.add_argument("--value", default="seconds", help="the JSON field compared")
    parser.add_argument("--higher-is-better", action="store_true",
                        help="the value is a throughput (images/s), not a time")
    parser.add_argument("--json-out", help="also write every run as JSON lines here")
    parser.add_argument("measurements", nargs="+")
    args = parser.parse_args()

    env_a = dict(os.environ)
    env_b = dict(os.environ)
    for item in args.env_b:
        if item.startswith("-"):
            env_b.pop(item[1:], None)
        else:
            key, _, value = item.partition("=")
            env_b[key] = value
    model, isa = cpu_model()
    print(f"machine: {model}, {os.cpu_count()} cores, ISA flags: {' '.join(isa)}; "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{args.rounds} interleaved rounds per measurement ({args.name_a}, {args.name_b}, "
          f"{args.name_a}, ...), one process per run")
    runs = []
    infos = {}
    onednn_isa = set()
    for measurement in args.measurements:
        for round_index in range(args.rounds):
            for side, template, env in ((args.name_a, args.cmd_a, env_a),
                                        (args.name_b, args.cmd_b, env_b)):
                command = template.replace("{m}", shlex.quote(measurement))
                records, other, cpu, rss, code = run(command, env)
                if code != 0:
                    sys.exit(f"sidebyside: `{command}` exited with {code}")
                for line in other:
                    if "isa:" in line and "onednn_verbose" in line:
                        onednn_isa.add(f"{side}: {line.split('isa:', 1)[1].strip()}")
                for record in records:
                    if "info" in record:
                        infos.setdefault(side, record["info"])
                mine = [r for r in records if r.get("name") == measurement]
                if not mine:
                    sys.exit(f"sidebyside: `{command}` printed no result named {measurement}")
                result = mine[-1]
                runs.append({"measurement": measurement, "round": round_index, "side": side,
                             "value": result[args.value], "cpu_seconds": round(cpu, 3),
                             "peak_rss_mib": round(rss, 1), "result": result})
                print(f"  {measurement} round {round_index + 1} {side}: "
                      f"{args.value} {result[args.value]:.4g}, cpu {cpu:.2f} s, "
                      f"peak RSS {rss:.0f} MiB", flush=True)
    if args.json_out:
        with open(args.json_out, "w") as out:
            for r in runs:
                out.write(json.dumps(r) + "\n")
    for side, info in infos.items():
        print(f"{side}: {json.dumps(info)}")
    for line in sorted(onednn_isa):
        print(f"oneDNN ISA, {line}")

    header = ["measurement", f"{args.name_a}/{args.name_b} median", "min-max",
              "speed-up", f"{args.name_a} {args.value}", f"{args.name_b} {args.value}",
              f"{args.name_a} cpu s", f"{args.name_b} cpu s", f"{args.name_a} RSS MiB",
              f"{args.name_b} RSS MiB", "iterations"]
    rows = []
    for measurement in args.measurements:
        ratios = []
        per_side = {args.name_a: [], args.name_b: []}
        for round_index in range(args.rounds):
            pair = {r["side"]: r for r in runs
                    if r["measurement"] == measurement and r["round"] == round_index}
            a, b = pair[args.name_a], pair[args.name_b]
            ratios.append(a["value"] / b["value"])
            per_side[args.name_a].append(a)
            per_side[args.name_b].append(b)
        med = statistics.median
        ratio = med(ratios)
        speedup = ratio if args.higher_is_better else 1 / ratio
        iters = [str(per_side[s][-1]["result"].get("iterations", "")) for s in per_side]
        note = "" if iters[0] == iters[1] or "" in iters else " (differ)"
        rows.append([measurement, f"{ratio:.2f}", f"{min(ratios):.2f}-{max(ratios):.2f}",
                     f"{speedup:.2f}x",
                     f"{med(r['value'] for r in per_side[args.name_a]):.4g}",
                     f"{med(r['value'] for r in per_side[args.name_b]):.4g}",
                     f"{med(r['cpu_seconds'] for r in per_side[args.name_a]):.2f}",
                     f"{med(r['cpu_seconds'] for r in per_side[args.name_b]):.2f}",
                     f"{max(r['peak_rss_mib'] for r in per_side[args.name_a]):.0f}",
                     f"{max(r['peak_rss_mib'] for r in per_side[args.name_b]):.0f}",
                     " vs ".join(iters) + note if any(iters) else ""])
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print("\nCPU s and RSS are whole processes (data loading included, the same work on both "
          "sides); the value is the timed part only.")


if __name__ == "__main__":
    main()
