import { encodePacked, type Hex, keccak256 } from "viem";

/** A G1 point as the contracts take it. */
export interface G1Point {
  readonly X: bigint;
  readonly Y: bigint;
}

/** operatorId = keccak256(X ‖ Y), two 32-byte big-endian words. */
export function operatorIdOf(pubkey: G1Point): Hex {
  return keccak256(encodePacked(["uint256", "uint256"], [pubkey.X, pubkey.Y]));
}

/**
 * The signature checker's signatoryRecordHash, which the TaskManager records as
 * hashOfNonSigners: keccak256(abi.encodePacked(referenceBlock, nonSignerOperatorIds)).
 */
export function signatoryRecordHash(referenceBlock: number, nonSignerPubkeys: readonly G1Point[]): Hex {
  return keccak256(
    encodePacked(["uint32", "bytes32[]"], [referenceBlock, nonSignerPubkeys.map(operatorIdOf)]),
  );
}
