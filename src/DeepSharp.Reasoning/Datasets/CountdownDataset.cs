using System.Globalization;
using System.Text.Json;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Datasets;

/// <summary>Countdown JSONL as TinyZero writes it: <c>nums</c> (array of integers) and <c>target</c> per line.</summary>
public static class CountdownDataset
{
    public static IEnumerable<Problem> Load(string path) =>
        JsonlFile.Read(path, (obj, line) =>
        {
            var nums = JsonlFile.Field(obj, "nums", "numbers");
            if (nums.ValueKind != JsonValueKind.Array)
                throw new FormatException("field \"nums\" is not an array");
            var numbers = nums.EnumerateArray().Select(n => n.GetInt64()).ToArray();
            string id = obj.TryGetProperty("id", out var idField) ? idField.ToString()
                : $"countdown-{line.ToString(CultureInfo.InvariantCulture)}";
            return CountdownTask.MakeProblem(id, numbers, JsonlFile.Whole(obj, "target"));
        });
}
