using System.Globalization;
using System.Text;

namespace Timely.Server.Domain;

// Errors the domain and the store raise; Api/ErrorMapping.cs turns each into a gRPC status.

/// <summary>One bad field of a request (becomes a google.rpc.BadRequest field violation).</summary>
public sealed record FieldViolation(string Field, string Description);

/// <summary>Bad input (INVALID_ARGUMENT). However many violations a request has, and however long,
/// the error stays short: the first ones (at most <see cref="Limits.MaxReportedViolations"/>, at most
/// <see cref="Limits.MaxErrorDetailBytes"/>), each cut to length, then one that counts the rest.</summary>
public sealed class InvalidArgumentException : Exception
{
    public InvalidArgumentException(IReadOnlyList<FieldViolation> violations)
        : this(Bounded(violations)) { }

    public InvalidArgumentException(string field, string description)
        : this([new FieldViolation(field, description)]) { }

    private InvalidArgumentException(List<FieldViolation> bounded)
        : base(Limits.Cut(string.Join("; ", bounded.Select(v => $"{v.Field}: {v.Description}")), Limits.MaxErrorMessageLength, "…")) =>
        Violations = bounded;

    public IReadOnlyList<FieldViolation> Violations { get; }

    private static List<FieldViolation> Bounded(IReadOnlyList<FieldViolation> violations)
    {
        var bounded = new List<FieldViolation>();
        var bytes = 0;
        foreach (var v in violations)
        {
            var cut = new FieldViolation(
                Limits.Cut(v.Field, Limits.MaxViolationFieldLength, "…"),
                Limits.Cut(v.Description, Limits.MaxViolationDescriptionLength, "…"));
            bytes += Encoding.UTF8.GetByteCount(cut.Field) + Encoding.UTF8.GetByteCount(cut.Description);
            if (bounded.Count == Limits.MaxReportedViolations || bytes > Limits.MaxErrorDetailBytes)
            {
                // Named after the first field left out, so it reads as a violation like the others.
                var rest = violations.Count - bounded.Count;
                bounded.Add(cut with
                {
                    Description = string.Format(CultureInfo.InvariantCulture,
                        "and {0:N0} more {1} not listed here, from this field on", rest, rest == 1 ? "violation" : "violations"),
                });
                break;
            }
            bounded.Add(cut);
        }
        return bounded;
    }
}

public sealed class NotFoundException(string message) : Exception(message)
{
    public static NotFoundException Conversation(Guid id) => new($"conversation {id} not found");
}

/// <summary>A status change or message the lifecycle does not allow (FAILED_PRECONDITION).</summary>
public sealed class TransitionRefusedException(string reason, ConversationStatus current, string message)
    : Exception(message)
{
    /// <summary>Stable, UPPER_SNAKE_CASE reason clients can switch on.</summary>
    public string Reason { get; } = reason;
    public ConversationStatus Current { get; } = current;
}

/// <summary>The caller's etag is stale (ABORTED): re-read and retry.</summary>
public sealed class EtagMismatchException(string message) : Exception(message);

/// <summary>A stream position outside what the server holds (OUT_OF_RANGE).</summary>
public sealed class PositionOutOfRangeException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A live stream's client stopped reading for longer than the server waits (RESOURCE_EXHAUSTED, reason
/// <see cref="Reason"/>): the stream was ended, and the client resumes from the last position it received
/// (<see cref="ResumeFrom"/>, the request fields to set). Nothing is lost.</summary>
public sealed class SubscriberStalledException(string resumeFrom, string message) : Exception(message)
{
    public const string Reason = "SUBSCRIBER_STALLED";

    public string ResumeFrom { get; } = resumeFrom;
}

/// <summary>The database cannot be reached right now (UNAVAILABLE): retry later.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>The caller's key may not do this (PERMISSION_DENIED), e.g. a key bound to one human agent
/// writing as someone else. <see cref="Reason"/> is stable, UPPER_SNAKE_CASE.</summary>
public sealed class PermissionDeniedException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
