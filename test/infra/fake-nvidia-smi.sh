#!/bin/sh
# Stand-in for nvidia-smi on the test hosts: answers the inventory query the extension sends (any --query-gpu field
# list, in the order asked) with what a real 8-GPU node prints (model from DSD_GPU_MODEL: H100, H200 or B200),
# `-L` with the GPU list, and the plain call with the usual table header.
# power.draw (W): GPU i draws BASE + 10*i + SLOPE*(now - T0) when ~/.dsd-fake-power holds "T0 BASE SLOPE" (epoch s,
# W, W/s: linear in time, so a test integrates it exactly), else 70 W idle (GPU 0: 350 W); `timestamp` is the moment
# of that reading, as nvidia-smi prints it (YYYY/MM/DD HH:MM:SS.mmm, local time: TZ applies).
# Replay: when DSD_NVSMI_REPLAY names a folder of the field corpus (test/field/nvidia-smi/CASE), prints exactly what
# that real nvidia-smi printed: query.stdout / query.stderr / query.exit for --query-gpu, list.* for -L.
# The clock first: a reading belongs to the moment it was asked for, not to after this script's own forks.
case "$*" in *power.draw*|*timestamp*) now=$(date +%s.%N); stamp=$(date -d "@$now" '+%Y/%m/%d %H:%M:%S.%3N') ;; esac
if [ -n "${DSD_NVSMI_REPLAY:-}" ]; then
  case "$*" in *--query-gpu=*) k=query ;; -L) k=list ;; *) k=plain ;; esac
  d=$DSD_NVSMI_REPLAY
  [ -f "$d/$k.stdout" ] && cat "$d/$k.stdout"
  [ -f "$d/$k.stderr" ] && cat "$d/$k.stderr" >&2
  if [ -f "$d/$k.exit" ]; then exit "$(cat "$d/$k.exit")"; fi
  [ -f "$d/$k.stdout" ] || [ -f "$d/$k.stderr" ] || exit 2
  exit 0
fi
model=${DSD_GPU_MODEL:-H100}
case "$model" in
  H200) name="NVIDIA H200"; mem=143771 ;;
  B200) name="NVIDIA B200"; mem=183359 ;;
  *) name="NVIDIA H100 80GB HBM3"; mem=81559 ;;
esac
case "$*" in
  *--query-gpu=*)
    fields=$(printf '%s\n' "$@" | sed -n 's/^--query-gpu=//p' | tr ',' ' ')
    ramp=
    case " $fields " in *" power.draw "*)
      if [ -f "$HOME/.dsd-fake-power" ]; then read -r t0 pbase pslope < "$HOME/.dsd-fake-power"; ramp=$(awk -v n="$now" -v t0="$t0" -v b="$pbase" -v s="$pslope" 'BEGIN { printf "%.6f", b + s * (n - t0) }'); fi ;;
    esac
    for i in 0 1 2 3 4 5 6 7; do
      line=
      for f in $fields; do
        case "$f" in
          index) v=$i ;;
          name) v=$name ;;
          memory.total) v=$mem ;;
          memory.used) v=$(( i == 0 ? 40412 : 4 + i )) ;;
          utilization.gpu) v=$(( i == 0 ? 97 : 0 )) ;;
          temperature.gpu) v=$(( 31 + i )) ;;
          timestamp) v=$stamp ;;
          power.draw) if [ -n "$ramp" ]; then v=$(awk -v r="$ramp" -v i="$i" 'BEGIN { printf "%.6f", r + 10 * i }'); else v=$(( i == 0 ? 350 : 70 )).00; fi ;;
          pci.bus_id) v=$(printf '00000000:%02X:00.0' $(( 0x18 + i * 16 ))) ;;
          uuid) v=GPU-0c5e2f0a-7d1e-4b8a-9a61-00000000000$i ;;
          *) echo "Field \"$f\" is not a valid field to query." >&2; exit 2 ;;
        esac
        line="${line:+$line, }$v"
      done
      echo "$line"
    done ;;
  -L)
    for i in 0 1 2 3 4 5 6 7; do echo "GPU $i: $name (UUID: GPU-0c5e2f0a-7d1e-4b8a-9a61-00000000000$i)"; done ;;
  *)
    echo "| NVIDIA-SMI 570.124.06             Driver Version: 570.124.06     CUDA Version: 12.8     |" ;;
esac
