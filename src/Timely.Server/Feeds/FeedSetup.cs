namespace Timely.Server.Feeds;

public static class FeedSetup
{
    /// <summary>Live delivery within this process: the change signals, the two feeds and event retention.</summary>
    public static IServiceCollection AddFeeds(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FeedOptions>()
            .Bind(configuration.GetSection(FeedOptions.Section))
            .Validate(o => o.EventRetention > TimeSpan.Zero, "Feeds:EventRetention must be positive")
            .Validate(o => o.PruneInterval > TimeSpan.Zero, "Feeds:PruneInterval must be positive")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Feeds:PollInterval must be positive")
            .Validate(o => o.PendingRecheck > TimeSpan.Zero, "Feeds:PendingRecheck must be positive")
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "Feeds:BatchSize must be between 1 and 10000")
            .Validate(o => o.MaxBatchBytes is >= 1024 and <= 256L * 1024 * 1024, "Feeds:MaxBatchBytes must be between 1024 and 268435456")
            .Validate(o => o.StalledSubscriberTimeout > TimeSpan.Zero, "Feeds:StalledSubscriberTimeout must be positive")
            .Validate(o => o.StalledStreamResetTimeout >= TimeSpan.Zero, "Feeds:StalledStreamResetTimeout must not be negative")
            .ValidateOnStart();
        services.AddSingleton<ChangeSignals>();
        services.AddSingleton<Storage.IChangeObserver>(sp => sp.GetRequiredService<ChangeSignals>());
        services.AddOptions<DraftOptions>()
            .Bind(configuration.GetSection(DraftOptions.Section))
            .Validate(o => o.IdleTimeout > TimeSpan.Zero, "Drafts:IdleTimeout must be positive")
            .ValidateOnStart();
        services.AddSingleton<LiveHub>();
        services.AddSingleton<Storage.ILiveObserver>(sp => sp.GetRequiredService<LiveHub>());
        services.AddSingleton<ReplyDrafts>();
        services.AddSingleton<MessageFeed>();
        services.AddSingleton<EventFeed>();
        services.AddHostedService<EventRetention>();
        services.AddHostedService<StoreGauges>();
        return services;
    }
}
