#!/usr/bin/env bash
# Side-by-side benchmark of generative models: our train stages of bench/generative.yaml against
# PyTorch (bench/peers/torch_generative.py, Debian's python3-torch), same networks, data sizes,
# optimisers, batch sizes and thread count.
#
#   bench/run_generative.sh [build_dir=build] [threads=2] [epochs=3] [model...]
#
# A model is a train stage of bench/generative.yaml (vae_mnist, vae_fashion, gan_mnist,
# gan_fashion, dcgan_fashion) or a model family (vae, gan, dcgan: its stages of that list);
# default: all five. Environment:
#   ROUNDS=3            rounds per model, ours and torch interleaved (ours, torch, ours, ...)
#   LIMIT=N             first N training images and first N/5 test images on both sides
#   ONEDNN_MAX_CPU_ISA  passed through to our side (printed)
#
# Our side runs `pipeline run` on a study made of the one train stage and the stages it reads
# (pipeline has no way to run a subset of a study's stages), with a fresh database and cache per
# round, and reads the per-epoch metrics back from SQLite. Round r uses seed r on both sides.
# Per model it prints, per epoch, the median images/s of each side over the rounds, their ratio,
# and the median losses: for a VAE the test loss (ours: val_loss, whose z = mu; torch:
# test_loss_zmu, also z = mu) and their relative difference, plus torch's test loss with a
# sampled z as the PyTorch example computes it; for a GAN g_loss, d_loss, d_real, d_fake. The two
# sides use different random streams (and, on mnist, a different 80/20 split of the same sizes),
# so losses agree only in level.
# Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
epochs=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
rounds=${ROUNDS:-3}
limit=${LIMIT:-0}
study=bench/generative.yaml
all=(vae_mnist vae_fashion gan_mnist gan_fashion dcgan_fashion)

(( $# > 0 )) || set -- "${all[@]}"
models=()
for arg in "$@"; do
  matched=0
  for stage in "${all[@]}"; do
    if [[ $stage == "$arg" || ${stage%%_*} == "$arg" ]]; then models+=("$stage"); matched=1; fi
  done
  if (( !matched )); then
    echo "run_generative.sh: unknown model '$arg' (use ${all[*]}, or vae, gan, dcgan)" >&2
    exit 2
  fi
done

if [[ ! -x $build/pipeline ]]; then
  echo "run_generative.sh: $build/pipeline not found; build it first (scripts/setup.sh)" >&2
  exit 2
fi
if ! /usr/bin/python3 -c 'import torch' 2> /dev/null; then
  echo "run_generative.sh: /usr/bin/python3 has no torch; run scripts/setup.sh --bench" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), avx512f:" \
  "$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
echo "ONEDNN_MAX_CPU_ISA: ${ONEDNN_MAX_CPU_ISA:-(not set)}"
echo "threads $threads, epochs $epochs, rounds $rounds, limit ${limit} (0: all), models: ${models[*]}"
echo "load average before: $(loadavg)"

# The study of one train stage: that stage and every stage it reads, directly or not.
make_study() {
  /usr/bin/python3 - "$study" "$1" "$2" <<'PY'
import sys
import yaml

source, wanted, out = sys.argv[1:4]
with open(source) as f:
    study = yaml.safe_load(f)
stages = study.get("stages", {})
if wanted not in stages:
    sys.exit(f"run_generative.sh: {source} has no stage '{wanted}' (it has: {', '.join(stages)})")
for key in ("variants", "zip"):
    if key in study:
        sys.exit(f"run_generative.sh: {source} has '{key}'; the harness runs single-run studies only")
needed, todo = set(), [wanted]
while todo:
    name = todo.pop()
    if name in needed:
        continue
    needed.add(name)
    spec = stages[name]
    refs = spec.get("inputs", [])
    refs = [refs] if isinstance(refs, str) else list(refs)
    if "input" in spec:
        refs.append(spec["input"])
    todo += [ref for ref in refs if isinstance(ref, str) and ref in stages]
study = {key: value for key, value in study.items() if key in ("study", "seed")}
study["study"] = f"{study.get('study', 'generative')}_{wanted}"
study["stages"] = {name: spec for name, spec in stages.items() if name in needed}
with open(out, "w") as f:
    yaml.safe_dump(study, f, sort_keys=False)
PY
}

# Per-epoch metrics of one train stage from our database, as the peer's JSON lines.
read_ours() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json
import sqlite3
import sys

import yaml

db, stage, study_path = sys.argv[1:4]
connection = sqlite3.connect(db)
rows = connection.execute(
    "SELECT DISTINCT name, step, value FROM run_metrics WHERE stage = ? AND step > 0",
    (stage,)).fetchall()
renamed = {"val_loss": "test_loss", "val_reconstruction": "test_reconstruction",
           "val_kl": "test_kl", "epoch_time": "seconds", "train_g_loss": "g_loss",
           "train_d_loss": "d_loss", "train_d_real": "d_real", "train_d_fake": "d_fake"}
epochs = {}
for name, step, value in rows:
    epochs.setdefault(step, {})[renamed.get(name, name)] = value
inputs = yaml.safe_load(open(study_path))["stages"][stage].get("inputs", [])
sizes = []
for data in inputs if isinstance(inputs, list) else [inputs]:
    found = connection.execute(
        "SELECT value FROM run_metrics WHERE stage = ? AND name = 'examples' AND step = 0",
        (data,)).fetchone()
    sizes.append(int(found[0]) if found else None)
isa = connection.execute("SELECT isa, libraries FROM environment ORDER BY id DESC").fetchone()
onednn_isa = json.loads(isa[1]).get("onednn_isa", "") if isa and isa[1] else ""
print(json.dumps({"peer": "ours", "isa": onednn_isa or (isa[0] if isa else ""),
                  "train_images": sizes[0] if sizes else None,
                  "test_images": sizes[1] if len(sizes) > 1 else None}))
for step in sorted(epochs):
    print(json.dumps({"name": stage, "epoch": step, **epochs[step]}))
PY
}

