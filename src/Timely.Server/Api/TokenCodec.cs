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
    public string PageToken(string workspace, string queryFingerprint, ConversationKey last) =>
        KeyToken(workspace, queryFingerprint, last.SortValue, last.Id);

    public ConversationKey? ReadPageToken(string workspace, string queryFingerprint, string token) =>
        ReadKeyToken(workspace, queryFingerprint, token) is { } key ? new ConversationKey(key.Value, key.Id) : null;

    /// <summary>A page token carrying a search's last hit: its score and message id.</summary>
    public string SearchToken(string workspace, string queryFingerprint, SearchKey last) =>
        KeyToken(workspace, queryFingerprint, last.Score, last.MessageId);

    public SearchKey? ReadSearchToken(string workspace, string queryFingerprint, string token) =>
        ReadKeyToken(workspace, queryFingerprint, token) is { } key ? new SearchKey(key.Value, key.Id) : null;

    /// <summary>A page token carrying an event log position (a list ordered by event).</summary>
    public string PositionToken(string workspace, string scope, EventPosition last)
    {
        var payload = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(payload, last.Tx);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(8), last.Id);
        return Seal(workspace, scope, payload);
    }

    public EventPosition? ReadPositionToken(string workspace, string scope, string token)
    {
        if (token.Length == 0)
        {
            return null;
        }
        var payload = Open(workspace, scope, token, "page_token", 16);
        return new EventPosition(BinaryPrimitives.ReadInt64BigEndian(payload), BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(8)));
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

    /// <summary>A token carrying a feature's own position (<paramref name="payload"/>), signed and bound to
    /// the workspace and <paramref name="scope"/> (e.g. a query's fingerprint).</summary>
    public string Token(string workspace, string scope, byte[] payload) => Seal(workspace, scope, payload);

    /// <summary>The payload of a <see cref="Token"/>; INVALID_ARGUMENT naming <paramref name="field"/> when it is not one.</summary>
    public byte[] ReadToken(string workspace, string scope, string token, string field, int payloadLength) =>
        Open(workspace, scope, token, field, payloadLength);

    /// <summary>A watch cursor: the event's position encrypted (one AES block: the position of an event
    /// says how many events all workspaces wrote, which is none of a tenant's business), then signed
    /// for the workspace. Equal positions give equal cursors; cursors do not sort.</summary>
    public string Cursor(string workspace, EventPosition position)
    {
        var plain = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(plain, position.Tx);
        BinaryPrimitives.WriteInt64BigEndian(plain.AsSpan(8), position.Id);
        using var cipher = CursorCipher();
        return Seal(workspace, "cursor", cipher.EncryptEcb(plain, PaddingMode.None));
    }

    public EventPosition? ReadCursor(string workspace, string cursor, string fieldName = "after_cursor")
    {
        if (cursor.Length == 0)
        {
            return null;
        }
        if (IsLegacyCursor(workspace, cursor))
        {
            throw new PositionOutOfRangeException(fieldName,
                "this cursor predates the current event log; list the conversations again and watch from the present");
        }
        using var cipher = CursorCipher();
        var plain = cipher.DecryptEcb(Open(workspace, "cursor", cursor, fieldName, 16), PaddingMode.None);
        var position = new EventPosition(BinaryPrimitives.ReadInt64BigEndian(plain), BinaryPrimitives.ReadInt64BigEndian(plain.AsSpan(8)));
        return position.Tx >= 0 && position.Id >= 0
            ? position
            : throw new InvalidArgumentException(fieldName, "is not a token this service issued for this request; start again from the first page");
    }

    /// <summary>A cursor of the first event log, "event id in hex.signature", issued before events were
    /// ordered by (transaction, id): its place in today's log is unknown.</summary>
    private bool IsLegacyCursor(string workspace, string cursor) =>
        cursor.Split('.') is [{ Length: 16 } id, var signature]
        && TryDecode(signature, out var tag)
        && CryptographicOperations.FixedTimeEquals(tag, Sign(workspace, "cursor", Encoding.ASCII.GetBytes(id)));

    /// <summary>A keyset position (a sort value and an id) as a token.</summary>
    private string KeyToken(string workspace, string queryFingerprint, long value, Guid id)
    {
        var payload = new byte[24];
        BinaryPrimitives.WriteInt64BigEndian(payload, value);
        id.TryWriteBytes(payload.AsSpan(8), bigEndian: true, out _);
        return Seal(workspace, queryFingerprint, payload);
    }

    private (long Value, Guid Id)? ReadKeyToken(string workspace, string queryFingerprint, string token)
    {
        if (token.Length == 0)
        {
            return null;
        }
        var payload = Open(workspace, queryFingerprint, token, "page_token", 24);
        return (BinaryPrimitives.ReadInt64BigEndian(payload), new Guid(payload.AsSpan(8), bigEndian: true));
    }

    private Aes CursorCipher()
    {
        var aes = Aes.Create();
        aes.Key = HMACSHA256.HashData(SigningKey, "cursor-encryption"u8);
        return aes;
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

    private byte[] SigningKey => key ?? throw new InvalidOperationException("TokenCodec used before StartAsync");

    private byte[] Sign(string workspace, string scope, byte[] payload)
    {
        var signingKey = SigningKey;
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
