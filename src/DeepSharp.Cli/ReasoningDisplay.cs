using DeepSharp.Runtime;

namespace DeepSharp.Cli;

/// <summary>
/// Writes a generation stream to the terminal: reasoning between "Thinking..." and "...done thinking." (dimmed on a
/// terminal, as Ollama shows it), then the answer.
/// </summary>
internal sealed class ReasoningDisplay(TextWriter output, bool color)
{
    private const string Dim = "\u001b[2m";
    private const string Reset = "\u001b[0m";
    private bool _inReasoning;

    public GenerationResult Show(IEnumerable<GenerationEvent> events)
    {
        GenerationResult? result = null;
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case GenerationEventKind.Reasoning:
                    if (!_inReasoning) Begin();
                    output.Write(e.Text);
                    break;
                case GenerationEventKind.Content:
                    if (_inReasoning) End();
                    output.Write(e.Text);
                    break;
                case GenerationEventKind.Finished:
                    if (_inReasoning) End();
                    result = e.Result;
                    break;
            }
            output.Flush();
        }
        output.WriteLine();
        return result ?? throw new InvalidOperationException("generation ended without a result");
    }

    private void Begin()
    {
        _inReasoning = true;
        output.Write(color ? Dim + "Thinking...\n" : "Thinking...\n");
    }

    private void End()
    {
        _inReasoning = false;
        output.Write(color ? "\n...done thinking." + Reset + "\n\n" : "\n...done thinking.\n\n");
    }
}