for model in "${models[@]}"; do
  make_study "$model" "$tmp/$model.yaml"
  data=${model#*_}
  ours_args=("$model.epochs=$epochs")
  torch_args=()
  if (( limit > 0 )); then
    ours_args+=("${data}_train.limit=$limit")
    # Only the VAEs read a test set; a limit on a stage the study does not have is an error.
    grep -q "^  ${data}_test:" "$tmp/$model.yaml" && ours_args+=("${data}_test.limit=$(( limit / 5 ))")
    torch_args+=(--limit "$limit")
  fi
  for (( round = 1; round <= rounds; round++ )); do
    echo "[$model] round $round/$rounds: ours"
    mkdir -p "$tmp/$model.$round"
    if ! "$build/pipeline" run "$tmp/$model.yaml" "${ours_args[@]}" "seed=$round" --db "$tmp/$model.$round/ours.db" \
        --cores "$threads" -j 1 --plain > "$tmp/$model.$round/ours.log" 2>&1; then
      cat "$tmp/$model.$round/ours.log" >&2
      exit 1
    fi
    read_ours "$tmp/$model.$round/ours.db" "$model" "$tmp/$model.yaml" > "$tmp/$model.ours.$round.jsonl"
    echo "[$model] round $round/$rounds: torch"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$threads" \
      /usr/bin/python3 bench/peers/torch_generative.py "$threads" "${model%%_*}" "$data" "$epochs" \
      --seed "$round" "${torch_args[@]}" > "$tmp/$model.torch.$round.jsonl"
  done
done
echo "load average after: $(loadavg)"

/usr/bin/python3 - "$tmp" "$rounds" "${models[@]}" <<'PY'
import json
import statistics
import sys

tmp, rounds, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def load(model, side):
    """Header and per-epoch records of every round: (header, {epoch: [record per round]})."""
    header, epochs = {}, {}
    for r in range(1, rounds + 1):
        for line in open(f"{tmp}/{model}.{side}.{r}.jsonl"):
            record = json.loads(line)
            if "epoch" in record:
                epochs.setdefault(record["epoch"], []).append(record)
            else:
                header = record
    return header, epochs


def median(records, key):
    values = [r[key] for r in records if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


for model in models:
    ours_header, ours = load(model, "ours")
    torch_header, theirs = load(model, "torch")
    print()
    print(f"{model}: train/test images ours {ours_header.get('train_images')}/"
          f"{ours_header.get('test_images')}, torch {torch_header.get('train_images')}/"
          f"{torch_header.get('test_images')}; ours oneDNN ISA {ours_header.get('isa')}, "
          f"torch {torch_header.get('version')} ({torch_header.get('threads')} threads); "
          f"medians over {rounds} round(s)")
    vae = model.startswith("vae")
    if vae:
        print(f"{'epoch':>5} {'ours img/s':>10} {'torch img/s':>11} {'ratio':>6} "
              f"{'ours test':>9} {'torch test':>10} {'diff %':>7} {'torch test(z~q)':>15} "
              f"{'ours rec':>8} {'torch rec':>9} {'ours kl':>7} {'torch kl':>8}")
    else:
        print(f"{'epoch':>5} {'ours img/s':>10} {'torch img/s':>11} {'ratio':>6} "
              f"{'g_loss':>13} {'d_loss':>13} {'d_real':>13} {'d_fake':>13}   (ours / torch)")
    for epoch in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(epoch, []), theirs.get(epoch, [])
        speed_ours, speed_torch = median(mine, "images_per_s"), median(other, "images_per_s")
        ratio = speed_ours / speed_torch if speed_torch else float("nan")
        line = f"{epoch:5d} {speed_ours:10.0f} {speed_torch:11.0f} {ratio:6.2f} "
        if vae:
            test_ours, test_torch = median(mine, "test_loss"), median(other, "test_loss_zmu")
            diff = 100 * (test_ours - test_torch) / test_torch
            line += (f"{test_ours:9.2f} {test_torch:10.2f} {diff:+7.2f} "
                     f"{median(other, 'test_loss'):15.2f} "
                     f"{median(mine, 'test_reconstruction'):8.2f} "
                     f"{median(other, 'test_reconstruction_zmu'):9.2f} "
                     f"{median(mine, 'test_kl'):7.2f} {median(other, 'test_kl'):8.2f}")
        else:
            line += " ".join(f"{median(mine, key):6.3f}/{median(other, key):6.3f}"
                             for key in ("g_loss", "d_loss", "d_real", "d_fake"))
        print(line)
if any(m.startswith("vae") for m in models):
    print("\nVAE losses in nats per test image; ours test and torch test use z = mu (diff % ="
          " (ours - torch) / torch); torch test(z~q) samples z as PyTorch's example does.")
PY
