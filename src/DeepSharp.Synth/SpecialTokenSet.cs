namespace DeepSharp.Synth;

/// <summary>GGUF token types (llama.cpp <c>llama_token_type</c>).</summary>
public enum TokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>A special token at an offset from the start of its family's special block.</summary>
public sealed record SpecialToken(int Offset, string Text, TokenType Type);

/// <summary>
/// A model family's special tokens, pre-tokenizer name and chat template. Ids are offsets from a base, so the same set
/// sits at its real ids in a full-size vocabulary (base 151643 for R1-Distill-Qwen) and at the end of a tiny one.
/// </summary>
public sealed record SpecialTokenSet
{
    public required string Name { get; init; }

    /// <summary><c>tokenizer.ggml.pre</c>: selects the pre-tokenizer regex in llama.cpp.</summary>
    public required string PreTokenizer { get; init; }

    public required IReadOnlyList<SpecialToken> Tokens { get; init; }

    /// <summary>Ids in the block; offsets without a named token become <c>&lt;|reserved_special_token_N|&gt;</c> (control).</summary>
    public required int BlockSize { get; init; }

    /// <summary>Numbering of reserved fillers starts here (Llama 3 counts them across the block).</summary>
    public int ReservedNumberStart { get; init; }

    public required int BosOffset { get; init; }

    public required int EosOffset { get; init; }

    public required int PadOffset { get; init; }

    public required bool AddBos { get; init; }

    /// <summary>Embedded resource holding the chat template (Resources/*.jinja).</summary>
    public required string ChatTemplateResource { get; init; }

    /// <summary>Returns the set with the block cut to its named tokens (for tiny vocabularies).</summary>
    public SpecialTokenSet Compact() => this with { BlockSize = Tokens.Max(t => t.Offset) + 1 };

    private const string Bos = "<｜begin▁of▁sentence｜>";
    private const string Eos = "<｜end▁of▁sentence｜>";
    private const string User = "<｜User｜>";
    private const string Assistant = "<｜Assistant｜>";

    /// <summary>
    /// DeepSeek-R1-Distill-Qwen added tokens, ids 151643..151664 (shared/corpora/templates/NOTES-r1-distill-qwen-tokens.md).
    /// Types follow llama.cpp's convert_hf_to_gguf: tokens flagged special, or looking special (&lt;|…|&gt; or
    /// &lt;｜…｜&gt;), are control; the rest (&lt;think&gt;, &lt;tool_call&gt;) are user-defined.
    /// </summary>
    public static SpecialTokenSet R1DistillQwen { get; } = new()
    {
        Name = "r1-distill-qwen",
        PreTokenizer = "deepseek-r1-qwen",
        BlockSize = 22,
        BosOffset = 3,
        EosOffset = 0,
        PadOffset = 0,
        AddBos = true,
        ChatTemplateResource = "deepseek-r1-distill.jinja",
        Tokens =
        [
            new(0, Eos, TokenType.Control), new(1, User, TokenType.Control), new(2, Assistant, TokenType.Control),
            new(3, Bos, TokenType.Control), new(4, "<|EOT|>", TokenType.Control),
            new(5, "<think>", TokenType.UserDefined), new(6, "</think>", TokenType.UserDefined),
            new(7, "<|quad_start|>", TokenType.Control), new(8, "<|quad_end|>", TokenType.Control),
            new(9, "<|vision_start|>", TokenType.Control), new(10, "<|vision_end|>", TokenType.Control),
            new(11, "<|vision_pad|>", TokenType.Control), new(12, "<|image_pad|>", TokenType.Control),
            new(13, "<|video_pad|>", TokenType.Control),
            new(14, "<tool_call>", TokenType.UserDefined), new(15, "</tool_call>", TokenType.UserDefined),
            new(16, "<|fim_prefix|>", TokenType.Control), new(17, "<|fim_middle|>", TokenType.Control),
            new(18, "<|fim_suffix|>", TokenType.Control), new(19, "<|fim_pad|>", TokenType.Control),
            new(20, "<|repo_name|>", TokenType.Control), new(21, "<|file_sep|>", TokenType.Control),
        ],
    };

