using Timely.Testing;

namespace Timely.Server.UnitTests.Contract;

/// <summary>scripts/contract.sh, the check the test script runs, on scratch copies of the protos: it
/// refuses what breaks released clients with buf's own message and lets additions through.</summary>
public sealed class ContractCheckTests : IDisposable
{
    private const string ConversationProto = "protos/timely/conversations/v1/conversation.proto";
    private const string SubjectField = "string subject = 7;";

    private readonly string _scratch = Directory.CreateTempSubdirectory("timely-contract-").FullName;

    public ContractCheckTests()
    {
        foreach (var folder in new[] { "protos", "protos-third-party" })
        {
            CopyFolder(Path.Combine(Repository.Root, folder), Path.Combine(_scratch, folder));
        }
        File.Copy(Path.Combine(Repository.Root, "buf.yaml"), Path.Combine(_scratch, "buf.yaml"));
    }

    [Fact]
    public async Task TheCommittedContractPasses()
    {
        var (exitCode, output) = await ContractScript();
        Assert.True(exitCode == 0, output);
        Assert.Contains("compatible with protos/baseline/v1.binpb", output);
    }

    [Fact]
    public async Task RenamingAFieldFailsWithBufsMessage()
    {
        Edit(SubjectField, "string title = 7;");
        var (exitCode, output) = await ContractScript();
        Assert.Equal(1, exitCode);
        Assert.Contains("Field \"7\" on message \"Conversation\" changed name from \"subject\" to \"title\".", output);
        Assert.Contains("The contract breaks released clients", output);
    }

    [Fact]
    public async Task ChangingAFieldNumberFailsWithBufsMessage()
    {
        Edit(SubjectField, "string subject = 70;");
        var (exitCode, output) = await ContractScript();
        Assert.Equal(1, exitCode);
        Assert.Contains("Previously present field \"7\" with name \"subject\" on message \"Conversation\" was deleted without reserving the number \"7\".", output);
    }

    [Fact]
    public async Task AddingAFieldPasses()
    {
        Edit(SubjectField, SubjectField + "\n  string added_in_a_later_release = 900;");
        var (exitCode, output) = await ContractScript();
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task TheReleaseStepMakesTheCurrentContractTheBaseline()
    {
        Edit(SubjectField, SubjectField + "\n  string added_in_a_later_release = 900;");
        var (released, releaseOutput) = await ContractScript("baseline");
        Assert.True(released == 0, releaseOutput);

        // Once released, the added field is part of the contract: taking it away breaks it.
        Edit("\n  string added_in_a_later_release = 900;", "");
        var (exitCode, output) = await ContractScript();
        Assert.Equal(1, exitCode);
        Assert.Contains("\"added_in_a_later_release\"", output);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private void Edit(string from, string to)
    {
        var path = Path.Combine(_scratch, ConversationProto);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }

    private Task<(int ExitCode, string Output)> ContractScript(params string[] mode) =>
        Script.RunAsync(Path.Combine(Repository.Root, "scripts/contract.sh"), [.. mode, _scratch]);

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
