using System.Net;
using Microsoft.Extensions.Options;
using Timely.Server.Webhooks;

namespace Timely.Server.UnitTests.Webhooks;

/// <summary>The pure rules of webhooks: backoff, signatures, which addresses may be reached.</summary>
public sealed class WebhookRulesTests
{
    [Fact]
    public void RetryDelaysDoubleWithJitterUpToTheCap()
    {
        var first = TimeSpan.FromSeconds(5);
        var max = TimeSpan.FromHours(1);
        Assert.Equal(TimeSpan.FromSeconds(2.5), Backoff.Delay(1, first, max, random: 0));
        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.Delay(1, first, max, random: 1));
        Assert.Equal(TimeSpan.FromSeconds(10), Backoff.Delay(2, first, max, random: 1));
        Assert.Equal(TimeSpan.FromSeconds(20), Backoff.Delay(3, first, max, random: 1));
        Assert.Equal(max, Backoff.Delay(100, first, max, random: 1));
        Assert.Equal(max / 2, Backoff.Delay(int.MaxValue, first, max, random: 0));
    }

    [Fact]
    public void ASignatureIsTheStandardWebhooksHmacOfIdTimestampAndBody()
    {
        // The example of the Standard Webhooks specification's reference test suite.
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var signature = WebhookSignature.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}");
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
        Assert.Equal($"{signature} {WebhookSignature.Sign("whsec_" + Convert.ToBase64String(new byte[32]), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}")}",
            WebhookSignature.Header([secret, "whsec_" + Convert.ToBase64String(new byte[32])], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("fd00:ec2::254", false)]
    [InlineData("93.184.215.14", true)]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c", true)]
    public void OnlyPublicAddressesAreReachableByDefault(string address, bool allowed)
    {
        Assert.Equal(allowed, new AddressPolicy(Options.Create(new WebhookOptions())).Allows(IPAddress.Parse(address)));
        Assert.True(new AddressPolicy(Options.Create(new WebhookOptions { AllowPrivateNetworks = true })).Allows(IPAddress.Parse(address)));
    }
}
