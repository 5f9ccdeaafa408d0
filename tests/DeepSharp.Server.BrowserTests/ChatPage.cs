using Microsoft.Playwright;

namespace DeepSharp.Server.BrowserTests;

/// <summary>The chat page as a person uses it, by the stable data-testid hooks of wwwroot/index.html.</summary>
internal sealed class ChatPage
{
    private readonly IPage page;
    private readonly List<string> _problems = [];

    private ChatPage(IPage page)
    {
        this.page = page;
        // Script errors, failed loads and console errors: a page that works shows none.
        page.PageError += (_, error) => _problems.Add("page error: " + error);
        page.Console += (_, message) => { if (message.Type == "error") _problems.Add("console: " + message.Text); };
        page.RequestFailed += (_, request) => { if (!request.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal)) _problems.Add("failed: " + request.Url); };
    }

    public IPage Page => page;

    /// <summary>What went wrong in the page so far (script errors, console errors, failed requests).</summary>
    public IReadOnlyList<string> Problems => _problems;
    public ILocator ModelName => page.GetByTestId("model-name");
    public ILocator Stats => page.GetByTestId("stats");
    public ILocator Send => page.GetByTestId("send");
    public ILocator Stop => page.GetByTestId("stop");
    public ILocator Error => page.GetByTestId("error");
    public ILocator UserMessages => page.GetByTestId("user-message");
    public ILocator AssistantMessages => page.GetByTestId("assistant-message");
    public ILocator LastTurn => AssistantMessages.Last;
    public ILocator Thinking => LastTurn.GetByTestId("thinking");
    public ILocator ThinkingSummary => LastTurn.GetByTestId("thinking-summary");
    public ILocator ThinkingText => LastTurn.GetByTestId("thinking-text");
    public ILocator Answer => LastTurn.GetByTestId("answer");
    public ILocator Note => LastTurn.GetByTestId("note");

    public static async Task<ChatPage> OpenAsync(IBrowser browser, Uri server)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 760 } });
        var chat = new ChatPage(page);
        await page.GotoAsync(server.ToString());
        // The script asks /v1/models first: once the model name shows, the page is live.
        try
        {
            await Assertions.Expect(chat.ModelName).Not.ToHaveTextAsync("loading…");
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException("the page did not start: " + string.Join("; ", chat.Problems), e);
        }
        return chat;
    }

    /// <summary>Opens the settings and sets the request's max_tokens and temperature.</summary>
    public async Task SetGenerationAsync(int maxTokens, double temperature)
    {
        await page.GetByText("Settings").ClickAsync();
        await page.GetByTestId("max-tokens").FillAsync(maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("temperature").FillAsync(temperature.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Types a question and presses Enter, as a person would.</summary>
    public async Task AskAsync(string question)
    {
        await page.GetByTestId("prompt").FillAsync(question);
        await page.GetByTestId("prompt").PressAsync("Enter");
    }
}
