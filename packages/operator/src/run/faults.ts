import type { SignedResponseBody } from "@avskit/aggregator-api";
import { g1ToSolidity, generateSecretKey, signDigest } from "@avskit/bls";
import type { Hex } from "viem";

/**
 * TEST ONLY. What an operator sends for each task, in order. `honest` is the real signed
 * response; the others are misbehaviours the aggregator must refuse without letting them
 * into an aggregate:
 * - `malformed-signature`: a signature that is not a point on the curve;
 * - `forged-signature`: a valid curve point that is not this operator's signature (signed
 *   with a throwaway key);
 * - `malformed-body`: a request that does not have the API's shape.
 */
export const REQUEST_KINDS = ["honest", "malformed-signature", "forged-signature", "malformed-body"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** (1, 3) is not on y² = x³ + 3 (the generator is (1, 2)). */
const OFF_CURVE = { X: "1", Y: "3" } as const;

/** The body to send for one kind of request. */
export function requestBody(kind: RequestKind, honest: SignedResponseBody, digest: Hex): unknown {
  switch (kind) {
    case "honest":
      return honest;
    case "malformed-signature":
      return { ...honest, signature: OFF_CURVE };
    case "forged-signature": {
      const forged = g1ToSolidity(signDigest(generateSecretKey(), digest));
      return { ...honest, signature: { X: forged.X.toString(), Y: forged.Y.toString() } };
    }
    case "malformed-body":
      return { operatorId: honest.operatorId.slice(0, 10), response: "sum please", signature: [1, 2] };
  }
}
