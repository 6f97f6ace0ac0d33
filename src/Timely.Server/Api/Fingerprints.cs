using System.Security.Cryptography;
using Google.Protobuf;

namespace Timely.Server.Api;

/// <summary>A stable hash of what a request asks for, to bind request ids and page tokens to it.</summary>
public static class Fingerprints
{
    public static string Of(string scope, IMessage request)
    {
        var bytes = request.ToByteArray();
        var scoped = new byte[bytes.Length + scope.Length * 3 + 1];
        var written = System.Text.Encoding.UTF8.GetBytes(scope, scoped);
        scoped[written] = 0;
        bytes.CopyTo(scoped, written + 1);
        return Convert.ToHexStringLower(SHA256.HashData(scoped.AsSpan(0, written + 1 + bytes.Length)));
    }
}
