#!/usr/bin/env bash
# A one-node Slurm 22.05 cluster on this machine (Debian 12, as root, no systemd needed).
#
#   scripts/slurm_local.sh start    install slurmctld/slurmd/slurm-client/munge if missing, start
#                                   munged, slurmctld and slurmd; wait until the node is idle
#   scripts/slurm_local.sh stop     stop slurmd, slurmctld and munged (packages stay installed)
#   scripts/slurm_local.sh status   sinfo + squeue, or say that it is down
#   scripts/slurm_local.sh env      print the `export SLURM_CONF=...` line (eval "$(... env)")
#
# Everything lives in $SLURM_LOCAL_DIR (default /var/lib/slurm-local): etc/slurm.conf, state,
# spool, logs, pid files. /etc/slurm is left alone, so sbatch/squeue/scontrol need
# SLURM_CONF=$SLURM_LOCAL_DIR/etc/slurm.conf. `start` is idempotent (a changed slurm.conf restarts
# the Slurm daemons); it waits up to $SLURM_LOCAL_TIMEOUT s (default 60); a failed step names itself.
set -euo pipefail

dir=${SLURM_LOCAL_DIR:-/var/lib/slurm-local}
conf=$dir/etc/slurm.conf
timeout=${SLURM_LOCAL_TIMEOUT:-60}
munge_key=/etc/munge/munge.key
munge_pid=/run/munge/munged.pid
ctld_pid=$dir/run/slurmctld.pid
slurmd_pid=$dir/run/slurmd.pid
export SLURM_CONF=$conf

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

started=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
elapsed() { local s=$(($(date +%s) - started)); printf '%d:%02d' $((s / 60)) $((s % 60)); }
say() { echo "slurm_local: [$(elapsed)] $*"; }

# step NAME COMMAND...: as in scripts/setup.sh: runs COMMAND with its output kept aside; on
# failure prints which step failed, the command and the tool's last lines, then exits.
step() {
  local name=$1
  shift
  say "$name"
  "$@" > "$log" 2>&1 && return 0
  local rc=$?
  {
    echo "slurm_local: FAILED at step '$name' (exit $rc)"
    echo "slurm_local: command: $*"
    echo "----- its output (last 40 lines) -----"
    tail -n 40 "$log"
    echo "-----"
  } >&2
  exit "$rc"
}
fail() {
  echo "slurm_local: FAILED: $*" >&2
  exit 1
}
show_logs() {
  local f
  for f in "$dir/log/slurmctld.log" "$dir/log/slurmd.log" /var/log/munge/munged.log; do
    [ -f "$f" ] || continue
    echo "----- $f (last 25 lines) -----" >&2
    tail -n 25 "$f" >&2
  done
}

# alive PIDFILE NAME: the pid file names a live process whose command is NAME.
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2> /dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$2" ]
}

