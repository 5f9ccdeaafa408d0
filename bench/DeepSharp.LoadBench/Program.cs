using System.Globalization;
using DeepSharp.LoadBench;
using DeepSharp.Models;
using DeepSharp.Server;
using DeepSharp.Server.Backend;

// Starts the server in-process on 127.0.0.1 with --parallel K, then measures aggregate generation tokens/s of one
// stream and of K concurrent streams (streaming /v1/completions, greedy, max_tokens N). Every number printed comes
// from this run.
LoadOptionsCli o;
try
{
    o = LoadOptionsCli.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n{LoadOptionsCli.Usage}");
    return 1;
}

var inv = CultureInfo.InvariantCulture;
if (o.StepProfile)
{
    Console.WriteLine($"model {o.ModelPath}, threads {o.Threads}, load average before: {LoadAverage()}");
    StepProfile.Run(o);
    Console.WriteLine($"load average after: {LoadAverage()}");
    return 0;
}
Console.WriteLine(string.Create(inv,
    $"model {o.ModelPath}, threads {o.Threads}, parallel {o.Streams}, ctx {o.Context}, admission window {(o.WindowMs is int w ? $"{w} ms" : "default")}, {o.Tokens} tokens per stream, reps {o.Reps}, load average before: {LoadAverage()}"));
var backend = ChatModelBackend.Load(o.ModelPath, new LoadOptions { Threads = o.Threads, ContextSize = o.Context });
await using var server = await DeepSharpServer.StartAsync(backend,
    WithWindow(new ServerOptions { Host = "127.0.0.1", Port = 0, Parallel = o.Streams }, o.WindowMs), ownsBackend: true);
using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
var client = new StreamClient(http);

// Warm-up: page-in of the weights, the JIT's optimised code for both the one-stream and the K-stream step (with a
// 4-token warm-up the first measured one-stream round still ran at two thirds of the later ones' speed), and K pooled
// connections (with one, the first K-stream round opened K − 1 new connections while the reused one's request was
// already being served, so one stream was admitted a round ahead: a client-side artifact, not the server's batching).
await client.RunAsync(1, 32, 0);
await client.RunAsync(o.Streams, 32, 0);
var ones = new List<RoundResult>();
var manys = new List<RoundResult>();
for (int rep = 0; rep < o.Reps; rep++)
{
    ones.Add(await client.RunAsync(1, o.Tokens, rep * 100));
    manys.Add(await client.RunAsync(o.Streams, o.Tokens, rep * 100 + 10));
}
foreach (var (name, results) in new[] { ("1 stream", ones), ($"{o.Streams} streams", manys) })
    foreach (var r in results) Console.WriteLine($"{name}: {r.Describe()}");

double one = Median(ones.Select(r => r.GenerationTokensPerSecond));
double many = Median(manys.Select(r => r.GenerationTokensPerSecond));
Console.WriteLine(string.Create(inv,
    $"aggregate generation tokens/s (median of {o.Reps}): 1 stream {one:0.00}, {o.Streams} streams {many:0.00}, ratio {many / one:0.00}x"));
Console.WriteLine($"load average after: {LoadAverage()}");
return 0;

static ServerOptions WithWindow(ServerOptions options, int? windowMs) =>
    windowMs is int ms ? options with { AdmissionWindow = TimeSpan.FromMilliseconds(ms) } : options;

static double Median(IEnumerable<double> values)
{
    double[] v = [.. values.Order()];
    return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
