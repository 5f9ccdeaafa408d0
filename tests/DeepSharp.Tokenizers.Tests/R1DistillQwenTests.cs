namespace DeepSharp.Tokenizers.Tests;

/// <summary>
/// Special tokens, BOS and the end-of-generation set of an R1-Distill-Qwen GGUF (see <see cref="R1DistillQwenGguf"/>);
/// expected ids from NOTES-r1-distill-qwen-tokens.md and DEEPSEEK.md §C.3.
/// </summary>
public class R1DistillQwenTests
{
    private static Tokenizer T => R1DistillQwenGguf.Tokenizer;

    [Fact]
    public void Worked_example_from_the_r1_tokenizer_files_encodes_to_its_ids()
    {
        int[] ids = T.Encode("<｜begin▁of▁sentence｜><｜User｜>Hello, world!<｜Assistant｜>", addSpecial: false, parseSpecial: true);

        Assert.Equal([151646, 151644, 9707, 11, 1879, 0, 151645], ids);
    }

    [Fact]
    public void Generation_prefix_encodes_to_assistant_think_newline()
    {
        Assert.Equal([151645, 151648, 198], T.Encode("<｜Assistant｜><think>\n", addSpecial: false, parseSpecial: true));
    }

    [Fact]
    public void Add_special_prepends_bos_only()
    {
        Assert.True(T.AddBos);
        Assert.False(T.AddEos);
        Assert.Equal([R1DistillQwenGguf.Bos, 9707], T.Encode("Hello", addSpecial: true, parseSpecial: false));
    }

    [Fact]
    public void Special_ids_and_end_of_generation_set_are_formed_as_llama_cpp_forms_them()
    {
        Assert.Equal(R1DistillQwenGguf.Bos, T.Bos);
        Assert.Equal(R1DistillQwenGguf.Eos, T.Eos);
        Assert.Equal(R1DistillQwenGguf.Eos, T.Eot); // "<｜end▁of▁sentence｜>" is llama.cpp's EOT by text
        Assert.Equal(R1DistillQwenGguf.Eos, T.Pad);
        // EOS/EOT plus the FIM pad, repo-name and file-separator tokens llama.cpp finds by text.
        Assert.Equal(
            new SortedSet<int> { R1DistillQwenGguf.Eos, R1DistillQwenGguf.FimPad, R1DistillQwenGguf.RepoName, R1DistillQwenGguf.FileSep },
            new SortedSet<int>(T.EndOfGeneration));
        Assert.Equal(151936, T.VocabSize);
    }

    [Fact]
    public void Control_tokens_are_plain_text_without_special_parsing_but_added_tokens_still_match()
    {
        int[] ids = T.Encode("<｜User｜><think>", addSpecial: false, parseSpecial: false);

        Assert.DoesNotContain(R1DistillQwenGguf.User, ids);
        Assert.Equal(R1DistillQwenGguf.Think, ids[^1]);
        Assert.True(T.IsControl(R1DistillQwenGguf.User));
        Assert.False(T.IsControl(R1DistillQwenGguf.Think));
    }

    [Fact]
    public void Decode_renders_or_drops_control_tokens()
    {
        int[] ids = [R1DistillQwenGguf.Bos, R1DistillQwenGguf.User, 9707, R1DistillQwenGguf.Assistant, R1DistillQwenGguf.Think];

        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>Hello<｜Assistant｜><think>", T.Decode(ids));
        Assert.Equal("Hello<think>", T.Decode(ids, renderSpecial: false));
    }

    [Fact]
    public void Token_lookups_by_text()
    {
        Assert.Equal(R1DistillQwenGguf.EndThink, T.FindToken("</think>"));
        Assert.Equal("<think>", T.TokenText(R1DistillQwenGguf.Think));
        Assert.Equal("Ġworld", T.TokenText(1879));
        Assert.Equal(" world"u8.ToArray(), T.TokenBytes(1879));
        Assert.Null(T.FindToken("no such token"));
        Assert.Throws<ArgumentOutOfRangeException>(() => T.TokenText(T.VocabSize));
    }
}
