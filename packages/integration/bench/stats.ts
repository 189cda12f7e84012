/** Arithmetic mean of gas figures (bigint in, number out: fractions of gas matter for slopes). */
export function mean(values: readonly bigint[]): number {
  if (values.length === 0) throw new RangeError("mean of no values");
  return values.reduce((sum, v) => sum + Number(v), 0) / values.length;
}

/** Least-squares line y = intercept + slope·x. */
export function leastSquares(points: readonly { x: number; y: number }[]): {
  slope: number;
  intercept: number;
} {
  if (points.length < 2) throw new RangeError("a line needs at least two points");
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  if (sxx === 0) throw new RangeError("all x values are equal");
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Gas as a grouped integer string: 159,908. */
export function gas(value: number | bigint | undefined): string {
  if (value === undefined) return "—";
  return Math.round(Number(value)).toLocaleString("en-US");
}
