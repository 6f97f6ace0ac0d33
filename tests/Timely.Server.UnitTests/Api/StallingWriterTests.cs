using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Timely.Server.Api;
using Timely.Server.Domain;

namespace Timely.Server.UnitTests.Api;

/// <summary>Api/StallingWriter.cs: a stream given up on (stalled, or ended while a write waited) does not let its call end
/// while that write is in flight: it waits for the client to read it, and resets the stream when the client does not
/// (Kestrel reuses a stream's objects for the connection's next stream, which a late write would break).</summary>
public sealed class StallingWriterTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task AStalledStreamWaitsForItsClientToReadTheWriteItGaveUpOn()
    {
        var transport = new Transport();
        var writer = transport.Writer(resetAfter: TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<SubscriberStalledException>(() => writer.WriteAsync("blocked", CancellationToken.None));
        var ending = writer.DisposeAsync().AsTask();
        await Task.Delay(200);
        Assert.False(ending.IsCompleted);   // the call cannot end yet: its write is still in flight

        transport.Pending.SetResult();       // the client reads again
        await ending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(transport.Aborted);     // the status follows what was sent
    }

    [Fact]
    public async Task AStalledStreamWhoseClientStillDoesNotReadIsReset()
    {
        var transport = new Transport();
        var writer = transport.Writer(resetAfter: TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAsync<SubscriberStalledException>(() => writer.WriteAsync("blocked", CancellationToken.None));
        await writer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(transport.Aborted);
        Assert.True(transport.Pending.Task.IsCompleted);   // the reset failed the write before the call ended
    }

    [Fact]
    public async Task AStreamEndedWhileAWriteWaitsIsResetAtOnce()
    {
        var transport = new Transport();
        var writer = transport.Writer(resetAfter: TimeSpan.FromMinutes(1), stall: TimeSpan.FromMinutes(1));
        using var shutdown = new CancellationTokenSource(Stall);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteAsync("blocked", shutdown.Token));
        await writer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(transport.Aborted);
        Assert.True(transport.Pending.Task.IsCompleted);
    }

    [Fact]
    public async Task AStreamWhoseWritesAllCompletedEndsWithoutWaiting()
    {
        var transport = new Transport { Immediate = true };
        var writer = transport.Writer(resetAfter: TimeSpan.FromMinutes(1));

        await writer.WriteAsync("taken", CancellationToken.None);
        await writer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1));

        Assert.False(transport.Aborted);
    }

    /// <summary>The transport under the writer: a write waits until <see cref="Pending"/> completes, as one blocked by
    /// flow control does, and aborting the request fails it, as Kestrel's reset of the stream does.</summary>
    private sealed class Transport : IServerStreamWriter<string>, IHttpRequestLifetimeFeature
    {
        public TaskCompletionSource Pending { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Immediate { get; init; }

        public bool Aborted { get; private set; }

        public WriteOptions? WriteOptions { get; set; }

        public CancellationToken RequestAborted { get; set; }

        public StallingWriter<string> Writer(TimeSpan resetAfter, TimeSpan? stall = null)
        {
            var http = new DefaultHttpContext();
            http.Features.Set<IHttpRequestLifetimeFeature>(this);
            return new StallingWriter<string>(this, http, stall ?? Stall, resetAfter, () => new SubscriberStalledException("after_sequence", "stalled"));
        }

        public Task WriteAsync(string message) => Immediate ? Task.CompletedTask : Pending.Task;

        public void Abort()
        {
            Aborted = true;
            Pending.TrySetException(new IOException("the stream was reset"));
        }
    }
}
