using System.Numerics;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>An exact fraction (arbitrary precision), so that checking "equals the target" never rounds.</summary>
internal readonly record struct Rational
{
    public BigInteger Numerator { get; }
    public BigInteger Denominator { get; }

    public Rational(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero)
            throw new DivideByZeroException();
        if (denominator.Sign < 0)
            (numerator, denominator) = (-numerator, -denominator);
        var gcd = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!gcd.IsZero && !gcd.IsOne)
            (numerator, denominator) = (numerator / gcd, denominator / gcd);
        Numerator = numerator;
        Denominator = denominator;
    }

    public static Rational FromInteger(BigInteger value) => new(value, BigInteger.One);

    public bool IsZero => Numerator.IsZero;

    public bool IsInteger => Denominator.IsOne;

    public static Rational operator +(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static Rational operator -(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator - b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static Rational operator *(Rational a, Rational b) =>
        new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

    public static Rational operator /(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

    public static Rational operator -(Rational a) => new(-a.Numerator, a.Denominator);

    public double ToDouble() => (double)Numerator / (double)Denominator;

    public override string ToString() => IsInteger ? Numerator.ToString() : $"{Numerator}/{Denominator}";
}
