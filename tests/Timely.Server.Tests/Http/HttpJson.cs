using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Timely.Server.Tests.Infrastructure;

namespace Timely.Server.Tests.Http;

/// <summary>A plain HTTP client of the server's HTTP/JSON API, as cURL or a browser would call it: on the
/// web port (HTTP/1.1) or, with <paramref name="h2c"/>, on the gRPC port (HTTP/2 without TLS).</summary>
public sealed class HttpJson(TimelyServer server, string? key, bool h2c = false) : IDisposable
{
    private readonly HttpClient client = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{(h2c ? server.GrpcPort : server.WebPort)}"),
        DefaultRequestVersion = h2c ? HttpVersion.Version20 : HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public HttpClient Client
    {
        get
        {
            _ = server.Channel;   // starts the server
            return client;
        }
    }

    public HttpRequestMessage Request(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        return request;
    }

    /// <summary>Sends a request; returns the HTTP status and the JSON body.</summary>
    public async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        var response = await Client.SendAsync(Request(method, path, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{method} {path}: {(int)response.StatusCode} {text}");
        return (response.StatusCode, JsonNode.Parse(text)!, response);
    }

    /// <summary>A call that must succeed: its JSON body.</summary>
    public async Task<JsonNode> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, json, _) = await SendAsync(method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {json.ToJsonString()}");
        return json;
    }

    /// <summary>A call that must fail with <paramref name="expected"/>: its google.rpc.Status JSON, whose code
    /// must be <paramref name="code"/>.</summary>
    public async Task<JsonNode> FailsAsync(HttpStatusCode expected, Grpc.Core.StatusCode code, HttpMethod method, string path, object? body = null)
    {
        var (status, json, _) = await SendAsync(method, path, body);
        Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status} {json.ToJsonString()}");
        Assert.Equal((int)code, (int)json["code"]!);
        Assert.False(string.IsNullOrEmpty((string?)json["message"]));
        return json;
    }

    /// <summary>The detail of a google.rpc.Status JSON of type google.rpc.<paramref name="type"/>.</summary>
    public static JsonNode? Detail(JsonNode status, string type) =>
        status["details"]!.AsArray().FirstOrDefault(d => (string?)d!["@type"] == "type.googleapis.com/google.rpc." + type);

    /// <summary>The fields a google.rpc.BadRequest of the status names.</summary>
    public static List<string> BadFields(JsonNode status) =>
        Detail(status, "BadRequest")?["fieldViolations"]!.AsArray().Select(v => (string)v!["field"]!).ToList() ?? [];

    public void Dispose() => client.Dispose();
}
