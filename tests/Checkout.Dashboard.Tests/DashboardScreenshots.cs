using Microsoft.Playwright;

namespace Checkout.Dashboard.Tests;

/// <summary>
/// Screenshots of the page under test, kept in the test's output folder (screenshots/) so that a failure can be seen as
/// the browser saw it; with CHECKOUT_DOCS_SCREENSHOTS=1 the README's pictures are written into docs/ as well.
/// </summary>
internal sealed class DashboardScreenshots(IPage page, string repositoryRoot, Action<string> log)
{
    private readonly string _folder = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>Saves the page as screenshots/<paramref name="name"/>.png; returns the path.</summary>
    public async Task<string> TakeAsync(string name)
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        log($"Screenshot: {path} ({page.Url})");
        return path;
    }

    /// <summary>Saves the page as screenshots/<paramref name="name"/>.png, and as docs/<paramref name="name"/>.png when asked to.</summary>
    public async Task TakeForReadmeAsync(string name)
    {
        var path = await TakeAsync(name);
        if (Environment.GetEnvironmentVariable("CHECKOUT_DOCS_SCREENSHOTS") == "1")
        {
            var docs = Path.Combine(Directory.CreateDirectory(Path.Combine(repositoryRoot, "docs")).FullName, name + ".png");
            File.Copy(path, docs, overwrite: true);
            log($"Written for the README: {docs}");
        }
    }

    /// <summary>The last look at a failing test's page; never throws over the failure it documents.</summary>
    public async Task TakeOnFailureAsync()
    {
        try
        {
            await TakeAsync($"failure-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        }
        catch (PlaywrightException exception)
        {
            log($"No failure screenshot: {exception.Message}");
        }
    }
}
