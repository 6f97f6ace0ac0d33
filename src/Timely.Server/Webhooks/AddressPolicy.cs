using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Timely.Server.Webhooks;

/// <summary>Which addresses and URLs webhooks may reach: no loopback, link-local (cloud metadata
/// 169.254.169.254 among them), private, shared (CGNAT), unspecified or multicast address unless
/// Webhooks:AllowPrivateNetworks; https unless Webhooks:AllowHttp. Checked when an endpoint is saved
/// and again for the address each connection actually goes to (<see cref="ConnectAsync"/>), so a name
/// that later resolves elsewhere (DNS rebinding) is refused too.</summary>
public sealed class AddressPolicy(IOptions<WebhookOptions> options)
{
    private static readonly IPNetwork[] Forbidden =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"),
        IPNetwork.Parse("224.0.0.0/3"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"), IPNetwork.Parse("fd00:ec2::254/128"),
    ];

    public bool Allows(IPAddress address)
    {
        if (options.Value.AllowPrivateNetworks)
        {
            return true;
        }
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !Forbidden.Any(n => n.Contains(a));
    }

    /// <summary>Why this URL cannot be an endpoint, or null when it can. A name that does not resolve
    /// now is accepted: each connection is checked anyway.</summary>
    public async Task<string?> RefusalAsync(Uri url, CancellationToken ct)
    {
        if (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && options.Value.AllowHttp))
        {
            return options.Value.AllowHttp ? "must be an http or https URL" : "must be an https URL";
        }
        if (url.UserInfo.Length > 0)
        {
            return "must not contain credentials";
        }
        if (options.Value.AllowPrivateNetworks)
        {
            return null;
        }
        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            return Allows(IPAddress.Parse(url.IdnHost.Trim('[', ']'))) ? null : "must not point to a loopback, link-local or private address";
        }
        if (url.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || url.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "must not point to a loopback, link-local or private address";
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var addresses = await Dns.GetHostAddressesAsync(url.IdnHost, timeout.Token);
            return addresses.All(Allows) ? null : "resolves to a loopback, link-local or private address";
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The SocketsHttpHandler.ConnectCallback of webhook requests: resolves the host, and
    /// connects only to an allowed address.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(Allows).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"refused: {host} resolves to a loopback, link-local or private address");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
