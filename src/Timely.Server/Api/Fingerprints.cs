using System.Collections;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Timely.Server.Api;

/// <summary>A stable hash of what a request asks for, to bind request ids and page tokens to it.</summary>
/// <remarks>It hashes a canonical form of the request: its protobuf encoding after the entries of every
/// map field (at any depth) are put in key order. The wire encoding alone is not canonical: map entries
/// keep the order the client wrote them in, which differs between languages and between two builds of
/// the same request, and protobuf's "deterministic" serialisation is only promised per implementation.
/// Everything else is canonical once parsed and written back by this server: fields in number order,
/// defaults left out, repeated scalars packed (unknown fields, which no client of this contract sends,
/// keep their order). A request without maps hashes exactly as its
/// bytes did before, so fingerprints stored earlier (request ids, page tokens) still match.</remarks>
public static class Fingerprints
{
    public static string Of(string scope, IMessage request)
    {
        var bytes = Canonical(request).ToByteArray();
        var scoped = new byte[bytes.Length + scope.Length * 3 + 1];
        var written = System.Text.Encoding.UTF8.GetBytes(scope, scoped);
        scoped[written] = 0;
        bytes.CopyTo(scoped, written + 1);
        return Convert.ToHexStringLower(SHA256.HashData(scoped.AsSpan(0, written + 1 + bytes.Length)));
    }

    /// <summary>The request itself when it has no map entries; otherwise a copy with every map in key order.</summary>
    private static IMessage Canonical(IMessage request)
    {
        if (!HasMapEntries(request))
        {
            return request;
        }
        var copy = request.Descriptor.Parser.ParseFrom(request.ToByteString());
        SortMaps(copy);
        return copy;
    }

    private static bool HasMapEntries(IMessage message) => Fields(message).Any(f => f.Field.IsMap
        ? ((IDictionary)f.Value).Count > 0
        : Messages(f).Any(HasMapEntries));

    private static void SortMaps(IMessage message)
    {
        foreach (var (field, value) in Fields(message))
        {
            if (field.IsMap)
            {
                var map = (IDictionary)value;
                var entries = new List<DictionaryEntry>(map.Count);
                for (var e = map.GetEnumerator(); e.MoveNext();)
                {
                    entries.Add(e.Entry);
                }
                map.Clear();
                foreach (var entry in entries.OrderBy(e => e.Key, KeyOrder.Instance))
                {
                    if (entry.Value is IMessage nested)
                    {
                        SortMaps(nested);
                    }
                    map.Add(entry.Key, entry.Value);
                }
            }
            else
            {
                foreach (var nested in Messages((field, value)))
                {
                    SortMaps(nested);
                }
            }
        }
    }

    /// <summary>The set fields of a message that can hold a map: map fields and message fields.</summary>
    private static IEnumerable<(FieldDescriptor Field, object Value)> Fields(IMessage message) =>
        message.Descriptor.Fields.InFieldNumberOrder()
            .Where(f => f.IsMap || f.FieldType == FieldType.Message)
            .Select(f => (f, f.Accessor.GetValue(message)))
            .Where(f => f.Item2 is not null);

    /// <summary>The messages in a (non-map) message field: the one it holds, or each of a repeated one.</summary>
    private static IEnumerable<IMessage> Messages((FieldDescriptor Field, object Value) field) => field.Value switch
    {
        IMessage single => [single],
        IEnumerable repeated => repeated.OfType<IMessage>(),
        _ => [],
    };

    /// <summary>Map keys are strings (ordinal order), integers or booleans.</summary>
    private sealed class KeyOrder : IComparer<object>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(object? x, object? y) => x is string a && y is string b
            ? string.CompareOrdinal(a, b)
            : Comparer.Default.Compare(x, y);
    }
}
