using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Timely.Server.Tests.Architecture;

/// <summary>The server's folders (Api, Domain, Storage, Feeds, Auth, ...) depend on each other in one
/// direction: Api -> Domain <- Storage <- Feeds, Auth standing alone. Dependencies are read from the
/// compiled server assembly (signatures and method bodies), so fully qualified names count too.</summary>
public sealed class FolderDependencyTests
{
    private static readonly Dictionary<string, HashSet<string>> Dependencies = ReadDependencies();

    [Fact]
    public void FoldersHaveNoDependencyCycle()
    {
        var cycle = FindCycle(Dependencies);
        Assert.True(cycle is null, $"folders depend on each other in a cycle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void DomainDependsOnNoOtherFolder() => Assert.Empty(Dependencies.GetValueOrDefault("Domain", []));

    [Theory]
    [InlineData("Storage", "Api")]
    [InlineData("Storage", "Feeds")]
    [InlineData("Storage", "Auth")]
    [InlineData("Auth", "Api")]
    [InlineData("Auth", "Feeds")]
    [InlineData("Feeds", "Api")]
    public void FolderDoesNotUseAnotherOne(string folder, string forbidden) =>
        Assert.DoesNotContain(forbidden, Dependencies.GetValueOrDefault(folder, []));

    [Fact]
    public void TheCheckSeesDependencies()
    {
        // Guards the test itself: a reader that saw nothing would pass every check above.
        Assert.Contains("Domain", Dependencies["Api"]);
        Assert.Contains("Storage", Dependencies["Feeds"]);
        Assert.Contains("Storage", Dependencies["Auth"]);
        Assert.Equal(["a", "b", "a"], FindCycle(new() { ["a"] = ["b"], ["b"] = ["a"] }));
    }

    /// <summary>Folder -> the other folders its types use.</summary>
    private static Dictionary<string, HashSet<string>> ReadDependencies()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(Program).Assembly.Location);
        var dependencies = new Dictionary<string, HashSet<string>>();
        foreach (var type in assembly.MainModule.GetTypes())
        {
            if (Folder(type) is not { } from)
            {
                continue;
            }
            var used = dependencies.TryGetValue(from, out var set) ? set : dependencies[from] = [];
            foreach (var to in Referenced(type).SelectMany(Signature).Select(Folder).OfType<string>().Where(to => to != from))
            {
                used.Add(to);
            }
        }
        return dependencies;
    }

    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        if (type.BaseType is not null) yield return type.BaseType;
        foreach (var i in type.Interfaces) yield return i.InterfaceType;
        foreach (var f in type.Fields) yield return f.FieldType;
        foreach (var p in type.Properties) yield return p.PropertyType;
        foreach (var m in type.Methods)
        {
            yield return m.ReturnType;
            foreach (var p in m.Parameters) yield return p.ParameterType;
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) yield return v.VariableType;
            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t: yield return t; break;
                    case MemberReference member when member.DeclaringType is not null:
                        yield return member.DeclaringType;
                        if (member is MethodReference method)
                        {
                            yield return method.ReturnType;
                            foreach (var p in method.Parameters) yield return p.ParameterType;
                        }
                        break;
                }
            }
        }
    }

    /// <summary>A function pointer's type (Storage/Sqlite/BufferedWalVfs.cs) is the types of its signature; any other, itself.</summary>
    private static IEnumerable<TypeReference> Signature(TypeReference type)
    {
        var element = type;
        while (element is TypeSpecification { ElementType: { } inner })
        {
            element = inner;
        }
        return element is FunctionPointerType pointer
            ? pointer.Parameters.Select(p => p.ParameterType).Prepend(pointer.ReturnType).SelectMany(Signature)
            : [type];
    }

    /// <summary>The server folder of a type ("Storage" for Timely.Server.Storage.Sqlite.X), or null outside them.</summary>
    private static string? Folder(TypeReference type)
    {
        while (type is TypeSpecification spec) type = spec.ElementType;
        if (type is GenericInstanceType generic) type = generic.ElementType;
        while (type.DeclaringType is not null) type = type.DeclaringType;
        const string root = "Timely.Server.";
        return type.Namespace.StartsWith(root, StringComparison.Ordinal) ? type.Namespace[root.Length..].Split('.')[0] : null;
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            if (path.IndexOf(node) is var at and >= 0) return [.. path[at..], node];
            if (!done.Add(node)) return null;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, []))
            {
                if (Visit(next) is { } cycle) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            return null;
        }
        return graph.Keys.Order().Select(Visit).FirstOrDefault(c => c is not null);
    }
}
