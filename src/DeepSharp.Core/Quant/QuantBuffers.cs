using System.Runtime.CompilerServices;

namespace DeepSharp.Core.Quant;

// Fixed-size arrays used inside the block structs. [InlineArray] keeps the blocks free of `unsafe fixed` buffers
// while giving them exactly the C layout (element type, count, no padding).
#pragma warning disable CA1815, IDE0044, IDE0051 // layout-only types: no equality, the single field is the storage

/// <summary>4 bytes (Q5_0/Q5_1 high bits, IQ4_XS low scales).</summary>
[InlineArray(4)] public struct QuantBytes4 { private byte _element0; }

/// <summary>12 bytes (packed 6-bit scales of Q3_K/Q4_K/Q5_K).</summary>
[InlineArray(12)] public struct QuantBytes12 { private byte _element0; }

/// <summary>16 bytes.</summary>
[InlineArray(16)] public struct QuantBytes16 { private byte _element0; }

/// <summary>32 bytes.</summary>
[InlineArray(32)] public struct QuantBytes32 { private byte _element0; }

/// <summary>64 bytes.</summary>
[InlineArray(64)] public struct QuantBytes64 { private byte _element0; }

/// <summary>128 bytes.</summary>
[InlineArray(128)] public struct QuantBytes128 { private byte _element0; }

/// <summary>16 signed bytes (Q6_K scales).</summary>
[InlineArray(16)] public struct QuantSBytes16 { private sbyte _element0; }

/// <summary>32 signed bytes (Q8_0/Q8_1 quants).</summary>
[InlineArray(32)] public struct QuantSBytes32 { private sbyte _element0; }

/// <summary>256 signed bytes (Q8_K quants).</summary>
[InlineArray(256)] public struct QuantSBytes256 { private sbyte _element0; }

/// <summary>16 signed 16-bit values (Q8_K group sums).</summary>
[InlineArray(16)] public struct QuantShorts16 { private short _element0; }

#pragma warning restore CA1815, IDE0044, IDE0051
