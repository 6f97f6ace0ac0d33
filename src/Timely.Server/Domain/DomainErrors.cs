namespace Timely.Server.Domain;

// Errors the domain and the store raise; Api/ErrorMapping.cs turns each into a gRPC status.

/// <summary>One bad field of a request (becomes a google.rpc.BadRequest field violation).</summary>
public sealed record FieldViolation(string Field, string Description);

public sealed class InvalidArgumentException(IReadOnlyList<FieldViolation> violations)
    : Exception(string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")))
{
    public IReadOnlyList<FieldViolation> Violations { get; } = violations;

    public InvalidArgumentException(string field, string description)
        : this([new FieldViolation(field, description)]) { }
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

/// <summary>The database cannot be reached right now (UNAVAILABLE): retry later.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
