namespace DeepSharp.Gguf;

/// <summary>Metadata value type ids, numbered exactly as the GGUF spec numbers them (<c>gguf_metadata_value_type</c>).</summary>
#pragma warning disable CA1028 // the ids are u32 on disk; keeping the enum u32 makes that explicit
#pragma warning disable CA1720 // the member names are the spec's type names
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}
#pragma warning restore CA1720
#pragma warning restore CA1028
