import { registryCoordinatorAbi } from "@avskit/bindings";
import type { ReadClient, WriteClient } from "@avskit/runtime";
import type { Address, Hash, Hex } from "viem";
import type { AvsContracts } from "../chain/contracts.js";
import { sendTransaction } from "../chain/transactions.js";
import { RegistrationStateError } from "../errors.js";
import { bitmapOf, quorumNumbersToBytes, quorumsInBitmap } from "./quorums.js";

export interface DeregisterOperatorOptions {
  readonly publicClient: ReadClient;
  readonly walletClient: WriteClient;
  readonly contracts: AvsContracts;
  /** Quorums to leave; every quorum the operator is in when omitted. */
  readonly quorums?: readonly number[];
  readonly log?: (line: string) => void;
}

export interface DeregisterOperatorResult {
  readonly operator: Address;
  readonly operatorId: Hex;
  readonly leftQuorums: readonly number[];
  /** Requested quorums the operator was not in (nothing to do for them). */
  readonly notInQuorums: readonly number[];
  readonly transactionHash: Hash | undefined;
}

/** Leaves quorums; leaving the last one also deregisters from the AVS directory. */
export async function deregisterOperator(
  options: DeregisterOperatorOptions,
): Promise<DeregisterOperatorResult> {
  const { publicClient, walletClient, contracts } = options;
  const log = options.log ?? (() => undefined);
  const operator = walletClient.account.address;
  const coordinator = { address: contracts.registryCoordinator, abi: registryCoordinatorAbi } as const;
  const info = await publicClient.readContract({
    ...coordinator,
    functionName: "getOperator",
    args: [operator],
  });
  // OperatorStatus: 0 never registered, 1 registered, 2 deregistered.
  if (info.status !== 1) {
    throw new RegistrationStateError(`${operator} is not registered with this AVS: nothing to deregister`);
  }
  const current = await publicClient.readContract({
    ...coordinator,
    functionName: "getCurrentQuorumBitmap",
    args: [info.operatorId],
  });
  const requested = options.quorums === undefined ? current : bitmapOf(options.quorums);
  const toLeave = quorumsInBitmap(requested & current);
  const notInQuorums = quorumsInBitmap(requested & ~current);
  if (notInQuorums.length > 0) log(`not in quorum(s) ${notInQuorums.join(", ")}: skipped`);
  let transactionHash: Hash | undefined;
  if (toLeave.length > 0) {
    const step = `deregister from quorum(s) ${toLeave.join(", ")}`;
    log(`${step}…`);
    const receipt = await sendTransaction(publicClient, walletClient, step, {
      ...coordinator,
      functionName: "deregisterOperator",
      args: [quorumNumbersToBytes(toLeave)],
    });
    transactionHash = receipt.transactionHash;
    log(`${step}: done in block ${receipt.blockNumber} (tx ${receipt.transactionHash})`);
  }
  return { operator, operatorId: info.operatorId, leftQuorums: toLeave, notInQuorums, transactionHash };
}
