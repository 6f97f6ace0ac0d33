using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Timely.Server.Domain;

namespace Timely.Server.Api;

/// <summary>Domain and store errors to gRPC statuses with google.rpc details (AIP-193), in one place.</summary>
public static class ErrorMapping
{
    public const string ErrorDomain = "timely.conversations.v1";

    /// <summary>The status for a known error, or null for an unexpected one (a bug: INTERNAL).</summary>
    public static RpcException? ToRpcException(Exception exception) => exception switch
    {
        InvalidArgumentException e => Build(Code.InvalidArgument, e.Message, BadRequest(e.Violations)),
        NotFoundException e => Build(Code.NotFound, e.Message),
        TransitionRefusedException e => Build(Code.FailedPrecondition, e.Message, new ErrorInfo
        {
            Reason = e.Reason,
            Domain = ErrorDomain,
            Metadata = { ["status"] = e.Current.ToString().ToLowerInvariant() },
        }),
        EtagMismatchException e => Build(Code.Aborted, e.Message),
        DraftIdleException e => Build(Code.DeadlineExceeded, e.Message),
        PermissionDeniedException e => Build(Code.PermissionDenied, e.Message, new ErrorInfo { Reason = e.Reason, Domain = ErrorDomain }),
        PositionOutOfRangeException e => Build(Code.OutOfRange, e.Message, BadRequest([new FieldViolation(e.Field, e.Message)])),
        SubscriberStalledException e => Build(Code.ResourceExhausted, e.Message, new ErrorInfo
        {
            Reason = SubscriberStalledException.Reason,
            Domain = ErrorDomain,
            Metadata = { ["resume_from"] = e.ResumeFrom },
        }),
        StoreUnavailableException e => Build(Code.Unavailable, e.Message, new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }),
        _ => null,
    };

    public static RpcException Build(Code code, string message, params Google.Protobuf.IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        foreach (var detail in details)
        {
            status.Details.Add(Any.Pack(detail));
        }
        return status.ToRpcException();
    }

    private static BadRequest BadRequest(IEnumerable<Domain.FieldViolation> violations)
    {
        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(violations.Select(v =>
            new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));
        return badRequest;
    }
}
