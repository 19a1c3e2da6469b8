#!/bin/sh
# Stand-in for nvidia-smi on the test hosts: answers the inventory query the extension sends with the CSV a real
# 8-GPU node prints (model from DSD_GPU_MODEL: H100, H200 or B200), and the plain call with the usual table header.
model=${DSD_GPU_MODEL:-H100}
case "$model" in
  H200) name="NVIDIA H200"; mem=143771 ;;
  B200) name="NVIDIA B200"; mem=183359 ;;
  *) name="NVIDIA H100 80GB HBM3"; mem=81559 ;;
esac
case "$*" in
  *--query-gpu=*)
    for i in 0 1 2 3 4 5 6 7; do
      used=$(( i == 0 ? 40412 : 4 + i )); util=$(( i == 0 ? 97 : 0 )); temp=$(( 31 + i ))
      echo "$i, $name, $mem, $used, $util, $temp"
    done ;;
  *)
    echo "| NVIDIA-SMI 570.124.06             Driver Version: 570.124.06     CUDA Version: 12.8     |" ;;
esac
