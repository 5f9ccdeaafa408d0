using DeepSharp.Models;
using DeepSharp.Oracle;
using LLama;
using LLama.Common;
using LLama.Native;

namespace DeepSharp.Bench;

/// <summary>One inference engine under test. The harness times only <see cref="Prefill"/> and <see cref="DecodeOne"/>.</summary>
internal interface IBenchEngine : IDisposable
{
    string Name { get; }

    /// <summary>Empties the KV cache (not timed).</summary>
    void Reset();

    /// <summary>
    /// Evaluates <paramref name="ids"/> at positions <paramref name="pos0"/> onwards (the cache holds exactly the
    /// positions before it), in batches of at most the engine's batch size; the last position's logits are computed.
    /// </summary>
    void Prefill(int[] ids, int pos0);

    /// <summary>Evaluates one token at <paramref name="position"/> and computes its logits.</summary>
    void DecodeOne(int id, int position);
}

/// <summary>DeepSharp: one model, one session.</summary>
internal sealed class DeepSharpEngine : IBenchEngine
{
    private readonly Model _model;
    private readonly Session _session;

    public DeepSharpEngine(string path, int threads, int nCtx)
    {
        _model = Model.Load(path, new LoadOptions { Threads = threads, ContextSize = nCtx });
        _session = _model.CreateSession();
    }

    public string Name => "deepsharp";
    public long KvCacheBytes => _session.KvCacheBytes;
    public int VocabSize => _model.VocabSize;

    public void Reset() => _session.Reset();
    public void Prefill(int[] ids, int pos0)
    {
        if (_session.Position != pos0) throw new InvalidOperationException($"prefill at {pos0}, but the session is at {_session.Position}");
        _session.Prefill(ids);
    }
    public void DecodeOne(int id, int position) => _session.Decode(id);

    public void Dispose()
    {
        _session.Dispose();
        _model.Dispose();
    }
}

/// <summary>llama.cpp through LLamaSharp's CPU backend: one context with batch = micro-batch = the prompt length.</summary>
internal sealed class LlamaCppEngine : IBenchEngine
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private readonly int _nBatch;

    public LlamaCppEngine(string path, int threads, int nCtx, int nBatch)
    {
        LlamaNative.EnsureLoaded();
        _nBatch = nBatch;
        var p = new ModelParams(path)
        {
            ContextSize = (uint)nCtx,
            BatchSize = (uint)nBatch,
            UBatchSize = (uint)nBatch,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            LoadMode = LLamaLoadMode.MemoryMap,
        };
        _weights = LLamaWeights.LoadFromFile(p);
        try
        {
            _context = _weights.CreateContext(p);
        }
        catch
        {
            _weights.Dispose();
            throw;
        }
    }

    public string Name => "llama.cpp";

    public void Reset() => _context.NativeHandle.MemoryClear(true);

    public void Prefill(int[] ids, int pos0)
    {
        for (int start = 0; start < ids.Length; start += _nBatch)
        {
            int count = Math.Min(_nBatch, ids.Length - start);
            _batch.Clear();
            for (int i = start; i < start + count; i++)
                _batch.Add(ids[i], pos0 + i, LLamaSeqId.Zero, i == ids.Length - 1);
            Run(start + count == ids.Length ? count - 1 : -1);
        }
    }

    public void DecodeOne(int id, int position)
    {
        _batch.Clear();
        _batch.Add(id, position, LLamaSeqId.Zero, true);
        Run(0);
    }

    // Reading the logits makes sure the computation has finished before the clock stops (a batch with no logits,
    // index −1, is followed by one that has them).
    private void Run(int logitsIndex)
    {
        var result = _context.Decode(_batch);
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode failed: {result}\n{LlamaNative.RecentLog}");
        if (logitsIndex >= 0) _ = _context.NativeHandle.GetLogitsIth(logitsIndex);
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
