using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Timely.Server.Domain;
using Timely.Server.Observability;

namespace Timely.Server.UnitTests;

/// <summary>Domain values to start a test from: one conversation with known ids, in any status; and the
/// service's instruments, for the parts that record them.</summary>
public static class Examples
{
    /// <summary>The service's instruments on a meter factory of their own.</summary>
    public static TimelyMetrics Metrics() => new(MeterFactory());

    /// <summary>A meter factory of its own: its meters' Scope tells its instruments from other tests'.</summary>
    public static IMeterFactory MeterFactory() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    /// <summary>A well-formed id for requests.</summary>
    public const string Uuid = "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a79";

    /// <summary>The signing key of the token codecs under test.</summary>
    public static readonly byte[] TokenKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    public static readonly DateTimeOffset Created = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    public static readonly DateTimeOffset Now = Created.AddHours(1);
    public static readonly Guid Agent = Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a01");
    public static readonly Guid Contact = Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a02");
    public static readonly Guid FirstHuman = Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a03");
    public static readonly Guid SecondHuman = Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a04");

    /// <summary>A conversation in <paramref name="status"/>, owned by <see cref="FirstHuman"/> when human,
    /// closed at <see cref="Created"/> when closed, with <paramref name="lastSequence"/> messages.</summary>
    public static Conversation Conversation(ConversationStatus status = ConversationStatus.Open, long lastSequence = 0) => new(
        Id: Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a00"),
        Workspace: "acme",
        AgentId: Agent,
        ChannelId: Guid.Parse("0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a05"),
        ContactId: Contact,
        Status: status,
        AssignedTo: status == ConversationStatus.Human ? FirstHuman : null,
        Subject: "Order #1234",
        Tags: ["billing", "vip"],
        CreatedAt: Created,
        ClosedAt: status == ConversationStatus.Closed ? Created : null,
        LastMessageAt: lastSequence > 0 ? Created : null,
        LastSenderType: lastSequence > 0 ? SenderType.Customer : null,
        LastSequence: lastSequence,
        Version: 7);

    public static NewMessage Text(SenderType sender, Guid? senderId = null, string content = "hello") =>
        new(sender, senderId, content, MessageType.Text, "", "", new Dictionary<string, string>());
}
