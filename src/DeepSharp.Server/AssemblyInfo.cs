[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("DeepSharp.Server.Tests")]
