#!/usr/bin/env bash
# Extra test sshds for host-key tests (issue 12 §2), additive to ssh-up.sh (run that first: it makes the users and
# client keys under $DSD_INFRA this reuses):
#   * "multikey" on 127.0.0.1:$DSD_MULTIKEY_PORT (default 22430) with three host keys: ed25519, ecdsa (nistp256), rsa;
#   * "rsaonly" on port+1, the same machine restricted to its rsa host key (HostKey rsa only), i.e. the server a
#     client that recorded only the ed25519 key must call CHANGED.
# State under $DSD_INFRA/multikey (keys, configs, pidfiles, logs); ssh-multikey-down.sh stops them by pidfile.
# Idempotent: a second run reuses the host keys and restarts the daemons.
set -euo pipefail
BASE=${DSD_INFRA:-/tmp/dsd-infra}
PORT=${DSD_MULTIKEY_PORT:-22430}
RPORT=$((PORT + 1))
MK=$BASE/multikey
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$BASE/keys/client.pub" ] && id dsd-gpu >/dev/null 2>&1 \
  || { echo "ssh-multikey-up.sh: run test/infra/ssh-up.sh first (no $BASE/keys/client.pub or user dsd-gpu)" >&2; exit 1; }

bash "$HERE/ssh-multikey-down.sh" >/dev/null 2>&1 || true
mkdir -p "$MK/keys" /run/sshd
chmod 755 /run/sshd
K=$MK/keys
[ -f "$K/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C multikey -f "$K/host_ed25519"
[ -f "$K/host_ecdsa" ] || ssh-keygen -q -t ecdsa -b 256 -N '' -C multikey -f "$K/host_ecdsa"
[ -f "$K/host_rsa" ] || ssh-keygen -q -t rsa -b 3072 -N '' -C multikey -f "$K/host_rsa"

write_conf() { # name port hostkey-lines
  cat > "$MK/$1.sshd_config" <<CONF
Port $2
ListenAddress 127.0.0.1
$3
PidFile $MK/$1.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers dsd-gpu
AllowTcpForwarding yes
StrictModes yes
LogLevel VERBOSE
ClientAliveInterval 0
MaxStartups 100:30:200
SetEnv PATH=/home/dsd-gpu/bin:/usr/local/bin:/usr/bin:/bin DSD_GPU_MODEL=${DSD_GPU_MODEL:-H100}
CONF
}
write_conf multikey "$PORT" "HostKey $K/host_ed25519
HostKey $K/host_ecdsa
HostKey $K/host_rsa"
write_conf rsaonly "$RPORT" "HostKey $K/host_rsa"
for d in multikey rsaonly; do
  /usr/sbin/sshd -t -f "$MK/$d.sshd_config"
  /usr/sbin/sshd -f "$MK/$d.sshd_config" -E "$MK/$d.log"
done

# Ready when each answers a key scan with exactly its key types.
for _ in $(seq 1 40); do
  m=$(ssh-keyscan -p "$PORT" 127.0.0.1 2>/dev/null | awk '{print $2}' | sort | tr '\n' ' ')
  r=$(ssh-keyscan -p "$RPORT" 127.0.0.1 2>/dev/null | awk '{print $2}' | sort | tr '\n' ' ')
  [ "$m" = "ecdsa-sha2-nistp256 ssh-ed25519 ssh-rsa " ] && [ "$r" = "ssh-rsa " ] && break
  sleep 0.25
done
[ "$m" = "ecdsa-sha2-nistp256 ssh-ed25519 ssh-rsa " ] && [ "$r" = "ssh-rsa " ] \
  || { echo "ssh-multikey-up.sh: sshds did not come up with the expected host keys (multikey: '$m', rsaonly: '$r'); see $MK/*.log" >&2; exit 1; }
cat > "$MK/env.sh" <<ENV
export DSD_MULTIKEY_PORT=$PORT DSD_RSAONLY_PORT=$RPORT
ENV
echo "multikey sshd up: 127.0.0.1:$PORT (ed25519, ecdsa, rsa), 127.0.0.1:$RPORT (rsa only) ($MK)"
