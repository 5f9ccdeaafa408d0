using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server.Endpoints;

/// <summary><c>GET /metrics</c>: Prometheus text exposition.</summary>
internal static class Metrics
{
    public static void Map(IEndpointRouteBuilder app, ServerState state) =>
        app.MapGet("/metrics", (HttpContext context) =>
        {
            var s = state.Scheduler;
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(state.Metrics.Render(s.QueueLength, s.BusySlots, s.SlotCount));
        });
}
