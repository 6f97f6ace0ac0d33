namespace Timely.Server.Domain;

/// <summary>Who wrote a message: the one rule for <c>sender_id</c>. A human agent names themself (they
/// take over the conversation); a customer is the conversation's contact and an AI agent its agent
/// unless another id is given; a system message has no sender.</summary>
public static class Senders
{
    public static bool IdRequired(SenderType sender) => sender == SenderType.HumanAgent;

    public static Guid? Resolve(SenderType sender, Guid? given, Conversation conversation) => sender switch
    {
        SenderType.System => null,
        SenderType.Customer => given ?? conversation.ContactId,
        SenderType.AiAgent => given ?? conversation.AgentId,
        _ => given,
    };
}
