using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Timely.Server.Domain;
using Timely.Server.Storage;

namespace Timely.Server.Api;

/// <summary>Page tokens and watch cursors: opaque to clients, signed with a key every replica shares
/// (kept in the database), and bound to the workspace and query they were issued for, so an edited,
/// foreign or reused-with-other-filters token is refused rather than misread. Its key is loaded at
/// start-up, after the schema is migrated.</summary>
public sealed class TokenCodec : IHostedService
{
    private const int TagLength = 16;
    private readonly SecretStore? secrets;
    private byte[]? key;

    public TokenCodec(SecretStore secrets) => this.secrets = secrets;

    /// <summary>A codec with a fixed key (unit tests).</summary>
    public TokenCodec(byte[] key) => this.key = key;

    public async Task StartAsync(CancellationToken ct) => key ??= await secrets!.GetOrCreateAsync("token-signing-key", 32, ct);

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

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

    /// <summary>A watch cursor: the event's position in fixed-width hex (so cursors sort like the log), a dot, a signature.</summary>
    public string Cursor(string workspace, EventPosition position)
    {
        var text = Hex(position.Tx) + Hex(position.Id);
        return text + "." + WebEncoders.Base64UrlEncode(Sign(workspace, "cursor", Encoding.ASCII.GetBytes(text)));
    }

    public EventPosition? ReadCursor(string workspace, string cursor)
    {
        if (cursor.Length == 0)
        {
            return null;
        }
        var parts = cursor.Split('.');
        if (parts.Length == 2 && TryDecode(parts[1], out var tag)
            && CryptographicOperations.FixedTimeEquals(tag, Sign(workspace, "cursor", Encoding.ASCII.GetBytes(parts[0]))))
        {
            if (parts[0].Length == 32 && TryHex(parts[0][..16], out var tx) && TryHex(parts[0][16..], out var id))
            {
                return new EventPosition(tx, id);
            }
            if (parts[0].Length == 16)
            {
                // Issued before events were ordered by (transaction, id): its place in the log is unknown.
                throw new PositionOutOfRangeException("after_cursor",
                    "this cursor predates the current event log; list the conversations again and watch from the present");
            }
        }
        throw new InvalidArgumentException("after_cursor", "is not a cursor this service issued for this workspace");
    }

    private static string Hex(long value) => value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private static bool TryHex(string text, out long value) =>
        long.TryParse(text, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value) && value >= 0;

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
