using System.Threading.Channels;
using Grpc.Core;

namespace Timely.Server.Tests.AiNative;

/// <summary>Reads a server stream in the background, so a test can wait for the next item that matches.</summary>
public sealed class LiveReader<T> : IAsyncDisposable
{
    private readonly Channel<(T Item, long At)> items = Channel.CreateUnbounded<(T, long)>();
    private readonly CancellationTokenSource stop = new(TimeSpan.FromSeconds(60));
    private readonly AsyncServerStreamingCall<T> call;
    private readonly Task reading;

    public LiveReader(Func<CancellationToken, AsyncServerStreamingCall<T>> open)
    {
        call = open(stop.Token);
        reading = Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(stop.Token))
                {
                    items.Writer.TryWrite((call.ResponseStream.Current, System.Diagnostics.Stopwatch.GetTimestamp()));
                }
                items.Writer.TryComplete();
            }
            catch (Exception e)
            {
                items.Writer.TryComplete(e);
            }
        });
    }

    /// <summary>Waits until the stream's headers arrived: everything after is delivered.</summary>
    public Task Subscribed => call.ResponseHeadersAsync;

    /// <summary>When the item last returned by <see cref="Next"/> arrived (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long LastArrival { get; private set; }

    /// <summary>The next item that matches (skipping the others), within <paramref name="seconds"/>.</summary>
    public async Task<T> Next(Func<T, bool> match, double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var (item, at) = await items.Reader.ReadAsync(timeout.Token);
            if (match(item))
            {
                LastArrival = at;
                return item;
            }
        }
    }

    /// <summary>Every item that arrives within <paramref name="seconds"/>.</summary>
    public async Task<List<T>> For(double seconds)
    {
        var all = new List<T>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (true)
            {
                all.Add((await items.Reader.ReadAsync(timeout.Token)).Item);
            }
        }
        catch (OperationCanceledException)
        {
            return all;
        }
        catch (ChannelClosedException)
        {
            return all;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await reading;
        }
        catch (OperationCanceledException)
        {
        }
        call.Dispose();
        stop.Dispose();
    }
}
