using Timely.Server.Domain;
using static Timely.Server.UnitTests.Examples;

namespace Timely.Server.UnitTests.Domain;

/// <summary>Domain/Senders.cs: the one rule for a message's sender_id.</summary>
public sealed class SendersTests
{
    [Theory]
    [InlineData(SenderType.HumanAgent, true)]
    [InlineData(SenderType.Customer, false)]
    [InlineData(SenderType.AiAgent, false)]
    [InlineData(SenderType.System, false)]
    public void OnlyAHumanAgentMustNameThemself(SenderType sender, bool required) =>
        Assert.Equal(required, Senders.IdRequired(sender));

    [Fact]
    public void CustomerDefaultsToTheConversationsContact() =>
        Assert.Equal(Contact, Senders.Resolve(SenderType.Customer, null, Conversation()));

    [Fact]
    public void AiAgentDefaultsToTheConversationsAgent() =>
        Assert.Equal(Agent, Senders.Resolve(SenderType.AiAgent, null, Conversation()));

    [Theory]
    [InlineData(SenderType.Customer)]
    [InlineData(SenderType.AiAgent)]
    [InlineData(SenderType.HumanAgent)]
    public void AGivenIdIsKept(SenderType sender) =>
        Assert.Equal(SecondHuman, Senders.Resolve(sender, SecondHuman, Conversation()));

    [Fact]
    public void SystemMessageHasNoSender() =>
        Assert.Null(Senders.Resolve(SenderType.System, null, Conversation()));

    [Fact]
    public void SystemMessageHasNoSenderEvenWhenOneIsGiven() =>
        Assert.Null(Senders.Resolve(SenderType.System, SecondHuman, Conversation()));
}
