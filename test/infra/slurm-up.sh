#!/usr/bin/env bash
# Real SLURM daemons on this machine for the runtime tests (Debian 12's slurm-wlm 22.05, root, no systemd):
#   * munged
#   * cluster "dsdci": one node (this host), Gres=gpu:8 backed by fake device files; SSH user dsd-gpu submits here
#   * cluster "dsdmulti": two nodes node1/node2 (two slurmd on this host, Debian builds --enable-multiple-slurmd),
#     gpu:8 each; SSH user dsd-multi submits here (sshd Match block sets SLURM_CONF)
# No accounting daemon: finished jobs are read from squeue/scontrol within MinJobAge. Ports are configurable.
# Writes $DSD_INFRA/slurm{,-multi}/slurm.conf.
set -euo pipefail
BASE=${DSD_INFRA:-/tmp/dsd-infra}
P1=${DSD_SLURM_PORT:-6917}      # ctld; slurmd = P1+1
P2=$((P1 + 10))                 # multi: ctld P2, slurmd node1 P2+1, node2 P2+2
HOST=$(hostname -s)

need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; }
fi

bash "$(dirname "$0")/slurm-down.sh" >/dev/null 2>&1 || true

# munge
[ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge; chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 40); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.25; done
fi

# gres needs device files (a File-less gpu gres is dropped); clones of /dev/null keep slurmd's logs clean.
mkdir -p "$BASE/fakedev"
for i in 0 1 2 3 4 5 6 7; do [ -e "$BASE/fakedev/nvidia$i" ] || mknod "$BASE/fakedev/nvidia$i" c 1 3; done

conf() { # dir cluster ctldport slurmdport nodes-lines
  local D=$1
  mkdir -p "$D"/{state,log,run,spool}
  cat > "$D/slurm.conf" <<EOF
ClusterName=$2
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=$3
SlurmdPort=$4
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd-%n.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
MinJobAge=600
ReturnToService=2
SlurmdTimeout=30
KillWait=5
$5
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  touch "$D/log/jobcomp.txt"; chmod 666 "$D/log/jobcomp.txt"
}
conf "$BASE/slurm" dsdci "$P1" "$((P1 + 1))" "NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 RealMemory=8000 Gres=gpu:8 State=UNKNOWN"
cat > "$BASE/slurm/gres.conf" <<EOF
AutoDetect=off
NodeName=$HOST Name=gpu File=$BASE/fakedev/nvidia[0-7]
EOF
mkdir -p "$BASE/slurm/spool/$HOST"
conf "$BASE/slurm-multi" dsdmulti "$P2" "$((P2 + 1))" "NodeName=node1 NodeHostname=$HOST NodeAddr=127.0.0.1 Port=$((P2 + 1)) CPUs=2 RealMemory=4000 Gres=gpu:8 State=UNKNOWN
NodeName=node2 NodeHostname=$HOST NodeAddr=127.0.0.1 Port=$((P2 + 2)) CPUs=2 RealMemory=4000 Gres=gpu:8 State=UNKNOWN"
cat > "$BASE/slurm-multi/gres.conf" <<EOF
AutoDetect=off
NodeName=node1 Name=gpu File=$BASE/fakedev/nvidia[0-7]
NodeName=node2 Name=gpu File=$BASE/fakedev/nvidia[0-7]
EOF
mkdir -p "$BASE/slurm-multi/spool/node1" "$BASE/slurm-multi/spool/node2"

SLURM_CONF=$BASE/slurm/slurm.conf /usr/sbin/slurmctld -f "$BASE/slurm/slurm.conf"
SLURM_CONF=$BASE/slurm/slurm.conf /usr/sbin/slurmd -f "$BASE/slurm/slurm.conf"
SLURM_CONF=$BASE/slurm-multi/slurm.conf /usr/sbin/slurmctld -f "$BASE/slurm-multi/slurm.conf"
SLURM_CONF=$BASE/slurm-multi/slurm.conf /usr/sbin/slurmd -f "$BASE/slurm-multi/slurm.conf" -N node1
SLURM_CONF=$BASE/slurm-multi/slurm.conf /usr/sbin/slurmd -f "$BASE/slurm-multi/slurm.conf" -N node2

idle() { SLURM_CONF=$1 sinfo -h -o '%T' 2>/dev/null | grep -qvE 'idle|mixed|allocated' && return 1; [ -n "$(SLURM_CONF=$1 sinfo -h -o '%T' 2>/dev/null)" ]; }
for _ in $(seq 1 80); do idle "$BASE/slurm/slurm.conf" && idle "$BASE/slurm-multi/slurm.conf" && break; sleep 0.25; done
idle "$BASE/slurm/slurm.conf" || { echo "slurm (dsdci) did not come up:" >&2; SLURM_CONF=$BASE/slurm/slurm.conf sinfo >&2 || true; tail -5 "$BASE/slurm/log/"*.log >&2; exit 1; }
idle "$BASE/slurm-multi/slurm.conf" || { echo "slurm (dsdmulti) did not come up:" >&2; SLURM_CONF=$BASE/slurm-multi/slurm.conf sinfo >&2 || true; tail -5 "$BASE/slurm-multi/log/"*.log >&2; exit 1; }
echo "slurm up: dsdci ($(SLURM_CONF=$BASE/slurm/slurm.conf sinfo -h -N -o '%N %T %G' | tr '\n' ' ')) dsdmulti ($(SLURM_CONF=$BASE/slurm-multi/slurm.conf sinfo -h -N -o '%N %T %G' | tr '\n' ' '))"
