using DeepSharp.Gguf;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;
using DeepSharp.Models.Architectures;
using DeepSharp.Models.Blocks;

namespace DeepSharp.Models;

/// <summary>
/// A loaded model: the memory-mapped GGUF file (owned), the architecture built on it and the worker pool.
/// Create a <see cref="Session"/> per conversation; sessions of one model take turns (forward passes are serialised).
/// </summary>
public sealed class Model : IDisposable
{
    private readonly WorkerPool _pool;
    private bool _disposed;

    private Model(GgufFile file, DecoderModel network, LoadOptions options)
    {
        File = file;
        Network = network;
        Options = options;
        ContextSize = options.ContextSize > 0 ? options.ContextSize : Math.Min(network.Spec.NCtxTrain, LoadOptions.DefaultMaxContext);
        var s = network.Spec;
        if (options.KvType == Kernels.Attention.KvType.Q8_0 && (s.HeadDim % 32 != 0 || s.HeadDimV % 32 != 0))
            throw new ArgumentException($"a Q8_0 KV cache needs head sizes that are multiples of 32; this model's are {s.HeadDim}/{s.HeadDimV} (use F16)", nameof(options));
        _pool = new WorkerPool(options.Threads);
    }

    /// <summary>
    /// Opens <paramref name="path"/> and builds its architecture. Throws FileNotFoundException, GgufFormatException
    /// (not a sound GGUF), UnsupportedArchitectureException, MissingTensorException or ModelFormatException; and
    /// InvalidOperationException or PlatformNotSupportedException for a bad kernel setting (<see cref="Kernels.KernelSettings"/>).
    /// </summary>
    public static Model Load(string path, LoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new LoadOptions();
        options.Validate();
        Kernels.KernelSettings.Check(Environment.GetEnvironmentVariable);
        var file = GgufFile.Open(path);
        try
        {
            string arch = file.Metadata.GetString("general.architecture");
            using var weights = Kernels.StreamedMemory.BeginModel();   // this model's copies in regions of their own
            return new Model(file, ArchitectureRegistry.Create(arch, new WeightSource(file)), options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The GGUF file (metadata for tokenizer and chat template); valid until Dispose.</summary>
    public GgufFile File { get; }
    public DecoderModel Network { get; }
    public ModelSpec Spec => Network.Spec;
    public LoadOptions Options { get; }
    public int ContextSize { get; }
    public int VocabSize => Network.Spec.NVocab;
    internal WorkerPool Pool => _pool;
    internal Lock ForwardLock { get; } = new();
    private ForwardState? _forwardState;

    /// <summary>The sessions' forward buffers for micro-batches of <see cref="LoadOptions.BatchSize"/> tokens, made at first use; hold <see cref="ForwardLock"/>.</summary>
    internal ForwardState SharedForwardState() =>
        _forwardState ??= new ForwardState(Spec, Math.Min(Options.BatchSize, ContextSize), ContextSize, _pool);

    /// <summary>A new session with its own KV cache of <see cref="ContextSize"/> positions.</summary>
    public Session CreateSession()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Session(this);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pool.Dispose();
        File.Dispose();
    }
}
