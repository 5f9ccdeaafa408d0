using DeepSharp.Chat;
using DeepSharp.Models;
using DeepSharp.Runtime;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp chat --model FILE</c>: multi-turn chat in the terminal. Each turn re-renders the conversation with the
/// model's template (which drops earlier reasoning, as R1 requires) and reuses the KV cache for the unchanged prefix.
/// <c>/reset</c> starts over, <c>/exit</c> (or end of input) quits.
/// </summary>
internal static class ChatCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("chat", args, [.. ModelArgs.Valued, "system", "max-tokens"], ["no-color"]);
        string path = ModelArgs.ModelPath(a);
        int maxTokens = a.GetInt("max-tokens", 2048, 1, int.MaxValue);
        using var model = ChatModel.Load(path, ModelArgs.Load(a));
        var sampling = ModelArgs.Sampling(a, model.DefaultSampling);
        var display = new ReasoningDisplay(stdout, color: !a.Has("no-color") && !Console.IsOutputRedirected);
        using var session = model.Model.CreateSession();
        var conversation = new Conversation(model, session, a.GetString("system"));

        stderr.WriteLine("chat: type a message; /reset starts over, /exit quits");
        while (true)
        {
            stdout.Write("> ");
            stdout.Flush();
            string? line = stdin.ReadLine();
            if (line is null || line.Trim() == "/exit") break;
            if (line.Trim() == "/reset")
            {
                conversation.Reset();
                stdout.WriteLine("(conversation reset)");
                continue;
            }
            if (line.Trim().Length == 0) continue;
            try
            {
                var options = new GenerationOptions { MaxTokens = maxTokens, Sampling = sampling };
                var result = conversation.Reply(line, options, display);
                stderr.WriteLine(Stats.Format(result));
            }
            catch (PromptTooLongException e)
            {
                stderr.WriteLine($"deepsharp: error: {e.Message}; /reset to start over");
            }
        }
        return 0;
    }

    /// <summary>The messages so far and the tokens the session's KV cache holds for them.</summary>
    private sealed class Conversation(ChatModel model, Session session, string? system)
    {
        private readonly List<ChatMessage> _messages = system is null ? [] : [new ChatMessage("system", system)];
        private readonly List<int> _cached = [];

        public void Reset()
        {
            _messages.RemoveRange(system is null ? 0 : 1, _messages.Count - (system is null ? 0 : 1));
            _cached.Clear();
            session.Reset();
        }

        public GenerationResult Reply(string userText, GenerationOptions options, ReasoningDisplay display)
        {
            _messages.Add(new ChatMessage("user", userText));
            string rendered = model.RenderChat(_messages);
            int[] prompt = model.TokenizePrompt(rendered);
            int reuse = ReusablePrefix(prompt);
            session.Rewind(reuse);
            _cached.RemoveRange(reuse, _cached.Count - reuse);
            try
            {
                var events = Generator.Generate(session, model.Tokenizer, prompt[reuse..],
                    options with { StartsInReasoning = ChatModel.EndsInReasoning(rendered) });
                var answer = new AnswerRecorder(events);
                var result = display.Show(answer.Events());
                _cached.AddRange(prompt[reuse..]);
                // Every generated token but the last went through the model, so the cache holds it.
                if (result.Tokens.Count > 0) _cached.AddRange(result.Tokens.Take(result.Tokens.Count - 1));
                _messages.Add(new ChatMessage("assistant", answer.Content.Trim(), answer.Reasoning));
                return result;
            }
            catch
            {
                _messages.RemoveAt(_messages.Count - 1);
                throw;
            }
        }

        // The cached tokens that the new prompt starts with; at least one prompt token must remain to be decoded.
        private int ReusablePrefix(int[] prompt)
        {
            int n = 0;
            while (n < _cached.Count && n < prompt.Length && _cached[n] == prompt[n]) n++;
            return Math.Min(n, prompt.Length - 1);
        }
    }

    /// <summary>Passes events through while keeping the reasoning and answer text for the history.</summary>
    private sealed class AnswerRecorder(IEnumerable<GenerationEvent> events)
    {
        private readonly System.Text.StringBuilder _reasoning = new();
        private readonly System.Text.StringBuilder _content = new();

        public string Reasoning => _reasoning.ToString();
        public string Content => _content.ToString();

        public IEnumerable<GenerationEvent> Events()
        {
            foreach (var e in events)
            {
                if (e.Kind == GenerationEventKind.Reasoning) _reasoning.Append(e.Text);
                else if (e.Kind == GenerationEventKind.Content) _content.Append(e.Text);
                yield return e;
            }
        }
    }
}
