using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Timely.Client;

/// <summary>The request ids the SDK makes for writes sent without one: UUIDv7 (RFC 9562), whose first 48 bits are the
/// time in milliseconds, so the service's index of request ids grows at its end instead of taking a page of its own
/// for every write (with random ids SQLite's writer spent 1.15-1.36x the CPU per message; bench/README.md,
/// 2026-12-04 (evening)). Made here rather than with <c>Guid.CreateVersion7</c>, which net8.0 lacks: one code path
/// for every target.</summary>
internal static class RequestIds
{
    public static string New() => New(DateTimeOffset.UtcNow);

    internal static string New(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[6..]);
        Span<byte> millis = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(millis, now.ToUnixTimeMilliseconds());
        millis[2..].CopyTo(bytes);                       // unix_ts_ms, 48 bits
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));     // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));     // variant 10
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