    /// <summary>Qwen2.5(-Instruct) added tokens, ids 151643..151664; BOS is not added, EOS is &lt;|im_end|&gt;.</summary>
    public static SpecialTokenSet Qwen25 { get; } = new()
    {
        Name = "qwen2.5",
        PreTokenizer = "qwen2",
        BlockSize = 22,
        BosOffset = 0,
        EosOffset = 2,
        PadOffset = 0,
        AddBos = false,
        ChatTemplateResource = "qwen2.5-instruct.jinja",
        Tokens =
        [
            new(0, "<|endoftext|>", TokenType.Control), new(1, "<|im_start|>", TokenType.Control),
            new(2, "<|im_end|>", TokenType.Control), new(3, "<|object_ref_start|>", TokenType.Control),
            new(4, "<|object_ref_end|>", TokenType.Control), new(5, "<|box_start|>", TokenType.Control),
            new(6, "<|box_end|>", TokenType.Control), new(7, "<|quad_start|>", TokenType.Control),
            new(8, "<|quad_end|>", TokenType.Control), new(9, "<|vision_start|>", TokenType.Control),
            new(10, "<|vision_end|>", TokenType.Control), new(11, "<|vision_pad|>", TokenType.Control),
            new(12, "<|image_pad|>", TokenType.Control), new(13, "<|video_pad|>", TokenType.Control),
            new(14, "<tool_call>", TokenType.UserDefined), new(15, "</tool_call>", TokenType.UserDefined),
            new(16, "<|fim_prefix|>", TokenType.Control), new(17, "<|fim_middle|>", TokenType.Control),
            new(18, "<|fim_suffix|>", TokenType.Control), new(19, "<|fim_pad|>", TokenType.Control),
            new(20, "<|repo_name|>", TokenType.Control), new(21, "<|file_sep|>", TokenType.Control),
        ],
    };

    /// <summary>
    /// DeepSeek-R1-Distill-Llama: Llama 3.1's 256 reserved ids from 128000 with DeepSeek's tokens at 0, 1 and 11..15.
    /// [unverified against a real file: ids of the Llama 3.1 tokens between, as in Llama-3.1's tokenizer.json]
    /// </summary>
    public static SpecialTokenSet R1DistillLlama { get; } = new()
    {
        Name = "r1-distill-llama",
        PreTokenizer = "llama-bpe",
        BlockSize = 256,
        ReservedNumberStart = -8,   // offset 16 is <|reserved_special_token_8|>
        BosOffset = 0,
        EosOffset = 1,
        PadOffset = 1,
        AddBos = true,
        ChatTemplateResource = "deepseek-r1-distill.jinja",
        Tokens =
        [
            new(0, Bos, TokenType.Control), new(1, Eos, TokenType.Control),
            new(2, "<|reserved_special_token_0|>", TokenType.Control), new(3, "<|reserved_special_token_1|>", TokenType.Control),
            new(4, "<|finetune_right_pad_id|>", TokenType.Control), new(5, "<|reserved_special_token_2|>", TokenType.Control),
            new(6, "<|start_header_id|>", TokenType.Control), new(7, "<|end_header_id|>", TokenType.Control),
            new(8, "<|eom_id|>", TokenType.Control), new(9, "<|eot_id|>", TokenType.Control),
            new(10, "<|python_tag|>", TokenType.Control),
            new(11, User, TokenType.Control), new(12, Assistant, TokenType.Control),
            new(13, "<think>", TokenType.UserDefined), new(14, "</think>", TokenType.UserDefined),
            new(15, "<｜▁pad▁｜>", TokenType.Control),
        ],
    };

    /// <summary>Text of the token at an offset inside the block (named, or a reserved filler).</summary>
    public (string Text, TokenType Type) At(int offset)
    {
        foreach (SpecialToken t in Tokens)
        {
            if (t.Offset == offset)
            {
                return (t.Text, t.Type);
            }
        }

        return ($"<|reserved_special_token_{offset + ReservedNumberStart}|>", TokenType.Control);
    }
}
