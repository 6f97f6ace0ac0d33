using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Timely.Server.Observability;

/// <summary>The service's own spans (store transactions, feed fan-out) and the attributes it adds to the
/// span of each call. Spans cost nothing unless tracing is on (Tracing:Enabled, or an OTLP endpoint).</summary>
public static class TimelyTracing
{
    public const string SourceName = "Timely.Server";
    public const string WorkspaceAttribute = "timely.workspace";
    public const string ConversationAttribute = "timely.conversation.id";

    public static readonly ActivitySource Source = new(SourceName, Hosting.ServerVersion.Current);

    /// <summary>Tags the call's span with its workspace (never the key) and the conversation it is about, read
    /// from the request or, when the request does not name it (a new conversation), from the response.</summary>
    public static void TagCall(Activity? call, string? workspace, object? request, object? response)
    {
        // ASP.NET Core starts an activity for every request while logging is on (for the log's trace ids), traced
        // or not; its tags matter only when this service's spans are collected (its source has a listener).
        if (call is not { IsAllDataRequested: true } || !Source.HasListeners())
        {
            return;
        }
        call.SetTag(WorkspaceAttribute, workspace);
        if ((ConversationId(request) ?? ConversationId(response)) is { Length: > 0 } id)
        {
            call.SetTag(ConversationAttribute, id);
        }
    }

    /// <summary>The conversation id of a request or response: its conversation_id, its id (the custom
    /// methods), or its conversation's id.</summary>
    private static string? ConversationId(object? message) =>
        message is IMessage m ? Read(m, "conversation_id") ?? Read(m, "id") ?? (Field(m.Descriptor, "conversation") is { } c && c.Accessor.GetValue(m) is IMessage nested ? Read(nested, "id") : null) : null;

    private static string? Read(IMessage message, string name) =>
        Field(message.Descriptor, name)?.Accessor.GetValue(message) as string;

    private static FieldDescriptor? Field(MessageDescriptor descriptor, string name) => descriptor.FindFieldByName(name);
}
