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

    // Repeated fields: each count is checked before any element is read, so a request of a million
    // entries costs one comparison and gives one violation.

    /// <summary>Entries of a status filter, repeats included (there are only four statuses; repeats count once).</summary>
    public const int MaxStatusFilterEntries = 16;

    /// <summary>Paths of an update mask (only subject, tags and * are updatable).</summary>
    public const int MaxUpdateMaskPaths = 10;

    // Errors: however bad a request, its INVALID_ARGUMENT stays well inside the headers every HTTP/2
    // client accepts (grpc-message and grpc-status-details-bin are trailers).

    /// <summary>Field violations listed in one error; past them, one more violation says how many were left out.</summary>
    public const int MaxReportedViolations = 20;

    /// <summary>Characters of one violation's field path, and of its description.</summary>
    public const int MaxViolationFieldLength = 100;
    public const int MaxViolationDescriptionLength = 200;

    /// <summary>UTF-8 bytes of the fields and descriptions listed in one error (the count of the rest excepted).</summary>
    public const int MaxErrorDetailBytes = 4096;

    /// <summary>Characters of an error's message (it repeats the violations listed, cut here).</summary>
    public const int MaxErrorMessageLength = 1024;

    /// <summary>The automatic subject: the first non-empty line of the first customer message,
    /// trimmed to <see cref="AutoSubjectLength"/> characters.</summary>
    public static string AutoSubject(string content)
    {
        var firstLine = content.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return Cut(firstLine, AutoSubjectLength).TrimEnd();
    }

    /// <summary><paramref name="text"/> cut to at most <paramref name="length"/> characters, never
    /// splitting a surrogate pair; <paramref name="ellipsis"/> marks a cut (and counts in the length).</summary>
    public static string Cut(string text, int length, string ellipsis = "")
    {
        if (text.Length <= length)
        {
            return text;
        }
        var cut = length - ellipsis.Length;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }
        return text[..cut] + ellipsis;
    }
}
