using System.Collections.Frozen;

namespace DeepSharp.Tokenizers;

/// <summary>The special token ids of a vocabulary, after llama.cpp's detection by text.</summary>
internal sealed record SpecialTokens(
    int? Bos, int? Eos, int? Eot, int? Eom, int? Unknown, int? Pad, int? Sep, IReadOnlySet<int> EndOfGeneration)
{
    // llama.cpp llama-vocab.cpp (load): texts that mark an end-of-turn token when no id is given, and the texts
    // whose tokens end generation. DeepSeek's "<｜end▁of▁sentence｜>" is an EOT candidate; it is also EOS.
    private static readonly string[] EotTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>",
         "<\uFF5Cend\u2581of\u2581sentence\uFF5C>"];
    private static readonly string[] EogTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>"];

    // Newer llama.cpp (the one LLamaSharp 0.30 bundles, our oracle; not yet c392e509) also lists "</s>" (added for
    // PaddleOCR), which makes Phi-3's user-defined "</s>" a control token. llama.cpp applies it to any token with that
    // text, so Qwen's ordinary BPE token "</s>" (id 128247) would end generation: we apply it only to tokens that are
    // not normal.
    private static readonly string[] EogTextsOfAddedTokens = ["</s>"];
    private static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<PAD>"];
    private static readonly string[] FimRepTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"];
    private static readonly string[] FimSepTexts = ["<|file_sep|>"];

    /// <summary>Explicitly given ids (null = not given; out-of-range ids are ignored, as llama.cpp warns and does).</summary>
    internal sealed record Given(int? Bos, int? Eos, int? Eot = null, int? Eom = null, int? Unknown = null,
        int? Pad = null, int? Sep = null, int? FimPad = null, int? FimRep = null, int? FimSep = null);

    /// <summary>
    /// Completes the given ids by text and forms the end-of-generation set: EOS, EOT, EOM, the FIM pad/repo/file-sep
    /// tokens, and every token whose text is in llama.cpp's EOG list. Tokens found by text are made Control in
    /// <paramref name="types"/> (llama.cpp overrides their attribute the same way). Where several tokens carry
    /// candidate texts, the lowest id wins (llama.cpp's choice depends on hash order).
    /// </summary>
    public static SpecialTokens Resolve(string[] texts, TokenType[] types, Given given)
    {
        int? Valid(int? id) => id is int v && (uint)v < (uint)texts.Length ? v : null;
        var idOfText = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < texts.Length; id++) idOfText.TryAdd(texts[id], id);

        int? FindFirst(string[] candidates)
        {
            int? best = null;
            foreach (string t in candidates)
            {
                if (idOfText.TryGetValue(t, out int id) && (best is null || id < best)) best = id;
            }
            return best;
        }

        int? eot = Valid(given.Eot) ?? MarkControl(FindFirst(EotTexts), types);
        int? eom = Valid(given.Eom) ?? MarkControl(FindFirst(["<|eom_id|>"]), types);
        var eog = new HashSet<int>();
        foreach (int? id in new[]
                 {
                     Valid(given.FimPad) ?? FindFirst(FimPadTexts), Valid(given.FimRep) ?? FindFirst(FimRepTexts),
                     Valid(given.FimSep) ?? FindFirst(FimSepTexts),
                 })
        {
            if (id is int v) eog.Add(v);
        }
        foreach (string t in EogTexts)
        {
            if (idOfText.TryGetValue(t, out int id)) eog.Add(MarkControl(id, types)!.Value);
        }
        foreach (string t in EogTextsOfAddedTokens)
        {
            if (idOfText.TryGetValue(t, out int id) && types[id] != TokenType.Normal) eog.Add(MarkControl(id, types)!.Value);
        }
        int? eos = Valid(given.Eos);
        foreach (int? id in new[] { eos, eot, eom })
        {
            if (id is int v) eog.Add(v);
        }
        return new SpecialTokens(Valid(given.Bos), eos, eot, eom, Valid(given.Unknown), Valid(given.Pad),
            Valid(given.Sep), eog.ToFrozenSet());
    }

    private static int? MarkControl(int? id, TokenType[] types)
    {
        if (id is int v) types[v] = TokenType.Control;
        return id;
    }
}
