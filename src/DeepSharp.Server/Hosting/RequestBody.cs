using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace DeepSharp.Server;

internal static class RequestBody
{
    /// <summary>Reads and deserializes the JSON body (size-limited by Kestrel: too large → 413, malformed → 400).</summary>
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type) where T : class
    {
        T? value = await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted);
        return value ?? throw ApiException.BadRequest("the request body must be a JSON object", null, "invalid_json");
    }
}
