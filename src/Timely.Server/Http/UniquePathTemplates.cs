using System.Text.RegularExpressions;
using Microsoft.OpenApi.Models;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Timely.Server.Http;

/// <summary>OpenAPI 3 requires templated paths to differ by more than their parameters' names, but the
/// contract's routes name one path's variable after the field it fills: `GET /v1/conversations/{id}` and
/// `PATCH /v1/conversations/{conversation.id}` are one path to OpenAPI. This moves such operations under
/// the first of those paths, renaming their path parameters to its names (the URLs are the same).</summary>
internal sealed partial class UniquePathTemplates : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var firstOfSignature = new Dictionary<string, string>();
        foreach (var path in document.Paths.Keys.ToList())
        {
            var signature = Parameters().Replace(path, "{}");
            if (!firstOfSignature.TryAdd(signature, path))
            {
                Merge(document, from: path, into: firstOfSignature[signature]);
            }
        }
    }

    private static void Merge(OpenApiDocument document, string from, string into)
    {
        var names = Parameters().Matches(into).Select(m => m.Value.Trim('{', '}')).ToList();
        var renames = Parameters().Matches(from).Select((m, i) => (From: m.Value.Trim('{', '}'), To: names[i])).ToDictionary();
        foreach (var (method, operation) in document.Paths[from].Operations)
        {
            foreach (var parameter in operation.Parameters.Where(p => p.In == ParameterLocation.Path))
            {
                parameter.Name = renames.GetValueOrDefault(parameter.Name, parameter.Name);
            }
            document.Paths[into].Operations.Add(method, operation);
        }
        document.Paths.Remove(from);
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Parameters();
}
