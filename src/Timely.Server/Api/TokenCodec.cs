using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Api;

/// <summary>Page tokens and watch cursors: opaque to clients, signed with a key every replica shares
/// (kept in the database), and bound to the workspace and query they were issued for, so an edited,
/// foreign or reused-with-other-filters token is refused rather than misread.</summary>
public sealed class TokenCodec
{
    private const int TagLength = 16;
    private byte[]? key;

    public async Task InitializeAsync(IConversationStore store, CancellationToken ct) =>
        key = await store.GetOrCreateSecretAsync("token-signing-key", 32, ct);

    /// <summary>A page token carrying a list's last keyset position.</summary>
    public string PageToken(string workspace, string queryFingerprint, ConversationKey last)
    {
        var payload = new byte[24];
        BinaryPrimitives.WriteInt64BigEndian(payload, last.SortValue);
        last.Id.TryWriteBytes(payload.AsSpan(8), bigEndian: true, out _);
        return Seal(workspace, queryFingerprint, payload);
    }

    public ConversationKey? ReadPageToken(string workspace, string queryFingerprint, string token)
    {
        if (token.Length == 0)
        {
            return null;
        }
        var payload = Open(workspace, queryFingerprint, token, "page_token", 24);
        return new ConversationKey(BinaryPrimitives.ReadInt64BigEndian(payload), new Guid(payload.AsSpan(8), bigEndian: true));
    }

    /// <summary>A page token carrying the last message sequence of a page.</summary>
    public string SequenceToken(string workspace, string scope, long sequence)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, sequence);
        return Seal(workspace, scope, payload);
    }

    public long ReadSequenceToken(string workspace, string scope, string token) =>
        token.Length == 0 ? 0 : BinaryPrimitives.ReadInt64BigEndian(Open(workspace, scope, token, "page_token", 8));

    /// <summary>A watch cursor: the event id in fixed-width hex (so cursors sort like the log), a dot, a signature.</summary>
    public string Cursor(string workspace, long eventId)
    {
        var id = eventId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        return id + "." + WebEncoders.Base64UrlEncode(Sign(workspace, "cursor", Encoding.ASCII.GetBytes(id)));
    }

    public long? ReadCursor(string workspace, string cursor)
    {
        if (cursor.Length == 0)
        {
            return null;
        }
        var parts = cursor.Split('.');
        if (parts.Length == 2 && parts[0].Length == 16
            && long.TryParse(parts[0], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var id)
            && id >= 0
            && TryDecode(parts[1], out var tag)
            && CryptographicOperations.FixedTimeEquals(tag, Sign(workspace, "cursor", Encoding.ASCII.GetBytes(parts[0]))))
        {
            return id;
        }
        throw new InvalidArgumentException("after_cursor", "is not a cursor this service issued for this workspace");
    }

    private string Seal(string workspace, string scope, byte[] payload) =>
        WebEncoders.Base64UrlEncode([.. payload, .. Sign(workspace, scope, payload)]);

    private byte[] Open(string workspace, string scope, string token, string field, int payloadLength)
    {
        if (TryDecode(token, out var bytes) && bytes.Length == payloadLength + TagLength)
        {
            var payload = bytes[..payloadLength];
            if (CryptographicOperations.FixedTimeEquals(bytes.AsSpan(payloadLength), Sign(workspace, scope, payload)))
            {
                return payload;
            }
        }
        throw new InvalidArgumentException(field, "is not a token this service issued for this request; start again from the first page");
    }

    private byte[] Sign(string workspace, string scope, byte[] payload)
    {
        var signingKey = key ?? throw new InvalidOperationException("TokenCodec used before InitializeAsync");
        byte[] message = [.. Encoding.UTF8.GetBytes(workspace), 0, .. Encoding.UTF8.GetBytes(scope), 0, .. payload];
        return HMACSHA256.HashData(signingKey, message)[..TagLength];
    }

    private static bool TryDecode(string text, out byte[] bytes)
    {
        try
        {
            bytes = WebEncoders.Base64UrlDecode(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
