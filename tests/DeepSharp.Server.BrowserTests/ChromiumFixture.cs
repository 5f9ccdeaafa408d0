using Microsoft.Playwright;

namespace DeepSharp.Server.BrowserTests;

/// <summary>
/// Debian's chromium (/usr/bin/chromium; .ci/run installs it) driven by Playwright, started once for all browser tests.
/// Playwright's own browser downloads are never used, and the flags keep chromium off the network.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new FileNotFoundException($"{ExecutablePath} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does.");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>All browser tests share one chromium and run one after another (the machine has few cores).</summary>
[CollectionDefinition(Name)]
public sealed class ChromiumTests : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "chromium";
}
