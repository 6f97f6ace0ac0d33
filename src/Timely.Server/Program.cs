using Timely.Server.Api;
using Timely.Server.Auth;
using Timely.Server.DataLifecycle;
using Timely.Server.Feeds;
using Timely.Server.Hosting;
using Timely.Server.Http;
using Timely.Server.Inactivity;
using Timely.Server.Observability;
using Timely.Server.Storage;
using Timely.Server.Webhooks;

// Settings and pages live next to the program: run from elsewhere (`dotnet /opt/timely/timely-server.dll`),
// it still finds them. Relative data paths stay relative to the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = File.Exists("appsettings.json") ? null : AppContext.BaseDirectory,
});

if (HealthCommand.Matches(args))
{
    return await HealthCommand.RunAsync(builder.Configuration, args, Console.Out, Console.Error);
}

builder.Services.AddObservability(builder.Configuration);
builder.Services.AddConversationStore(builder.Configuration);
builder.Services.AddFeeds(builder.Configuration);
builder.Services.AddInactivityRules(builder.Configuration);
builder.Services.AddApiKeys(builder.Configuration);
builder.Services.AddConversationApi(builder.Configuration);
builder.Services.AddWebhooks(builder.Configuration);
builder.Services.AddDataLifecycle(builder.Configuration);
builder.Services.AddGracefulShutdown(builder.Configuration);
builder.Services.AddHttpApi(builder.Configuration);

var app = builder.Build();
if (KeysCommand.Matches(args))
{
    return await KeysCommand.RunAsync(app.Services, args, Console.Out, Console.Error);
}
app.UseMetricsEndpoint();
app.MapConversationApi();
app.MapHttpApi();
app.MapWebhooks();
app.MapDataLifecycle();
app.Run();
return 0;

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
