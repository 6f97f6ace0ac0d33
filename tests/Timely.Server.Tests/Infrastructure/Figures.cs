namespace Timely.Server.Tests.Infrastructure;

/// <summary>Figures a test measured, for the test script's output (test-output/figures.txt, printed at the
/// end of the run), not only for xunit's.</summary>
public static class Figures
{
    public static void Write(string figures)
    {
        if (Environment.GetEnvironmentVariable("TIMELY_TEST_OUTPUT") is { Length: > 0 } folder)
        {
            lock (typeof(Figures))
            {
                File.AppendAllText(Path.Combine(folder, "figures.txt"), figures + "\n");
            }
        }
    }
}
