#!/usr/bin/env bash
# Start a one-node Slurm cluster on this machine (localhost, all CPUs) for the real-Slurm
# test (tests/slurm.rs). Idempotent: a cluster that already answers is left as it is.
# Installs Debian's slurm-wlm and munge if missing (as root). Writes the outcome to
# $STATUS: "up" or "down: <reason>"; the test reads it to run or to skip saying why.
# Never fails the caller: a machine where Slurm cannot start gets a clear reason instead.
set -uo pipefail
STATUS="${DEALSIM_SLURM_STATUS:-/tmp/dealsim-slurm.status}"
CONF_DIR=/etc/slurm
MARK="# written by dealsim tests/slurm/setup.sh"
down() { echo "down: $*" >"$STATUS"; echo "slurm setup: $*" >&2; exit 0; }
up() { echo "up" >"$STATUS"; echo "slurm setup: cluster up" >&2; exit 0; }

node_ready() {
  timeout 5 sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'
}

command -v sinfo >/dev/null && node_ready && up
[ "$(id -u)" = 0 ] || down "not root: cannot install or start Slurm"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge) >/tmp/dealsim-slurm-apt.log 2>&1 \
    || down "apt-get install slurm-wlm munge failed (see /tmp/dealsim-slurm-apt.log)"
fi

# munge: a key, then the daemon.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if id munge >/dev/null 2>&1; then
    su -s /bin/sh munge -c "munged --force" 2>/dev/null || munged --force 2>/dev/null
  else
    munged --force
  fi
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || down "munged did not start"
fi

# slurm.conf: one node (this host), its CPUs, no cgroups (works in containers).
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ {print int($2/1024*0.8)}' /proc/meminfo)"
mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
if [ -e "$CONF_DIR/slurm.conf" ] && ! grep -qF "$MARK" "$CONF_DIR/slurm.conf"; then
  down "$CONF_DIR/slurm.conf exists and was not written by this script; not touching it"
fi
cat >"$CONF_DIR/slurm.conf" <<CONF
$MARK
ClusterName=dealsim-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MinJobAge=600
KillWait=2
SchedulerParameters=sched_interval=1,bf_interval=1,sched_min_interval=0
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

pgrep -x slurmctld >/dev/null || slurmctld 2>/tmp/dealsim-slurmctld.err || down "slurmctld did not start: $(tail -c 300 /tmp/dealsim-slurmctld.err; tail -n 3 /var/log/slurm/slurmctld.log 2>/dev/null)"
pgrep -x slurmd >/dev/null || slurmd 2>/tmp/dealsim-slurmd.err || down "slurmd did not start: $(tail -c 300 /tmp/dealsim-slurmd.err; tail -n 3 /var/log/slurm/slurmd.log 2>/dev/null)"
for _ in $(seq 1 100); do
  node_ready && up
  # A node left DOWN by an earlier run comes back on request.
  scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
  sleep 0.2
done
down "the node did not become idle in 20 s: $(sinfo -h -N -o '%N %t %E' 2>&1 | head -3; tail -n 3 /var/log/slurm/slurmd.log 2>/dev/null)"
