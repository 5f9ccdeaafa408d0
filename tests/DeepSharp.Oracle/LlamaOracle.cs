using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace DeepSharp.Oracle;

/// <summary>
/// llama.cpp (through LLamaSharp) as the reference every test compares against: tokenization, last-position logits,
/// greedy generation, quantization. One instance = one loaded model and one context; not thread-safe.
/// </summary>
public sealed class LlamaOracle : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext? _context;
    private readonly int _contextSize;

    private LlamaOracle(LLamaWeights weights, LLamaContext? context, int contextSize)
    {
        _weights = weights;
        _context = context;
        _contextSize = contextSize;
    }

    /// <summary>Number of tokens in the model's vocabulary (the length of a logits row).</summary>
    public int VocabSize => _weights.Vocab.Count;

    /// <summary>
    /// Loads a GGUF model memory-mapped on the CPU with one context of <paramref name="ctx"/> positions.
    /// <paramref name="ubatch"/> is llama.cpp's micro-batch (default: the whole context); 1 makes it evaluate a
    /// prompt one token at a time, through the same kernels it uses for decoding.
    /// </summary>
    public static LlamaOracle Load(string ggufPath, int ctx = 512, int threads = 2, int ubatch = 0)
    {
        LlamaNative.EnsureLoaded();
        var p = new ModelParams(ggufPath)
        {
            ContextSize = (uint)ctx,
            BatchSize = (uint)ctx,
            UBatchSize = (uint)(ubatch > 0 ? ubatch : ctx),
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            LoadMode = LLamaLoadMode.MemoryMap,
        };
        LLamaWeights? weights = null;
        try
        {
            weights = LLamaWeights.LoadFromFile(p);
            var context = weights.CreateContext(p);
            return new LlamaOracle(weights, context, ctx);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            weights?.Dispose();
            throw new InvalidOperationException($"llama.cpp could not load {ggufPath}: {e.Message}\n{LlamaNative.RecentLog}", e);
        }
    }

    /// <summary>Loads only the tokenizer of a GGUF file (vocab-only files included); logits and generation are unavailable.</summary>
    public static LlamaOracle LoadVocabOnly(string ggufPath)
    {
        LlamaNative.EnsureLoaded();
        var p = new ModelParams(ggufPath) { VocabOnly = true, GpuLayerCount = 0, LoadMode = LLamaLoadMode.MemoryMap };
        try
        {
            return new LlamaOracle(LLamaWeights.LoadFromFile(p), null, 0);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"llama.cpp could not load the vocabulary of {ggufPath}: {e.Message}\n{LlamaNative.RecentLog}", e);
        }
    }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/> (addBos: prepend BOS if the model wants it; special: parse control tokens).</summary>
    public int[] Tokenize(string text, bool addBos, bool special) =>
        _weights.Tokenize(text, addBos, special, Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary>The text of <paramref name="ids"/> as llama.cpp renders it (control tokens not rendered).</summary>
    public string Detokenize(IEnumerable<int> ids)
    {
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, _weights) { DecodeSpecialTokens = false };
        foreach (int id in ids)
            decoder.Add(id);
        return decoder.Read();
    }

    /// <summary>Runs <paramref name="ids"/> as one batch from position 0 (fresh KV cache) and returns the last position's logits.</summary>
    public float[] LastLogits(int[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        Context.NativeHandle.MemoryClear(true);
        return Decode(ids, 0).ToArray();
    }

    /// <summary>
    /// llama.cpp-style greedy generation: the prompt as one batch, then one token at a time, each the first maximum of
    /// the raw logits; stops after <paramref name="nTokens"/> tokens or at an end-of-generation token (not included).
    /// </summary>
    public int[] Greedy(int[] promptIds, int nTokens)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        Context.NativeHandle.MemoryClear(true);
        var generated = new List<int>();
        var logits = Decode(promptIds, 0);
        int position = promptIds.Length;
        while (generated.Count < nTokens)
        {
            int next = FirstArgMax(logits);
            if (((LLamaToken)next).IsEndOfGeneration(_weights.Vocab))
                break;
            generated.Add(next);
            if (generated.Count == nTokens || position >= _contextSize)
                break;
            logits = Decode([next], position++);
        }
        return [.. generated];
    }

    /// <summary>llama.cpp's quantizer (as llama-quantize): requantizes every tensor it can, output tensor included.</summary>
    public static void Quantize(string src, string dst, LLamaFtype ftype, int threads = 2)
    {
        LlamaNative.EnsureLoaded(); // the quantizer's P/Invoke alone does not load the native library
        if (!LLamaQuantizer.Quantize(src, dst, ftype, threads, allowRequantize: true, quantizeOutputTensor: true))
            throw new InvalidOperationException($"llama.cpp could not quantize {src} to {ftype}\n{LlamaNative.RecentLog}");
    }

    public void Dispose()
    {
        _context?.Dispose();
        _weights.Dispose();
    }

    private LLamaContext Context => _context ?? throw new InvalidOperationException("this oracle was loaded vocab-only");

    private static int FirstArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }

    private Span<float> Decode(int[] ids, int startPosition)
    {
        if (ids.Length == 0)
            throw new ArgumentException("at least one token is needed", nameof(ids));
        if (startPosition + ids.Length > _contextSize)
            throw new ArgumentException($"{startPosition + ids.Length} positions exceed the context of {_contextSize}", nameof(ids));
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Length; i++)
            batch.Add(ids[i], startPosition + i, LLamaSeqId.Zero, i == ids.Length - 1);
        var result = Context.Decode(batch);
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode failed: {result}\n{LlamaNative.RecentLog}");
        return Context.NativeHandle.GetLogitsIth(ids.Length - 1);
    }
}
