using System.Diagnostics.Metrics;
using Grpc.Core;
using Timely.Server.Domain;
using Timely.Server.Observability;

namespace Timely.Server.UnitTests.Observability;

/// <summary>The instruments on the hot path cost no allocation per call, even while a listener records them:
/// tags come from fixed sets of strings and boxed values, in a TagList.</summary>
public sealed class TimelyMetricsTests
{
    [Fact]
    public void RecordingOnTheHotPathAllocatesNothing()
    {
        // Only this instance's instruments (its meter factory's): other tests running meanwhile record their own.
        var factory = Examples.MeterFactory();
        var metrics = new TimelyMetrics(factory);
        var measurements = 0L;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == TimelyMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => measurements++);
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => measurements++);
        listener.SetMeasurementEventCallback<int>((_, _, _, _) => measurements++);
        listener.Start();

        void Calls()
        {
            metrics.CallEnded("/timely.conversations.v1.ConversationService/SendMessage", StatusCode.OK, TimeSpan.FromMilliseconds(2));
            metrics.CallEnded("/timely.conversations.v1.ConversationService/GetConversation", StatusCode.NotFound, TimeSpan.FromMilliseconds(1));
            metrics.MessageWritten(SenderType.AiAgent);
            metrics.StreamOpened(StreamKind.Messages);
            metrics.Delivered(StreamKind.Messages, TimeSpan.FromMilliseconds(3));
            metrics.StreamClosed(StreamKind.Messages);
            metrics.StoreTransaction(write: true, TimeSpan.FromMilliseconds(1));
            metrics.GroupCommitted(4);
            metrics.SweeperMoved(ConversationStatus.Waiting);
            metrics.RateLimited(LimitKind.Streams);
            metrics.WebhookSent(WebhookOutcome.Failed, TimeSpan.FromMilliseconds(5));
            metrics.WebhookEndpointDisabled();
        }

        Calls(); // first use: method names split, delegates cached
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Calls();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001 * 12, measurements);
    }
}
