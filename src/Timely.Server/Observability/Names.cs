using System.Collections.Concurrent;
using Grpc.Core;
using Timely.Server.Domain;

namespace Timely.Server.Observability;

/// <summary>Tag values as the API spells them (snake case), computed once: a tag costs no allocation per call.</summary>
internal static class Names
{
    private static readonly string[] Senders = Spell<SenderType>();
    private static readonly string[] Statuses = Spell<ConversationStatus>();

    public static string Of(SenderType sender) => Senders[(int)sender];

    public static string Of(ConversationStatus status) => Statuses[(int)status];

    private static string[] Spell<T>() where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var names = new string[values.Max(v => Convert.ToInt32(v)) + 1];
        foreach (var v in values)
        {
            names[Convert.ToInt32(v)] = string.Concat(v.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        }
        return names;
    }
}

/// <summary>The service and method of a gRPC method path ("/pkg.Service/Method"), split once per method,
/// and status codes boxed once.</summary>
internal static class RpcNames
{
    private static readonly ConcurrentDictionary<string, (string Service, string Method)> Split = new();
    private static readonly object[] Codes = [.. Enumerable.Range(0, 17).Select(c => (object)c)];

    public static (string Service, string Method) Of(string path) =>
        Split.GetOrAdd(path, p => p.LastIndexOf('/') is var slash and > 0 ? (p[1..slash], p[(slash + 1)..]) : ("", p));

    public static object Boxed(StatusCode code) => (int)code is >= 0 and < 17 ? Codes[(int)code] : (int)code;
}
