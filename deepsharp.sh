#!/usr/bin/env bash
# Builds the deepsharp CLI (Release, once) and runs it with the given arguments.
# `run`, `chat` and `serve` without --model use the shipped tiny model, assets/deepsharp-r1-tiny.gguf.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
exe="$root/artifacts/bin/DeepSharp.Cli/release/deepsharp"

if [ ! -x "$exe" ] || [ -n "$(find "$root/src" "$root/assets" -newer "$exe" \( -name '*.cs' -o -name '*.gguf' \) -print -quit 2>/dev/null)" ]; then
  dotnet build "$root/src/DeepSharp.Cli/DeepSharp.Cli.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly\;NoSummary >&2
fi
exec "$exe" "$@"
