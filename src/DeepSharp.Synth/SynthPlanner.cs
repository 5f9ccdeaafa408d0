using DeepSharp.Core.Quant;
using DeepSharp.Gguf;

namespace DeepSharp.Synth;

/// <summary>Builds the metadata and tensor directory llama.cpp expects for a qwen2 or llama model of a given shape.</summary>
internal static class SynthPlanner
{
    public static SynthPlan Build(SynthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateScalars();
        SynthShape shape = options.ResolveShape();
        LlamaFileType fileType = QuantRecipe.ParseFileType(options.FileType);
        List<SynthTensor> tensors = options.VocabOnly ? [] : Tensors(shape, fileType, options.FileType);
        SynthVocab vocab = SynthVocab.Build(shape, options.VocabPath, options.MergeText);
        string template = options.ChatTemplate ?? SynthVocab.ReadResource(shape.Specials.ChatTemplateResource);
        return new SynthPlan(shape, fileType, Metadata(shape, fileType, vocab, template), tensors, vocab);
    }

    private static List<SynthTensor> Tensors(SynthShape s, LlamaFileType fileType, string fileTypeName)
    {
        int hd = s.HeadDim;
        var model = new RecipeModel(s.NLayer, s.Deepseek2?.ExpertCount ?? 0, HasOutputTensor: !s.TiedEmbeddings, GqaRatio: s.NHead / s.NHeadKv);
        var list = new List<SynthTensor>();

        void Matrix(string name, params long[] dims)
        {
            QuantType type;
            try
            {
                type = QuantRecipe.TypeFor(fileType, new RecipeTensor(name, dims[0], dims.Length), model);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException($"File type '{fileTypeName}' cannot store '{s.ModelName}': {e.Message}.", e);
            }

            if (!Quantize.CanQuantize(type))
            {
                throw new ArgumentException($"File type '{fileTypeName}' needs {type} for '{name}', which DeepSharp cannot quantize yet.");
            }

            list.Add(new SynthTensor(name, type, dims, WeightKind.Random));
        }

        void Vector(string name, long n, WeightKind kind) => list.Add(new SynthTensor(name, QuantType.F32, [n], kind));

        Matrix("token_embd.weight", s.NEmbd, s.NVocab);
        if (s.RopeScaling is not null)
        {
            Vector("rope_freqs.weight", hd / 2, WeightKind.RopeFactors);
        }

        for (int i = 0; i < s.NLayer; i++)
        {
            if (s.Deepseek2 is not null)
            {
                Deepseek2Planner.LayerTensors(s, i, Matrix, Vector);
                continue;
            }

            string p = $"blk.{i}.";
            Vector(p + "attn_norm.weight", s.NEmbd, WeightKind.Ones);
            foreach ((string proj, int outDim) in new[] { ("attn_q", s.NHead * hd), ("attn_k", s.NHeadKv * hd), ("attn_v", s.NHeadKv * hd) })
            {
                Matrix(p + proj + ".weight", s.NEmbd, outDim);
                if (s.QkvBias)
                {
                    Vector(p + proj + ".bias", outDim, WeightKind.Random);
                }
            }

            Matrix(p + "attn_output.weight", s.NHead * hd, s.NEmbd);
            Vector(p + "ffn_norm.weight", s.NEmbd, WeightKind.Ones);
            Matrix(p + "ffn_gate.weight", s.NEmbd, s.NFf);
            Matrix(p + "ffn_up.weight", s.NEmbd, s.NFf);
            Matrix(p + "ffn_down.weight", s.NFf, s.NEmbd);
        }

        Vector("output_norm.weight", s.NEmbd, WeightKind.Ones);
        if (!s.TiedEmbeddings)
        {
            Matrix("output.weight", s.NEmbd, s.NVocab);
        }

        return list;
    }

    private static List<KeyValuePair<string, GgufValue>> Metadata(SynthShape s, LlamaFileType fileType, SynthVocab vocab, string chatTemplate)
    {
        var md = new List<KeyValuePair<string, GgufValue>>();
        void Add(string key, GgufValue value) => md.Add(new(key, value));
        string a = s.Arch;

        Add("general.architecture", GgufValue.Of(a));
        Add("general.type", GgufValue.Of("model"));
        Add("general.name", GgufValue.Of(s.ModelName));
        Add("general.description", GgufValue.Of("Synthetic random weights in the shape of this model (DeepSharp synth); not a trained model."));
        if (s.Sampling is { } sampling)
        {
            Add("general.sampling.temp", GgufValue.Of(sampling.Temperature));
            Add("general.sampling.top_p", GgufValue.Of(sampling.TopP));
        }

        Add($"{a}.block_count", GgufValue.Of((uint)s.NLayer));
        Add($"{a}.context_length", GgufValue.Of((uint)s.ContextLength));
        Add($"{a}.embedding_length", GgufValue.Of((uint)s.NEmbd));
        Add($"{a}.feed_forward_length", GgufValue.Of((uint)s.NFf));
        Add($"{a}.attention.head_count", GgufValue.Of((uint)s.NHead));
        Add($"{a}.attention.head_count_kv", GgufValue.Of((uint)s.NHeadKv));
        Add($"{a}.rope.freq_base", GgufValue.Of(s.RopeFreqBase));
        Add($"{a}.attention.layer_norm_rms_epsilon", GgufValue.Of(s.RmsEps));
        if (s.Deepseek2 is not null)
        {
            Deepseek2Planner.Metadata(s, Add);
        }

        if (a == "llama")
        {
            Add("llama.vocab_size", GgufValue.Of((uint)s.NVocab));
            Add("llama.rope.dimension_count", GgufValue.Of((uint)s.HeadDim));
        }

        Add("general.file_type", GgufValue.Of((uint)fileType));
        Add("general.quantization_version", GgufValue.Of(2u));   // written by both convert_hf_to_gguf and llama-quantize

        Add("tokenizer.ggml.model", GgufValue.Of("gpt2"));
        Add("tokenizer.ggml.pre", GgufValue.Of(s.Specials.PreTokenizer));
        Add("tokenizer.ggml.tokens", GgufValue.Of([.. vocab.Tokens]));
        Add("tokenizer.ggml.token_type", GgufValue.Of(vocab.Types.Select(t => (int)t).ToArray()));
        Add("tokenizer.ggml.merges", GgufValue.Of([.. vocab.Merges]));
        Add("tokenizer.ggml.bos_token_id", GgufValue.Of((uint)vocab.BosId));
        Add("tokenizer.ggml.eos_token_id", GgufValue.Of((uint)vocab.EosId));
        Add("tokenizer.ggml.padding_token_id", GgufValue.Of((uint)vocab.PadId));
        Add("tokenizer.ggml.add_bos_token", GgufValue.Of(s.Specials.AddBos));
        Add("tokenizer.ggml.add_eos_token", GgufValue.Of(false));
        Add("tokenizer.chat_template", GgufValue.Of(chatTemplate));
        return md;
    }
}
