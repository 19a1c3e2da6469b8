#!/usr/bin/env bash
# A third SLURM cluster WITH accounting, next to the ones slurm-up.sh starts (which it leaves alone): MariaDB on its
# own data dir and port, slurmdbd, and cluster "dsdacct" (one node "acct1" on this host, Gres=gpu:8 on fake device
# files), so `sacct` answers for jobs that have left the queue. Debian 12: slurmdbd 22.05 stores only in MySQL/MariaDB
# (accounting_storage/filetxt no longer exists). Root, no systemd. Ports: ctld P, slurmd P+1, slurmdbd P+2, MariaDB
# P+3 (127.0.0.1 only). Writes $DSD_INFRA/slurm-acct/slurm.conf; users point SLURM_CONF at it.
# MinJobAge=2: a finished job leaves squeue within seconds, so the tests see jobs that have left the queue.
# KillWait=30: a job whose processes ignore SIGTERM stays COMPLETING (CG) for 30 s after scancel. Cores are shared
# (OverSubscribe=FORCE:4) so short test jobs never wait for CPUs; gpu:8 is still exclusive.
set -euo pipefail
BASE=${DSD_INFRA:-/tmp/dsd-infra}
D=$BASE/slurm-acct
P=${DSD_SLURM_ACCT_PORT:-6937}
DBD=$((P + 2)); DBPORT=$((P + 3))
HOST=$(hostname -s)

need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
command -v slurmdbd >/dev/null || need+=(slurmdbd)
command -v mariadbd >/dev/null || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

bash "$(dirname "$0")/slurm-acct-down.sh" >/dev/null 2>&1 || true
mkdir -p "$D"/{state,log,run,spool/acct1,mysql,mysqld}

# munge: shared with slurm-up.sh's clusters; start it only if nothing answers.
[ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
mkdir -p /run/munge /var/log/munge /var/lib/munge; chown munge:munge /run/munge /var/log/munge /var/lib/munge; chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 40); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.25; done
fi
mkdir -p "$BASE/fakedev"
for i in 0 1 2 3 4 5 6 7; do [ -e "$BASE/fakedev/nvidia$i" ] || mknod "$BASE/fakedev/nvidia$i" c 1 3; done

# MariaDB: its own data dir, socket and port; the password exists only in files readable by root.
chown -R mysql:mysql "$D/mysql" "$D/mysqld"
if [ ! -d "$D/mysql/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$D/mysql" --auth-root-authentication-method=socket --skip-test-db >"$D/log/mariadb-install.log" 2>&1
fi
runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir="$D/mysql" --socket="$D/mysqld/mysqld.sock" --pid-file="$D/mysqld/mysqld.pid" \
  --bind-address=127.0.0.1 --port="$DBPORT" --innodb-buffer-pool-size=32M --log-error="$D/mysqld/mariadb.log" >/dev/null 2>&1 &
for _ in $(seq 1 120); do mariadb --no-defaults -S "$D/mysqld/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1 && break; sleep 0.25; done
mariadb --no-defaults -S "$D/mysqld/mysqld.sock" -uroot -e 'select 1' >/dev/null || { echo "MariaDB for slurmdbd did not start:" >&2; tail -5 "$D/mysqld/mariadb.log" >&2; exit 1; }
[ -f "$D/dbpass" ] || { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$D/dbpass"; chmod 600 "$D/dbpass"; }
PASS=$(cat "$D/dbpass")
mariadb --no-defaults -S "$D/mysqld/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$PASS';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL

umask 077
cat > "$D/slurmdbd.conf" <<EOF2
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD
SlurmUser=root
PidFile=$D/run/slurmdbd.pid
LogFile=$D/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DBPORT
StorageUser=slurm
StoragePass=$PASS
StorageLoc=slurm_acct_db
EOF2
umask 022
SLURM_CONF=$D/slurm.conf /usr/sbin/slurmdbd  # reads the slurmdbd.conf next to $SLURM_CONF
for _ in $(seq 1 80); do (exec 3<>/dev/tcp/127.0.0.1/$DBD) 2>/dev/null && break; sleep 0.25; done

cat > "$D/slurm.conf" <<EOF2
ClusterName=dsdacct
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=$P
SlurmdPort=$((P + 1))
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
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD
MinJobAge=2
ReturnToService=2
SlurmdTimeout=30
KillWait=30
NodeName=acct1 NodeHostname=$HOST NodeAddr=127.0.0.1 Port=$((P + 1)) CPUs=2 RealMemory=4000 Gres=gpu:8 State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF2
cat > "$D/gres.conf" <<EOF2
AutoDetect=off
NodeName=acct1 Name=gpu File=$BASE/fakedev/nvidia[0-7]
EOF2
export SLURM_CONF=$D/slurm.conf
sacctmgr -i add cluster dsdacct >/dev/null 2>&1 || true
sacctmgr -i add account dsd Cluster=dsdacct >/dev/null 2>&1 || true
for u in root dsd-gpu dsd-multi; do id "$u" >/dev/null 2>&1 && { sacctmgr -i add user "$u" Account=dsd Cluster=dsdacct >/dev/null 2>&1 || true; }; done
/usr/sbin/slurmctld -f "$D/slurm.conf"
/usr/sbin/slurmd -f "$D/slurm.conf" -N acct1
for _ in $(seq 1 80); do s=$(sinfo -h -o '%T' 2>/dev/null); case "$s" in idle*|mixed*|allocated*) break ;; esac; sleep 0.25; done
case "$(sinfo -h -o '%T' 2>/dev/null)" in idle*|mixed*|allocated*) ;; *) echo "slurm (dsdacct) did not come up:" >&2; sinfo >&2 || true; tail -5 "$D"/log/*.log >&2; exit 1 ;; esac
sacct -n -X -S now-1minutes >/dev/null || { echo "slurm (dsdacct): sacct does not answer" >&2; tail -5 "$D/log/slurmdbd.log" >&2; exit 1; }
echo "slurm with accounting up: dsdacct ($(sinfo -h -N -o '%N %T %G' | tr '\n' ' ')) slurmdbd :$DBD mariadb :$DBPORT"