# kill_pidfile PIDFILE NAME: SIGTERM, wait up to 15 s, then SIGKILL.
kill_pidfile() {
  local pidfile=$1 name=$2 pid i
  if ! alive "$pidfile" "$name"; then
    echo "slurm_local: $name is not running"
    rm -f "$pidfile"
    return 0
  fi
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2> /dev/null || true
  for ((i = 0; i < 150; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    echo "slurm_local: $name (pid $pid) ignored SIGTERM for 15 s, sending SIGKILL"
    kill -KILL "$pid" 2> /dev/null || true
  fi
  rm -f "$pidfile"
  echo "slurm_local: stopped $name (pid $pid)"
}

node=$(hostname -s)

# --- start ---------------------------------------------------------------------------------
install_packages() {
  # --no-install-recommends skips only slurm-wlm-plugins (a metapackage pulling in the mysql,
  # hdf5, influxdb, ipmi, ... plugins); every plugin slurm.conf below names is in
  # slurm-wlm-basic-plugins, a hard dependency. It is listed here so a missing one is obvious.
  local packages=(slurmctld slurmd slurm-client slurm-wlm-basic-plugins munge) missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  step "apt-get update" apt-get update -q
  step "apt-get install ${missing[*]}" \
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

make_munge_key() {
  # Runs under step (set -e is off there), hence the explicit chain.
  if [ ! -d /etc/munge ]; then install -d -o munge -g munge -m 0700 /etc/munge || return 1; fi
  if [ ! -s "$munge_key" ]; then
    dd if=/dev/urandom of="$munge_key.tmp" bs=1024 count=1 status=none &&
      mv "$munge_key.tmp" "$munge_key" || return 1
  fi
  # munged refuses a key readable by others or owned by another user.
  chown munge:munge /etc/munge "$munge_key" && chmod 0700 /etc/munge && chmod 0400 "$munge_key"
}

munge_works() { munge -n 2> /dev/null | unmunge > /dev/null 2>&1; }

start_munged() {
  # /run is a tmpfs: after a reboot /run/munge is gone, and munged (as munge) cannot create it.
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  rm -f "$munge_pid"
  runuser -u munge -- /usr/sbin/munged || return 1
  local i
  for ((i = 0; i < 50; i++)); do
    munge_works && return 0
    sleep 0.2
  done
  echo "munged started but 'munge -n | unmunge' still fails after 10 s:"
  munge -n | unmunge
  return 1
}

# The node line: what slurmd -C sees (CPUs, Boards, SocketsPerBoard, CoresPerSocket,
# ThreadsPerCore, RealMemory), with RealMemory lowered by 5 % (at least 256 MB) so a small
# fluctuation of MemTotal never makes slurmd report less than configured (that drains the node).
node_line() {
  local probe mem margin
  probe=$(slurmd -C | head -n 1) || return 1
  [[ "$probe" == NodeName=* ]] || { echo "unexpected 'slurmd -C' output: $probe" >&2; return 1; }
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<< "$probe")
  margin=$((mem / 20 > 256 ? mem / 20 : 256))
  ((mem > 2 * margin)) && mem=$((mem - margin))
  # Keep only the topology fields, under our own node name; everything on 127.0.0.1.
  echo "NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node $(grep -oE '(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=[0-9]+' <<< "$probe" | tr '\n' ' ')RealMemory=$mem State=UNKNOWN"
}

write_conf() {
  local nl cpus mem
  nl=$(node_line) || fail "could not read this machine's topology with 'slurmd -C'"
  cpus=$(grep -oE 'CPUs=[0-9]+' <<< "$nl" | cut -d= -f2)
  mem=$(grep -oE 'RealMemory=[0-9]+' <<< "$nl" | cut -d= -f2)
  mkdir -p "$dir/etc" "$dir/run" "$dir/log" "$dir/slurmctld" "$dir/slurmd"
  chmod 0755 "$dir"
  cat > "$conf.new" << EOF
# Written by scripts/slurm_local.sh: a one-node cluster on $node. Rewritten by every 'start'.
ClusterName=local
# 127.0.0.1: works even when $node does not resolve (no /etc/hosts entry).
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
# No cgroups: works in containers and on cgroup v1/v2 alike; no memory enforcement.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job that asks for no memory gets the whole node and jobs run one by one.
DefMemPerCPU=$((mem / cpus))
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# A job whose dependency can never be met (afterok on a failed job) is cancelled, not left
# pending forever with DependencyNeverSatisfied. (Since 20.11 it is a DependencyParameters
# option; under SchedulerParameters 22.05 silently ignores it.)
DependencyParameters=kill_invalid_depend
# There is no mail program on a bare machine; without this slurmctld logs an error at start.
MailProg=/bin/true
# Small on purpose, so tests exercise splitting large arrays (indices must be < MaxArraySize).
MaxArraySize=8
ReturnToService=2
# Finished jobs leave scontrol after 60 s (default 300).
MinJobAge=60
# Seconds between Slurm's SIGTERM and its SIGKILL (Slurm's default): a preempted task needs
# them to reach its next check and write its status; 5 s was once too short on a loaded machine.
KillWait=30
StateSaveLocation=$dir/slurmctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$ctld_pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$nl
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  if [ -f "$conf" ] && cmp -s "$conf" "$conf.new"; then
    rm -f "$conf.new"
    return 1 # unchanged
  fi
  mv "$conf.new" "$conf"
  return 0
}

# Each query is bounded: a controller that accepts connections but never answers would otherwise
# hold sinfo for MessageTimeout (10 s) times its retries.
node_state() { timeout 5 sinfo -h -N -n "$node" -o '%T' 2> /dev/null | head -n 1; }

wait_idle() {
  local state resumed=0 deadline=$(($(date +%s) + timeout))
  while (($(date +%s) < deadline)); do
    local name pidfile
    for name in slurmctld slurmd; do
      pidfile=$ctld_pid
      [ "$name" = slurmd ] && pidfile=$slurmd_pid
      if ! alive "$pidfile" "$name"; then
        echo "slurm_local: FAILED at step 'waiting for node $node to become idle': $name exited" >&2
        show_logs
        exit 1
      fi
    done
    state=$(node_state || true)
    case "$state" in
      idle | mixed | allocated) return 0 ;;
      *drain* | down*)
        # A node drained or downed in an earlier run (state kept in StateSaveLocation).
        if ((!resumed)); then
          timeout 5 scontrol update NodeName="$node" State=RESUME > /dev/null 2>&1 || true
          resumed=1
        fi
        ;;
    esac
    sleep 1
  done
  echo "slurm_local: FAILED at step 'waiting for node $node to become idle': after ${timeout} s sinfo says '${state:-nothing}'" >&2
  timeout 5 sinfo -N -l >&2 || true
  timeout 5 scontrol show node "$node" >&2 || true
  show_logs
  exit 1
}

