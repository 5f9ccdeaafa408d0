using DeepSharp.Chat;
using DeepSharp.Cli.Commands;
using DeepSharp.Gguf;
using DeepSharp.Models;
using DeepSharp.Runtime;
using DeepSharp.Tokenizers;

namespace DeepSharp.Cli;

/// <summary>The <c>deepsharp</c> command: one subcommand per job, errors as one line on stderr.</summary>
internal static class Program
{
    private const string Usage = """
        usage: deepsharp <command> [options]

        commands:
          info FILE.gguf                         architecture, parameters, tensor types, context, template, special tokens
          tokenize --model FILE (--text TEXT | --inp FILE.inp) [--special] [--no-bos]
          run --model FILE --prompt TEXT [--system TEXT] [--max-tokens N] [--temperature T] [--seed S] [--threads N]
                                                 one chat turn: reasoning (marked as thinking), then the answer
          chat --model FILE [--system TEXT]      interactive multi-turn chat; /reset, /exit
          generate --model FILE (--prompt TEXT | --ids "1 2 3") [--max-tokens N] [--temperature 0] [--format text|ids]
                                                 raw completion without a chat template
          logits --model FILE --ids "1 2 3" --out FILE.f32
                                                 last position's logits as little-endian float32
          serve --model FILE [--host 127.0.0.1] [--port 8080] [--parallel N] [--queue N] [--api-key KEY | --api-key-file F]
                [--reasoning-format deepseek|none|deepseek-legacy] [--alias NAME] [--rate-limit N]
                                                 OpenAI/DeepSeek/Ollama-compatible HTTP server and web chat page
          bench --model FILE [--threads N] [-p 512] [-n 128] [-d 0] [--reps 3] [--batch N] [--json]
                                                 llama-bench-style prompt (pp) and generation (tg) tokens/s, peak memory
          synth --arch qwen2|llama|deepseek2 --preset NAME --type TYPE --out FILE [--seed S] [--vocab tokenizer.json]
                                                 a random-weight GGUF in a real model's shape
          train sft --task T[,T2] (--teacher-samples N | --data traces.jsonl [--skip-bad-lines]) --config SIZE --steps N --out M.gguf
                [--batch 16] [--lr 2e-3] [--seed S] [--checkpoint-every N] [--stop-at STEP] [--resume]
                                                 cold-start SFT of a fresh tiny model (SIZE: ci, tiny, small, base)
          train grpo --task T --init M.gguf --group-size G --steps N --out M2.gguf [--prompts 8] [--beta 0.04]
                [--loss grpo|dapo] [--epsilon 0.2] [--temperature 1] [--max-new-tokens N] [--iterations 1] [--resume]
                                                 GRPO with rule-based rewards; rollouts by the engine
          train eval --model M.gguf --task T [--limit 200] [--temperature 0] [--summary FILE.json]
                                                 held-out accuracy with a 95% Wilson interval
          eval (--model FILE | --endpoint URL [--api-key K]) (--dataset NAME|FILE.jsonl | --task T) [--samples k]
               [--temperature 0.6] [--top-p 0.95] [--max-tokens N] [--limit N] [--concurrency N] [--out R.jsonl] [--summary S.json]
                                                 R1-protocol pass@1 / cons@k with 95% intervals (docs/EVAL.md)
          distill (--teacher FILE | --endpoint URL [--api-key K]) (--task T | --dataset D) --out traces.jsonl
               [--samples k] [--limit N] [--concurrency N] [--keep-unverified]
                                                 rejection-sampled, deduplicated SFT traces from a teacher (docs/EVAL.md)

        run, chat and serve use assets/deepsharp-r1-tiny.gguf (DeepSharp's own tiny reasoning model) without --model
        model options: --threads N, --ctx N (default: the model's, at most 4096), --kv-type f16|f32|q8_0
        sampling options: --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --presence-penalty,
                          --frequency-penalty, --seed (defaults: the model file's, else R1's 0.6 / top-p 0.95)
        """;

    private static int Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        return Execute(args, Console.In, Console.Out, Console.Error);
    }

    /// <summary>Runs one command line; returns the exit code. Errors the user can act on are one line on <paramref name="stderr"/>.</summary>
    internal static int Execute(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).Write(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        try
        {
            return Dispatch(args[0], args[1..], stdin, stdout, stderr);
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            stderr.WriteLine($"deepsharp: error: {e.Message}");
            if (Environment.GetEnvironmentVariable("DEEPSHARP_DEBUG") == "1") stderr.WriteLine(e);
            return 1;
        }
    }

    private static int Dispatch(string command, string[] rest, TextReader stdin, TextWriter stdout, TextWriter stderr) => command switch
    {
        "info" => InfoCommand.Run(rest, stdout),
        "tokenize" => TokenizeCommand.Run(rest, stdout),
        "run" => RunCommand.Run(rest, stdout, stderr),
        "chat" => ChatCommand.Run(rest, stdin, stdout, stderr),
        "generate" => GenerateCommand.Run(rest, stdout, stderr),
        "logits" => LogitsCommand.Run(rest, stdout),
        "synth" => SynthCommand.Run(rest, stdout),
        "serve" => ServeCommand.Run(rest, stdout, stderr),
        "bench" => BenchCommand.Run(rest, stdout, stderr),
        "train" => TrainCommand.Run(rest, stdout, stderr),
        "eval" => EvalCommand.Run(rest, stdout, stderr),
        "distill" => DistillCommand.Run(rest, stdout, stderr),
        _ => throw new CliException($"unknown command '{command}' (try 'deepsharp --help')"),
    };

    // Everything the program can say in one line: bad files, bad options, bad input. Bugs (NullReference and
    // friends) still show a stack trace, so they get reported rather than hidden.
    private static bool IsUserFacing(Exception e) => e is CliException
        or IOException or UnauthorizedAccessException
        or GgufFormatException or TokenizerFormatException or ChatTemplateException
        or UnsupportedArchitectureException or MissingTensorException or ModelFormatException
        or ContextFullException or PromptTooLongException
        or ArgumentException or InvalidOperationException or NotSupportedException;
}
