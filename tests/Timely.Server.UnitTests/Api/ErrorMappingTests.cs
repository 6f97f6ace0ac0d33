using Google.Rpc;
using Grpc.Core;
using Timely.Server.Api;
using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/ErrorMapping.cs: each domain exception becomes its gRPC status with the google.rpc details
/// clients act on.</summary>
public sealed class ErrorMappingTests
{
    [Fact]
    public void InvalidArgumentNamesEveryBadField()
    {
        var (code, status) = Map(new InvalidArgumentException([new("agent_id", "is required"), new("tags[1]", "repeats the tag \"a\"")]));
        Assert.Equal(StatusCode.InvalidArgument, code);
        Assert.Equal([("agent_id", "is required"), ("tags[1]", "repeats the tag \"a\"")],
            status.GetDetail<BadRequest>().FieldViolations.Select(v => (v.Field, v.Description)));
    }

    [Fact]
    public void NotFoundKeepsItsMessage()
    {
        var id = Guid.Parse(Uuid);
        var (code, status) = Map(NotFoundException.Conversation(id));
        Assert.Equal((StatusCode.NotFound, $"conversation {id} not found"), (code, status.Message));
    }

    [Fact]
    public void StalledSubscriberIsResourceExhaustedWithItsReasonAndTheFieldsToResumeFrom()
    {
        var (code, status) = Map(new SubscriberStalledException("after_cursor", "call WatchConversations again"));
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal(StatusCode.ResourceExhausted, code);
        Assert.Equal(("SUBSCRIBER_STALLED", "timely.conversations.v1", "call WatchConversations again"), (info.Reason, info.Domain, status.Message));
        Assert.Equal(new Dictionary<string, string> { ["resume_from"] = "after_cursor" }, info.Metadata);
    }

    [Fact]
    public void RefusedTransitionIsAFailedPreconditionWithItsReasonAndStatus()
    {
        var (code, status) = Map(new TransitionRefusedException("HUMAN_OWNS_CONVERSATION", ConversationStatus.Human, "the AI may not write"));
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal(StatusCode.FailedPrecondition, code);
        Assert.Equal(("HUMAN_OWNS_CONVERSATION", "timely.conversations.v1", "the AI may not write"), (info.Reason, info.Domain, status.Message));
        Assert.Equal(new Dictionary<string, string> { ["status"] = "human" }, info.Metadata);
    }

    [Fact]
    public void StaleEtagIsAborted() => Assert.Equal(StatusCode.Aborted, Map(new EtagMismatchException("stale")).Code);

    [Fact]
    public void PositionOutOfRangeNamesTheField()
    {
        var (code, status) = Map(new PositionOutOfRangeException("after_sequence", "past the end"));
        Assert.Equal(StatusCode.OutOfRange, code);
        Assert.Equal("after_sequence", Assert.Single(status.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public void UnreachableStoreIsUnavailableWithARetryDelay()
    {
        var (code, status) = Map(new StoreUnavailableException("down", new TimeoutException()));
        Assert.Equal(StatusCode.Unavailable, code);
        Assert.Equal(TimeSpan.FromSeconds(1), status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
    }

    [Fact]
    public void UnexpectedExceptionIsNotMapped() => Assert.Null(ErrorMapping.ToRpcException(new InvalidOperationException("a bug")));

    /// <summary>The status code and the google.rpc.Status (with its details) of the mapped exception.</summary>
    private static (StatusCode Code, Google.Rpc.Status Status) Map(Exception exception)
    {
        var rpc = ErrorMapping.ToRpcException(exception);
        Assert.NotNull(rpc);
        var status = rpc.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)rpc.StatusCode, status.Code);
        return (rpc.StatusCode, status);
    }
}
