using Google.Protobuf;

namespace Timely.Conversations.V1;

/// <summary>Responses that carry another response's bytes: one live item serialized once, then written to every
/// subscriber of a feed as those same bytes. The bytes are kept as unknown fields, which protobuf writes back
/// verbatim (a copy, no re-encoding), so a client reads the original response. Only for the protobuf wire
/// (gRPC, grpc-web): a JSON formatter shows no unknown fields.</summary>
internal static class Serialized
{
    /// <summary>The fields of <paramref name="wire"/>, a message's serialized form, as unknown fields.</summary>
    public static UnknownFieldSet? Fields(byte[] wire)
    {
        UnknownFieldSet? fields = null;
        var input = new CodedInputStream(wire);
        while (input.ReadTag() != 0)
        {
            fields = UnknownFieldSet.MergeFieldFrom(fields, input);
        }
        return fields;
    }
}

public sealed partial class StreamMessagesResponse
{
    /// <summary>A response that serializes as the bytes <paramref name="wire"/>; see <see cref="Serialized"/>.</summary>
    internal static StreamMessagesResponse FromSerialized(byte[] wire) => new() { _unknownFields = Serialized.Fields(wire) };
}

public sealed partial class WatchConversationsResponse
{
    /// <summary>A response that serializes as the bytes <paramref name="wire"/>; see <see cref="Serialized"/>.</summary>
    internal static WatchConversationsResponse FromSerialized(byte[] wire) => new() { _unknownFields = Serialized.Fields(wire) };
}
