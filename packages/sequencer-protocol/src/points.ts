import {
  type G1Point,
  type G2Point,
  g1FromSolidity,
  g1ToSolidity,
  g2FromSolidity,
  g2ToSolidity,
} from "@avskit/bls";
import { z } from "zod";

/** A uint256 in JSON: decimal (as written by this library) or 0x hex. */
export const uintString = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77}|0x[0-9a-fA-F]{1,64})$/, "expected a decimal or 0x-hex unsigned integer");

export const g1Json = z.strictObject({ X: uintString, Y: uintString });
export const g2Json = z.strictObject({
  X: z.tuple([uintString, uintString]),
  Y: z.tuple([uintString, uintString]),
});

export interface G1Json {
  X: string;
  Y: string;
}
export interface G2Json {
  X: [string, string];
  Y: [string, string];
}

export function g1ToJson(point: G1Point): G1Json {
  const { X, Y } = g1ToSolidity(point);
  return { X: X.toString(), Y: Y.toString() };
}

export function g2ToJson(point: G2Point): G2Json {
  const { X, Y } = g2ToSolidity(point);
  return { X: [X[0].toString(), X[1].toString()], Y: [Y[0].toString(), Y[1].toString()] };
}

/** Throws InvalidPointError (from @avskit/bls) for off-curve, infinity or out-of-subgroup points. */
export function g1FromJson(json: G1Json): G1Point {
  return g1FromSolidity({ X: BigInt(json.X), Y: BigInt(json.Y) });
}

export function g2FromJson(json: G2Json): G2Point {
  return g2FromSolidity({
    X: [BigInt(json.X[0]), BigInt(json.X[1])],
    Y: [BigInt(json.Y[0]), BigInt(json.Y[1])],
  });
}
