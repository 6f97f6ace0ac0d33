using Google.Protobuf;
using Grpc.Net.Client;
using Timely.Conversations.V1;
using Timely.Server.Tests.Infrastructure;
using static Timely.Server.Tests.Infrastructure.Fixtures;

namespace Timely.Server.Tests.Conversations;

/// <summary>Pages are bounded in bytes as well as in items: a client with gRPC's default 4 MiB receive
/// limit lists the largest messages the service accepts, page after page, with nothing skipped.</summary>
public sealed class PageBytesTests(TimelyServer server) : IClassFixture<TimelyServer>
{
    private const int PageBudget = 3 * 1024 * 1024;

    [Theory]
    [InlineData(0)]     // the default page size, 50
    [InlineData(500)]   // the largest: the read itself stops at the page's bytes, and the page says more follow
    public async Task MaximumSizeMessagesArePagedUnderTheDefaultReceiveLimit(int pageSize)
    {
        var conversation = await server.Client.CreateAsync();
        await Task.WhenAll(Enumerable.Range(0, 5).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await server.Client.SendMessageAsync(LargestMessage(conversation.Id));
            }
        })));

        using var defaults = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");   // 4 MiB receive limit
        var client = server.ClientWith(server.AdminKey, defaults);
        var sequences = new List<long>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await client.ListMessagesAsync(new ListMessagesRequest { ConversationId = conversation.Id, PageSize = pageSize, PageToken = token });
            Assert.InRange(page.CalculateSize(), 1, PageBudget + 1024);
            sequences.AddRange(page.Messages.Select(m => m.Sequence));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0 && pages < 10);

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), sequences);
        Assert.True(pages >= 3, $"50 messages of ~130 KB need at least 3 pages of 3 MiB, not {pages}");
    }

    /// <summary>32 KB of content and 32 metadata values of 1,024 characters, each 3 bytes in UTF-8.</summary>
    private static SendMessageRequest LargestMessage(string conversationId)
    {
        var request = new SendMessageRequest
        {
            ConversationId = conversationId, SenderType = SenderType.Customer, Content = new string('€', 32 * 1024 / 3),
        };
        for (var i = 0; i < 32; i++)
        {
            request.Metadata[$"key-{i}".PadRight(64, 'k')] = new string('€', 1024);
        }
        Assert.InRange(request.CalculateSize(), 128 * 1024, 1024 * 1024);
        return request;
    }
}