start_daemon() { # NAME PIDFILE
  local name=$1 pidfile=$2 i
  if alive "$pidfile" "$name"; then
    echo "slurm_local: $name already running (pid $(cat "$pidfile"))"
    return 0
  fi
  say "starting $name (log: $dir/log/$name.log)"
  if ! "/usr/sbin/$name" > "$log" 2>&1; then
    echo "slurm_local: FAILED at step 'starting $name'" >&2
    cat "$log" >&2
    show_logs
    exit 1
  fi
  for ((i = 0; i < 100; i++)); do
    alive "$pidfile" "$name" && return 0
    sleep 0.1
  done
  echo "slurm_local: FAILED at step 'starting $name': it exited (no live pid in $pidfile)" >&2
  show_logs
  exit 1
}

cmd_start() {
  [ "$(id -u)" -eq 0 ] || fail "must run as root (try: sudo bash $0 start)"
  install_packages
  step "munge key $munge_key (owner munge, mode 0400)" make_munge_key
  # Debian's munge postinst may start munged itself (through /etc/init.d/munge, when it can).
  if alive "$munge_pid" munged && munge_works; then
    echo "slurm_local: munged already running (pid $(cat "$munge_pid"))"
  else
    step "starting munged" start_munged
  fi
  say "writing $conf (node line from 'slurmd -C')"
  if write_conf; then
    if alive "$ctld_pid" slurmctld || alive "$slurmd_pid" slurmd; then
      say "slurm.conf changed while Slurm runs: restarting slurmd and slurmctld"
      kill_pidfile "$slurmd_pid" slurmd
      kill_pidfile "$ctld_pid" slurmctld
    fi
  fi
  start_daemon slurmctld "$ctld_pid"
  start_daemon slurmd "$slurmd_pid"
  say "waiting for node $node to become idle (up to ${timeout} s)"
  wait_idle
  say "up: node $node is $(node_state) in partition debug"
  echo "slurm_local: for sbatch/squeue/scontrol in your shell:  export SLURM_CONF=$conf"
}

cmd_stop() {
  kill_pidfile "$slurmd_pid" slurmd
  kill_pidfile "$ctld_pid" slurmctld
  kill_pidfile "$munge_pid" munged
}

cmd_status() {
  echo "SLURM_CONF=$conf$([ -f "$conf" ] || echo ' (not written yet: run start)')"
  local name pidfile
  for name in munged slurmctld slurmd; do
    case $name in
      munged) pidfile=$munge_pid ;;
      slurmctld) pidfile=$ctld_pid ;;
      slurmd) pidfile=$slurmd_pid ;;
    esac
    if alive "$pidfile" "$name"; then
      echo "$name: running (pid $(cat "$pidfile"))"
    else
      echo "$name: not running"
    fi
  done
  if ! command -v sinfo > /dev/null || ! alive "$ctld_pid" slurmctld; then
    echo "slurm_local: the cluster is down (start it with: bash $0 start)"
    return 3
  fi
  sinfo
  squeue
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  -h | --help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
