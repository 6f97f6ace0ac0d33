using Timely.Server.Domain;

namespace Timely.Server.UnitTests.Domain;

/// <summary>Domain/Limits.cs: the automatic subject of a conversation.</summary>
public sealed class LimitsTests
{
    [Theory]
    [InlineData("Where is my order?", "Where is my order?")]
    [InlineData("  Where is my order?  \nIt is late.", "Where is my order?")]
    [InlineData("\n \r\n\t\nSecond line wins\nthird", "Second line wins")]
    [InlineData("Windows line\r\nnext", "Windows line")]
    [InlineData("", "")]
    [InlineData(" \n \n", "")]
    public void AutoSubjectIsTheFirstNonEmptyLineTrimmed(string content, string subject) =>
        Assert.Equal(subject, Limits.AutoSubject(content));

    [Fact]
    public void AutoSubjectKeepsALineOfExactlyTheLimit()
    {
        var line = new string('a', Limits.AutoSubjectLength);
        Assert.Equal(line, Limits.AutoSubject(line + "\nmore"));
    }

    [Fact]
    public void AutoSubjectCutsALongLineToTheLimit() =>
        Assert.Equal(new string('a', Limits.AutoSubjectLength), Limits.AutoSubject(new string('a', Limits.AutoSubjectLength + 1)));

    [Fact]
    public void AutoSubjectDropsTheSpaceBeforeTheCut() =>
        Assert.Equal(new string('a', 78), Limits.AutoSubject(new string('a', 78) + "  " + new string('b', 10)));

    [Fact]
    public void AutoSubjectNeverSplitsASurrogatePair()
    {
        // 79 characters, then an emoji (two UTF-16 units) across the 80-character limit.
        var subject = Limits.AutoSubject(new string('a', 79) + "😀 and more");
        Assert.Equal(new string('a', 79), subject);
    }

    [Fact]
    public void AutoSubjectKeepsASurrogatePairThatEndsAtTheLimit()
    {
        var subject = Limits.AutoSubject(new string('a', 78) + "😀 and more");
        Assert.Equal(new string('a', 78) + "😀", subject);
    }
}
