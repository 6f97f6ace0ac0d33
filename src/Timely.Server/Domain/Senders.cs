namespace Timely.Server.Domain;

/// <summary>Who wrote a message: the one rule for <c>sender_id</c>. A human agent names themself (they
/// take over the conversation); a customer is the conversation's contact and an AI agent its agent
/// unless another id is given; a system message has no sender.</summary>
public static class Senders
{
    public static bool IdRequired(SenderType sender) => sender == SenderType.HumanAgent;

    public static Guid? Resolve(SenderType sender, Guid? given, Conversation conversation) => given ?? sender switch
    {
        SenderType.Customer => conversation.ContactId,
        SenderType.AiAgent => conversation.AgentId,
        _ => null,
    };
}
