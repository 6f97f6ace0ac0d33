using Timely.Server.Domain;

namespace Timely.Server.Auth;

/// <summary>A key created for one human agent (`keys create --agent ID`) acts only as that agent: it
/// writes messages as that human agent (sender_id that agent, or empty for it), hands conversations off
/// only to that agent (assigned_to that agent, or empty for it), and does not write as a customer or an
/// AI agent. Everything else a key of its scope may do, it may do.</summary>
public static class AgentBinding
{
    public const string Reason = "KEY_BOUND_TO_AGENT";

    /// <summary>The sender id of a message written with a key bound to <paramref name="agent"/>.</summary>
    public static Guid Writer(Guid agent, SenderType sender, Guid? senderId) =>
        sender == SenderType.HumanAgent && (senderId ?? agent) == agent
            ? agent
            : throw Refusal(agent, "writes only as that human agent (sender_type HUMAN_AGENT, sender_id that agent or empty)");

    /// <summary>The human a key bound to <paramref name="agent"/> hands a conversation off to.</summary>
    public static Guid TakingOver(Guid agent, Guid? assignedTo) =>
        (assignedTo ?? agent) == agent ? agent : throw Refusal(agent, "hands conversations off only to that agent");

    public static PermissionDeniedException Refusal(Guid agent, string what) =>
        new(Reason, $"this API key belongs to human agent {agent} and {what}");
}
