using DeepSharp.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the one loaded model.</summary>
internal static class Models
{
    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapGet("/v1/models", (HttpContext context) =>
            context.Response.WriteAsJsonAsync(new ModelListResponse { Data = [Describe(state)] }, ServerJson.Web.ModelListResponse));
        app.MapGet("/v1/models/{id}", (HttpContext context, string id) =>
        {
            if (id != state.Backend.ModelId)
                throw new ApiException(404, "invalid_request_error", $"the model '{id}' does not exist", "model", "model_not_found");
            return context.Response.WriteAsJsonAsync(Describe(state), ServerJson.Web.ModelDto);
        });
    }

    private static ModelDto Describe(ServerState state) =>
        new() { Id = state.Backend.ModelId, Created = state.StartedUnix, ContextLength = state.Backend.ContextSize };
}
