using System.Globalization;
using System.Text.RegularExpressions;

namespace Timely.Testing;

/// <summary>A scrape in Prometheus' text format, read into samples: name, labels, value.</summary>
public sealed partial class PrometheusText(string text)
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> samples = Parse(text);

    public IEnumerable<string> Names => samples.Select(s => s.Name).Distinct();

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>
    /// ("key=value" each); null when there is none.</summary>
    public double? Sum(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToList();
        var matching = samples.Where(s => s.Name == name && wanted.All(w => s.Labels.GetValueOrDefault(w[0]) == w[1])).ToList();
        return matching.Count == 0 ? null : matching.Sum(s => s.Value);
    }

    private static List<(string, Dictionary<string, string>, double)> Parse(string text)
    {
        var result = new List<(string, Dictionary<string, string>, double)>();
        foreach (var line in text.Split('\n'))
        {
            if (Sample().Match(line) is not { Success: true } m)
            {
                continue;
            }
            if (double.TryParse(m.Groups["value"].Value, CultureInfo.InvariantCulture, out var value))
            {
                var labels = Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
                result.Add((m.Groups["name"].Value, labels, value));
            }
        }
        return result;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
