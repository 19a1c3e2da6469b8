#!/usr/bin/env bash
# Real sshd test hosts on loopback (Debian 12, root, no systemd), for the integration tier and the bench:
#   * "gpu" sshd on 127.0.0.1:$DSD_SSH_PORT: users dsd-gpu (bash login shell) and dsd-fish (fish login shell),
#     key auth (one plain key, one passphrase-protected key), a login banner and MOTD noise to strip, and
#     SetEnv PATH so non-interactive commands find a fake nvidia-smi (8× H100/H200/B200, picked by DSD_GPU_MODEL).
#   * "bastion" sshd on 127.0.0.1:$DSD_SSH_PORT+1 (own host key) for ProxyJump tests.
# Everything lives under $DSD_INFRA (default /tmp/dsd-infra); daemons write pidfiles there; ssh-down.sh stops them.
# Idempotent: a second run reuses keys and restarts the daemons. Writes $DSD_INFRA/env.sh for the tests.
set -euo pipefail
BASE=${DSD_INFRA:-/tmp/dsd-infra}
PORT=${DSD_SSH_PORT:-22422}
JPORT=$((PORT + 1))
HERE=$(cd "$(dirname "$0")" && pwd)

need=()
command -v /usr/sbin/sshd >/dev/null || need+=(openssh-server)
command -v fish >/dev/null || need+=(fish)
command -v pgrep >/dev/null || need+=(procps)        # the tests look for leftover remote processes
command -v ssh-agent >/dev/null || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  # Never let package scripts start system daemons on port 22.
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; }
fi

