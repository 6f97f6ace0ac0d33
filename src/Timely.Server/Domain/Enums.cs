namespace Timely.Server.Domain;

// The domain's own enums: the proto enums stay at the API edge (Api/ProtoMapping.cs).
// The numeric values are what the database stores; never renumber them.

public enum ConversationStatus
{
    Open = 1,
    Human = 2,
    Closed = 3,
    Waiting = 4,
}

public enum SenderType
{
    Customer = 1,
    AiAgent = 2,
    HumanAgent = 3,
    System = 4,
}

public enum MessageType
{
    Text = 1,
    Image = 2,
    Audio = 3,
    Video = 4,
    Document = 5,
}

public enum ConversationEventType
{
    Created = 1,
    StatusChanged = 2,
    Updated = 3,
    MessageAdded = 4,
    ReplyDraft = 5,     // live only, never stored
    AgentActivity = 6,  // live only, never stored

    /// <summary>The conversation was erased (DataLifecycle/); its earlier events become tombstones of this type.</summary>
    Erased = 20,
    MessageStatusChanged = 10,
    MessageEdited = 11,
    MessageRedacted = 12,
    ReadHorizonChanged = 13,
}
