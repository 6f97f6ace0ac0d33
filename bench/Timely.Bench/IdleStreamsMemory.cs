using Timely.Conversations.V1;

namespace Timely.Bench;

/// <summary>The server's resident memory before, with and after 10,000 idle open streams.</summary>
public static class IdleStreamsMemory
{
    /// <param name="BeforeFileBytes">The part of <paramref name="BeforeBytes"/> that maps files (assemblies, the runtime).</param>
    /// <param name="OpenAfterDumpBytes">With the streams open, after <c>whileOpen</c> (a heap dump collects the heap in full); else 0.</param>
    public sealed record Result(int Streams, long BeforeBytes, long OpenBytes, long AfterBytes, long BeforeFileBytes = 0, long OpenAfterDumpBytes = 0)
    {
        public double PerStreamKiB => (OpenBytes - BeforeBytes) / 1024.0 / Streams;
    }

    /// <summary>Half the streams follow one conversation each (StreamMessages over 100 conversations),
    /// half watch the workspace (WatchConversations): the two kinds a deployment holds open. <paramref name="whileOpen"/>
    /// runs once the open figure is taken, before the streams close (e.g. a heap dump).</summary>
    public static async Task<Result> RunAsync(ServerUnderTest server, int streams, Func<Task>? whileOpen = null)
    {
        var client = server.NewClient();
        var conversations = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            var c = (await client.CreateConversationAsync(new CreateConversationRequest
            {
                AgentId = Guid.NewGuid().ToString(), ChannelId = Guid.NewGuid().ToString(), ContactId = Guid.NewGuid().ToString(),
            })).Conversation;
            await client.SendMessageAsync(new SendMessageRequest { ConversationId = c.Id, SenderType = SenderType.Customer, Content = "hello" });
            conversations.Add(c.Id);
        }
        await Settle();
        var before = server.ResidentBytes();
        var beforeFile = server.ResidentFileBytes();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var readers = server.NewClient();
        var calls = new List<IDisposable>();
        for (var i = 0; i < streams; i++)
        {
            if (i % 2 == 0)
            {
                var call = readers.StreamMessages(new StreamMessagesRequest { ConversationId = conversations[i % 100] }, cancellationToken: timeout.Token);
                await call.ResponseStream.MoveNext(timeout.Token);   // open and live: the replayed message arrived
                calls.Add(call);
            }
            else
            {
                var call = readers.WatchConversations(new WatchConversationsRequest(), cancellationToken: timeout.Token);
                await call.ResponseHeadersAsync;
                calls.Add(call);
            }
        }
        await Settle();
        var open = server.ResidentBytes();
        var openAfterDump = 0L;
        if (whileOpen is not null)
        {
            await whileOpen();
            await Settle();
            openAfterDump = server.ResidentBytes();
        }

        calls.ForEach(c => c.Dispose());
        await Settle();
        var after = server.ResidentBytes();
        return new Result(streams, before, open, after, beforeFile, openAfterDump);
    }

    private static Task Settle() => Task.Delay(TimeSpan.FromSeconds(3));
}