bash "$HERE/ssh-down.sh" >/dev/null 2>&1 || true
mkdir -p "$BASE/keys" "$BASE/gpu" "$BASE/bastion"
chmod 755 "$BASE"
K=$BASE/keys
[ -f "$K/gpu_host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$K/gpu_host_ed25519"
[ -f "$K/gpu_host_alt_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$K/gpu_host_alt_ed25519"   # for "changed key" tests
[ -f "$K/bastion_host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$K/bastion_host_ed25519"
[ -f "$K/client" ] || ssh-keygen -q -t ed25519 -N '' -C dsd-client -f "$K/client"
[ -f "$K/client_pass" ] || ssh-keygen -q -t ed25519 -N 'open sesame' -C dsd-client-pass -f "$K/client_pass"
[ -f "$K/stranger" ] || ssh-keygen -q -t ed25519 -N '' -C dsd-stranger -f "$K/stranger"
chmod 600 "$K"/client "$K"/client_pass "$K"/stranger

for u in dsd-gpu:/bin/bash dsd-fish:/usr/bin/fish dsd-multi:/bin/bash; do
  name=${u%%:*}; shell=${u#*:}
  id "$name" >/dev/null 2>&1 || useradd -m -s "$shell" "$name"
  usermod -s "$shell" -p '*' "$name"   # '*' not '!': a locked account refuses even key logins without PAM
  h=/home/$name
  install -d -m 700 -o "$name" -g "$name" "$h/.ssh"
  install -d -m 755 -o "$name" -g "$name" "$h/bin" "$h/.cache" "$h/.cache/huggingface"
  cat "$K/client.pub" "$K/client_pass.pub" > "$h/.ssh/authorized_keys"
  chown "$name:$name" "$h/.ssh/authorized_keys"; chmod 600 "$h/.ssh/authorized_keys"
  install -m 755 -o "$name" -g "$name" "$HERE/fake-nvidia-smi.sh" "$h/bin/nvidia-smi"
  # Login noise that a naive parser would take for command output.
  printf 'echo "Welcome to dsd-gpu ($(whoami)) — have a nice day"\n' > "$h/.bashrc"
  mkdir -p "$h/.config/fish"; printf 'echo "fish greeting for" (whoami)\n' > "$h/.config/fish/config.fish"
  chown -R "$name:$name" "$h/.config" "$h/.bashrc"
done
printf 'Authorized users only. All activity may be monitored.\n' > "$BASE/banner"
mkdir -p /run/sshd && chmod 755 /run/sshd

write_conf() { # name port hostkey allowusers
  cat > "$BASE/$1/sshd_config" <<EOF
Port $2
ListenAddress 127.0.0.1
HostKey $3
PidFile $BASE/$1/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $4
AllowTcpForwarding yes
AllowAgentForwarding yes
StrictModes yes
LogLevel VERBOSE
Banner $BASE/banner
PrintMotd yes
ClientAliveInterval 0
MaxSessions 64
MaxStartups 100:30:200
SetEnv PATH=/home/dsd-gpu/bin:/usr/local/bin:/usr/bin:/bin DSD_GPU_MODEL=${DSD_GPU_MODEL:-H100} DOCKER_HOST=unix://$BASE/docker/docker.sock SLURM_CONF=$BASE/slurm/slurm.conf
# dsd-multi logs in to the 2-node SLURM cluster (both "nodes" are this machine).
Match User dsd-multi
  SetEnv PATH=/home/dsd-multi/bin:/usr/local/bin:/usr/bin:/bin DSD_GPU_MODEL=${DSD_GPU_MODEL:-H100} SLURM_CONF=$BASE/slurm-multi/slurm.conf
EOF
}
write_conf gpu "$PORT" "$K/gpu_host_ed25519" "dsd-gpu dsd-fish dsd-multi"
write_conf bastion "$JPORT" "$K/bastion_host_ed25519" "dsd-gpu"
for d in gpu bastion; do
  /usr/sbin/sshd -t -f "$BASE/$d/sshd_config"
  /usr/sbin/sshd -f "$BASE/$d/sshd_config" -E "$BASE/$d/sshd.log"
done

for _ in $(seq 1 40); do
  ssh -p "$PORT" -i "$K/client" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR dsd-gpu@127.0.0.1 true 2>/dev/null && break
  sleep 0.25
done

# known_hosts in the shapes users have: plain "[host]:port", and a hashed (|1|…) entry for the bastion.
pub() { cut -d' ' -f1,2 "$1.pub"; }
{
  echo "[127.0.0.1]:$PORT $(pub "$K/gpu_host_ed25519")"
} > "$BASE/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$JPORT" "$(pub "$K/bastion_host_ed25519")" > "$BASE/known_hosts.bastion"
ssh-keygen -q -H -f "$BASE/known_hosts.bastion" >/dev/null 2>&1 && rm -f "$BASE/known_hosts.bastion.old"
cat "$BASE/known_hosts.bastion" >> "$BASE/known_hosts"
echo "[127.0.0.1]:$PORT $(pub "$K/gpu_host_alt_ed25519")" > "$BASE/known_hosts.changed"
echo "@revoked [127.0.0.1]:$PORT $(pub "$K/gpu_host_ed25519")" > "$BASE/known_hosts.revoked"

cat > "$BASE/ssh_config" <<EOF
Host dsd-gpu
  HostName 127.0.0.1
  Port $PORT
  User dsd-gpu
  IdentityFile $K/client
Host dsd-fish
  HostName 127.0.0.1
  Port $PORT
  User dsd-fish
  IdentityFile $K/client
Host dsd-multi
  HostName 127.0.0.1
  Port $PORT
  User dsd-multi
  IdentityFile $K/client
Host dsd-bastion
  HostName 127.0.0.1
  Port $JPORT
  User dsd-gpu
  IdentityFile $K/client
Host dsd-behind-bastion
  HostName 127.0.0.1
  Port $PORT
  User dsd-gpu
  IdentityFile $K/client
  ProxyJump dsd-bastion
EOF

cat > "$BASE/env.sh" <<EOF
export DSD_INFRA=$BASE DSD_SSH_PORT=$PORT DSD_JUMP_PORT=$JPORT
EOF
echo "sshd up: gpu 127.0.0.1:$PORT, bastion 127.0.0.1:$JPORT ($BASE)"
