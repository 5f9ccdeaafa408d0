#!/usr/bin/env bash
# Builds the deepsharp CLI (Release, once) and runs it with the given arguments.
# `run` and `chat` without --model use the demo model: until the trained default model ships, a random-weight GGUF in
# the exact shape of DeepSeek-R1-Distill-Qwen-1.5B at Q4_K_M, made by `deepsharp synth` on first use (~1 GB, models/).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
exe="$root/artifacts/bin/DeepSharp.Cli/release/deepsharp"

if [ ! -x "$exe" ] || [ -n "$(find "$root/src" -newer "$exe" -name '*.cs' -print -quit)" ]; then
  dotnet build "$root/src/DeepSharp.Cli/DeepSharp.Cli.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly\;NoSummary >&2
fi

demo="$root/models/r1-distill-qwen-1.5b-q4_k_m.gguf"
if [ $# -gt 0 ] && { [ "$1" = run ] || [ "$1" = chat ]; } && [[ " $* " != *" --model "* ]]; then
  if [ ! -f "$demo" ]; then
    echo "deepsharp.sh: making the demo model $demo (random weights, R1-Distill-Qwen-1.5B shape, Q4_K_M)..." >&2
    mkdir -p "$root/models"
    "$exe" synth --arch qwen2 --preset r1-distill-qwen-1.5b --type q4_k_m --seed 1 --out "$demo.tmp"
    mv "$demo.tmp" "$demo"
  fi
  set -- "$@" --model "$demo"
fi
exec "$exe" "$@"
