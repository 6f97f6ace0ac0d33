namespace Timely.Server.Domain;

/// <summary>The limits documented in the proto comments, in one place.</summary>
public static class Limits
{
    public const int MaxContentBytes = 32 * 1024;
    public const int MaxSubjectLength = 200;
    public const int AutoSubjectLength = 80;
    public const int MaxTags = 20;
    public const int MaxTagLength = 64;
    public const int MaxMetadataEntries = 32;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 1024;
    public const int MaxMediaUrlLength = 2048;
    public const int MaxMediaTypeLength = 255;
    public const int MaxExternalIdLength = 256;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>A page stops before it would exceed this many bytes: under the 4 MiB that gRPC clients
    /// accept by default, with room for the rest of the response.</summary>
    public const int MaxPageBytes = 3 * 1024 * 1024;

    /// <summary>The automatic subject: the first non-empty line of the first customer message,
    /// trimmed to <see cref="AutoSubjectLength"/> characters (never splitting a surrogate pair).</summary>
    public static string AutoSubject(string content)
    {
        var firstLine = content.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        if (firstLine.Length <= AutoSubjectLength)
        {
            return firstLine;
        }
        var cut = AutoSubjectLength;
        if (char.IsHighSurrogate(firstLine[cut - 1]))
        {
            cut--;
        }
        return firstLine[..cut].TrimEnd();
    }
}
