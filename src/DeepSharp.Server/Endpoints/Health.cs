using DeepSharp.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server.Endpoints;

/// <summary><c>GET /health</c>: 200 with slot counts once the model is loaded (the server starts only after loading).</summary>
internal static class Health
{
    public static void Map(IEndpointRouteBuilder app, ServerState state) =>
        app.MapGet("/health", (HttpContext context) =>
        {
            var s = state.Scheduler;
            int busy = s.BusySlots;
            var health = new HealthResponse { SlotsIdle = s.SlotCount - busy, SlotsProcessing = busy, QueueLength = s.QueueLength };
            return context.Response.WriteAsJsonAsync(health, ServerJson.Web.HealthResponse);
        });
}
