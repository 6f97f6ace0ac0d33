using Grpc.Core;
using Timely.Conversations.V1;

namespace Timely.Client.Tests;

/// <summary>A caller that cancels a resuming stream gets OperationCanceledException, whatever status the call ended
/// with as it cancelled. Through a load balancer, a replica killed just as the caller cancels resets the stream, which
/// comes as UNAVAILABLE ("the request was aborted"), not CANCELLED; the rolling restart test saw it. That race cannot be
/// timed against a real server, so the call here is one whose read cancels the caller's token and then fails.</summary>
public sealed class StreamCancellationTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Cancelled)]
    [InlineData(StatusCode.ResourceExhausted)]
    public async Task CancellingEndsTheStreamWithOperationCanceledWhateverStatusTheCallEndedWith(StatusCode status)
    {
        using var cancel = new CancellationTokenSource();
        var opened = 0;
        var items = ResumingStream.Read<StreamMessagesRequest, StreamMessagesResponse, Message>(
            (_, _) =>
            {
                opened++;
                return new AsyncServerStreamingCall<StreamMessagesResponse>(
                    new CancellingReader(cancel, new RpcException(new Status(status, "Error reading next message. IOException: The request was aborted."))),
                    Task.FromResult(new Metadata()), () => new Status(status, ""), () => [], () => { });
            },
            new StreamMessagesRequest { ConversationId = Guid.NewGuid().ToString() },
            (_, response) => response.Message,
            TimeSpan.FromSeconds(1),
            cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in items)
            {
            }
        });
        Assert.Equal(1, opened);   // not reopened after the caller cancelled
    }

    /// <summary>A response stream whose first read cancels the caller's token, then fails with <paramref name="failure"/>.</summary>
    private sealed class CancellingReader(CancellationTokenSource caller, RpcException failure) : IAsyncStreamReader<StreamMessagesResponse>
    {
        public StreamMessagesResponse Current => throw new InvalidOperationException("no item was read");

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            await caller.CancelAsync();
            throw failure;
        }
    }
}
